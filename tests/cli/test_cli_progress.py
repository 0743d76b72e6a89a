"""baseline save, goal set and progress from the command line, against the Report's numbers."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dorameter.cli import app
from dorameter.config import Settings
from dorameter.report import build_report
from dorameter.store import Store
from tests.cli.test_cli_diagnose import WINDOW, shop_with_pull_requests
from tests.store.test_store_flow import PERIOD

runner = CliRunner()


def run(store_url: str, *arguments: str) -> str:
    result = runner.invoke(app, [*arguments, "--db", store_url])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_baseline_goal_and_progress(store: Store, store_url: str) -> None:
    shop_with_pull_requests(store)
    run(store_url, "baseline", "save", "before", "--service", "shop", *WINDOW)
    run(store_url, "goal", "set", "lead_time", "12h", "--by", "2026-06-30", "--service", "shop")
    run(store_url, "goal", "set", "change_fail_rate", "--service", "shop", *WINDOW)

    found = json.loads(run(store_url, "progress", "--service", "shop", "--format", "json", *WINDOW))

    service = build_report(store, Settings(database_url=""), PERIOD, ["shop"]).services[0]
    lead = found["metrics"]["lead_time"]
    assert found["baseline"]["name"] == "before"
    assert lead["baseline"] == lead["now"] == service.lead_time.summary.median_seconds
    assert lead["change"]["difference"] == 0 and lead["verdict"] == "no clear change"
    assert (lead["target"], lead["due"], lead["goal_met"]) == (
        43200.0,
        "2026-06-30T00:00:00Z",
        False,
    )
    frequency = found["metrics"]["deployment_frequency"]
    assert frequency["now"] == pytest.approx(service.deployment_frequency.per_day)
    # No deployment failed: the suggested target for an Elite rate is to keep it.
    assert found["metrics"]["change_fail_rate"]["target"] == 0.0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["progress", "--service", "shop"], "dorameter baseline save"),
        (["goal", "set", "lead_time", "soon", "--service", "shop"], "not a duration"),
        (["goal", "set", "change_fail_rate", "150%", "--service", "shop"], "between 0 and 1"),
        (["baseline", "save", "x", "--service", "nope"], "no service 'nope'"),
        (["goal", "set", "speed", "--service", "shop"], "no metric 'speed'"),
    ],
)
def test_progress_errors(store: Store, store_url: str, arguments: list[str], message: str) -> None:
    shop_with_pull_requests(store)
    result = runner.invoke(app, [*arguments, "--db", store_url])
    assert result.exit_code in (1, 2)
    assert message in result.stderr


def test_a_team_has_its_own_baselines_and_goals(store: Store, store_url: str) -> None:
    shop_with_pull_requests(store)
    store.set_service_teams({"shop": "retail"})
    run(store_url, "baseline", "save", "q1", "--team", "retail", *WINDOW)
    run(store_url, "goal", "set", "deployment_frequency", "2/d", "--team", "retail")

    found = json.loads(run(store_url, "progress", "--team", "retail", "--format", "json", *WINDOW))

    assert found["scope"] == "team:retail"
    assert found["metrics"]["deployment_frequency"]["target"] == 2.0
    assert store.baseline_names("service:shop") == []
