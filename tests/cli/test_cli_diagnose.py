"""dorameter diagnose: the JSON numbers are the Report's, what-if, teams, usage errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dorameter.cli import app
from dorameter.config import Settings
from dorameter.model import PullRequestCommit, Review, ReviewState
from dorameter.render.document import report_document
from dorameter.report import build_report
from dorameter.store import Store
from tests.store.store_support import at, commit, deployment, feed
from tests.store.test_store_flow import PERIOD, pull_request

runner = CliRunner()
HOUR = 3600.0
WINDOW = ["--since", PERIOD.since.isoformat(), "--until", PERIOD.until.isoformat()]


def shop_with_pull_requests(store: Store) -> None:
    """Two merged PRs shipped by d2: coding 2 h each, pickup 10 h / 20 h (a bot's review is
    ignored), review 8 h / 5 h, deploy 5 h / 2 h; lead times 25 h / 29 h."""
    merge_one = commit("m1", "a", hours=-2, subject="Merge #1")
    merge_two = commit("m2", "m1", hours=1, subject="Merge #2")
    feed(
        store,
        [commit("a", hours=-60), merge_one, merge_two],
        [deployment("d1", "a", -59), deployment("d2", "m2", 3)],
    )
    store.upsert_pull_requests(
        [
            pull_request(1, "m1", created_at=at(-20), merged_at=at(-2), first_commit_at=at(-22)),
            pull_request(2, "m2", created_at=at(-24), merged_at=at(1), first_commit_at=at(-26)),
        ]
    )
    store.insert_pull_request_commits([PullRequestCommit("test:shop#1", "f" * 40, at(-22))])
    reviews = [
        ("test:shop#1", "r1", "lint[bot]", -19),
        ("test:shop#1", "r2", "grace", -10),
        ("test:shop#2", "r3", "grace", -4),
    ]
    store.upsert_reviews(
        Review(owner, name, "test", who, ReviewState.APPROVED, at(hours))
        for owner, name, who, hours in reviews
    )


def invoke(store_url: str, *arguments: str) -> dict[str, object]:
    result = runner.invoke(app, ["diagnose", "--db", store_url, "--format", "json", *arguments])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_diagnose_json_carries_the_reports_numbers(store: Store, store_url: str) -> None:
    shop_with_pull_requests(store)

    found = invoke(store_url, "--service", "shop", *WINDOW, "--what-if", "pickup=-50%")

    report = build_report(store, Settings(database_url=""), PERIOD, ["shop"])
    expected = report_document(report)["services"][0]["diagnosis"]
    assert found["stages"] == expected["stages"]
    assert found["findings"] == expected["findings"]
    assert found["bottleneck"] == "pickup"
    stages = found["stages"]
    assert isinstance(stages, dict)
    assert stages["pickup"] == {
        "count": 2,
        "median_seconds": 15 * HOUR,
        "p75_seconds": 17.5 * HOUR,
        "p90_seconds": 19 * HOUR,
        "share": pytest.approx(15 / (2 + 15 + 6.5 + 3.5)),
    }
    assert stages["deploy"]["median_seconds"] == 3.5 * HOUR  # type: ignore[index]
    assert found["what_if"] == {
        "stage": "pickup",
        "change": -0.5,
        "count": 2,
        "median_seconds": 27 * HOUR,
        "projected_median_seconds": 19.5 * HOUR,
        "band": "high",
        "projected_band": "elite",
    }


def test_diagnose_a_team_measures_its_services_as_one(store: Store, store_url: str) -> None:
    shop_with_pull_requests(store)
    store.set_service_teams({"shop": "retail"})

    found = invoke(store_url, "--team", "retail", *WINDOW)

    assert (found["service"], found["pull_requests"]) == ("retail", 2)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--service", "shop", "--team", "retail"], "not both"),
        (["--team", "nobody"], "no service belongs to team 'nobody'"),
        (["--service", "shop", "--what-if", "pickup"], "STAGE=PERCENT%"),
    ],
)
def test_diagnose_usage_errors(
    store: Store, store_url: str, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, ["diagnose", "--db", store_url, *arguments])
    assert result.exit_code == 2
    assert message in result.stderr


def test_diagnose_table(store: Store, store_url: str) -> None:
    shop_with_pull_requests(store)
    result = runner.invoke(app, ["diagnose", "--db", store_url, *WINDOW], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "PRs wait a median 15 h for a first review" in result.stdout
    assert "review rotation" in result.stdout
