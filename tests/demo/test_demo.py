"""The demo organisation: deterministic, realistic, and telling the case study's story."""

from __future__ import annotations

import gc
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from dorameter.cli import app
from dorameter.config import Settings
from dorameter.demo import DemoOptions, generate_demo
from dorameter.demo.organisation import SMALL_ORGANISATION, large_organisation
from dorameter.model import Period
from dorameter.report import ServiceReport, build_report
from dorameter.store import Store, open_store
from dorameter.store.schema import incidents, pipeline_runs, pull_requests, reviews

TODAY = date(2026, 11, 22)
END = datetime(2026, 11, 22, tzinfo=UTC)
LAST_QUARTER = Period(END - timedelta(days=90), END)
BASELINE = Period(END - timedelta(days=270), END - timedelta(days=180))
runner = CliRunner()


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    store = open_store(url)
    generate_demo(store, Settings(database_url=url), DemoOptions(seed=7, today=TODAY))
    return store


def service(store: Store, name: str, period: Period) -> ServiceReport:
    return build_report(store, Settings(database_url=""), period, [name]).services[0]


def scalar(store: Store, query: Any) -> Any:
    with store.engine.connect() as connection:
        return connection.execute(query).scalar_one()


@pytest.mark.parametrize("enabled", [True, False])
def test_a_report_leaves_the_cycle_collector_as_it_found_it(
    demo_store: Store, enabled: bool
) -> None:
    # Collection is paused while the report is built; its objects are then moved to the
    # oldest generation (freeze and unfreeze), so nothing may stay frozen afterwards.
    was_enabled = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        build_report(demo_store, Settings(database_url=""), LAST_QUARTER)
        assert gc.isenabled() is enabled
        assert gc.get_freeze_count() == 0
    finally:
        (gc.enable if was_enabled else gc.disable)()


@pytest.mark.parametrize("name", ["checkout-api", "checkout-web"])
def test_the_case_study_team_is_elite_on_all_four_keys_now(demo_store: Store, name: str) -> None:
    now = service(demo_store, name, LAST_QUARTER)
    assert now.deployment_frequency.band == "elite"
    assert now.lead_time.band == "elite"
    assert now.change_fail_rate.band == "elite"
    assert now.recovery_time.band == "elite"
    assert now.overall_band == "elite"
    assert now.recovery_time.summary.median_seconds is not None
    assert now.recovery_time.summary.median_seconds < 3600  # recovery under an hour


@pytest.mark.parametrize("name", ["checkout-api", "checkout-web"])
def test_the_case_study_team_started_low_with_week_long_lead_times(
    demo_store: Store, name: str
) -> None:
    before = service(demo_store, name, BASELINE)
    now = service(demo_store, name, LAST_QUARTER)
    assert before.overall_band == "low"
    assert before.lead_time.summary.median_seconds is not None
    assert now.lead_time.summary.median_seconds is not None
    assert before.lead_time.summary.median_seconds > 5 * 86400  # about a week
    # Lead time down by about 90% (at least 85%).
    assert now.lead_time.summary.median_seconds < 0.15 * before.lead_time.summary.median_seconds
    # Manual releases on Saturdays in the baseline.
    weekdays = Counter(
        outcome.deployment.finished_at.weekday() for outcome in before.failed_deployments
    )
    assert weekdays.get(5, 0) >= 1


def test_every_service_and_team_is_there_with_history_ending_today(demo_store: Store) -> None:
    assert demo_store.service_teams() == {p.name: p.team for p in SMALL_ORGANISATION}
    latest = scalar(demo_store, select(func.max(pull_requests.c.merged_at)))
    assert END - timedelta(days=3) < latest < END


def test_it_has_bots_flaky_ci_rollbacks_reverts_hotfixes_and_outages(demo_store: Store) -> None:
    bot_reviews = scalar(demo_store, select(func.count()).where(reviews.c.reviewer.like("%[bot]")))
    bot_prs = scalar(demo_store, select(func.count()).where(pull_requests.c.author.like("%[bot]")))
    reruns = scalar(demo_store, select(func.count()).where(pipeline_runs.c.attempt == 2))
    outages = scalar(demo_store, select(func.count()).where(incidents.c.change_caused.is_(False)))
    assert bot_reviews > 100 and bot_prs > 10 and reruns > 10 and outages >= 8
    reasons = Counter(
        reason
        for name in ("checkout-api", "ledger")
        for period in (LAST_QUARTER, BASELINE)
        for outcome in service(demo_store, name, period).failed_deployments
        for reason in outcome.failure_reasons
    )
    assert reasons["rolled_back"] and reasons["reverted"] and reasons["hotfixed"]


def test_the_same_seed_and_day_give_the_same_report(tmp_path: Path, store_url: str) -> None:
    args = ["demo", "--today", "2026-11-22", "--seed", "3", "--format", "json"]
    first = runner.invoke(app, [*args, "--db", store_url])
    second = runner.invoke(app, [*args, "--db", f"sqlite:///{tmp_path / 'again.db'}"])
    rerun = runner.invoke(app, [*args, "--db", store_url])  # idempotent on the same store

    assert first.exit_code == 0, first.output
    documents = [json.loads(result.stdout) for result in (first, second, rerun)]
    for document in documents:
        document.pop("generated_at")
    assert documents[0] == documents[1] == documents[2]
    assert len(documents[0]["services"]) == len(SMALL_ORGANISATION)


def test_the_default_demo_store_is_rebuilt_in_the_data_folder(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path)}
    first = runner.invoke(app, ["demo", "--today", "2026-11-22"], env=env)
    second = runner.invoke(app, ["demo", "--today", "2026-11-23"], env=env)

    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "checkout-api" in second.stdout
    store = open_store(f"sqlite:///{tmp_path / 'dorameter' / 'demo.db'}")
    latest = scalar(store, select(func.max(pull_requests.c.merged_at)))
    assert latest < datetime(2026, 11, 23, tzinfo=UTC)
    # Rebuilt, not appended: no history from the first run's day survives beyond its own.
    assert not (tmp_path / "dorameter" / "dorameter.db").exists()


def test_an_unknown_scale_is_a_usage_error() -> None:
    result = runner.invoke(app, ["demo", "--scale", "huge"])
    assert result.exit_code == 2
    assert "unknown scale 'huge'" in result.stderr


def test_the_search_team_shares_one_monorepo_and_each_service_ships_only_its_folder(
    demo_store: Store,
) -> None:
    query = text(
        """
        SELECT s.name, c.paths, c.parents FROM shipped sh
        JOIN deployments d ON d.id = sh.deployment_id
        JOIN services s ON s.id = d.service_id
        JOIN commits c ON c.id = sh.commit_id
        JOIN repositories r ON r.id = c.repository_id
        WHERE r.name = 'search' AND d.environment = 'production'
        """
    )
    with demo_store.engine.connect() as connection:
        shipped_rows = connection.execute(query).all()
        folders = dict(
            connection.execute(
                text(
                    "SELECT c.sha, c.paths FROM commits c JOIN repositories r "
                    "ON r.id = c.repository_id WHERE r.name = 'search'"
                )
            ).all()
        )
    assert {name for name, _, _ in shipped_rows} == {"search-api", "search-indexer"}
    for name, paths, _ in shipped_rows:
        assert paths.startswith(f"services/{name}/"), (name, paths)
    # One history: the services' main lines are woven, so each service's deployments walk
    # past the other's commits (and must leave them out by path).
    crossings = sum(
        1
        for _, paths, parents in shipped_rows
        if parents and folders[parents.split()[0]].split("/")[1] != paths.split("/")[1]
    )
    assert crossings > 50


def test_the_large_organisation_has_200_services_and_one_monorepo() -> None:
    profiles = large_organisation()
    assert len(profiles) == 200
    shared = [profile.name for profile in profiles if profile.monorepo]
    assert shared == [f"service-00{index}" for index in range(5)]
    assert {profile.repository for profile in profiles if profile.monorepo} == {"team-00-monorepo"}


@pytest.mark.parametrize("name", ["search-api", "search-indexer"])
def test_each_monorepo_service_diagnoses_only_its_own_pull_requests_and_ci_runs(
    demo_store: Store, name: str
) -> None:
    (flow,) = demo_store.load_flows([name], ["production"], LAST_QUARTER)
    # The demo's ids name the simulated service each item came from.
    assert flow.pull_requests and flow.pipeline_runs
    assert all(item.external_id.startswith(f"demo:{name}#") for item in flow.pull_requests)
    assert all(run.external_id.startswith(f"demo:{name}:ci:") for run in flow.pipeline_runs)
    assert all(item.external_id.startswith(f"demo:{name}#") for item in flow.open_pull_requests)
