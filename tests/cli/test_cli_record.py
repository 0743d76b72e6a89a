"""`dorameter record ...` then `dorameter report`: exact figures computed by hand.

The repository "shop" is stored through the store API (what `ingest git` would have read):

    a 03-02 08:00 - b 03-02 09:00 - c 03-03 08:00 - d 03-04 08:00      (UTC, 2026)

and deployments are recorded as a pipeline step would, each at 10:00 of its day.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from typer.testing import CliRunner

from dorameter.cli import app
from dorameter.model import Commit
from dorameter.store import open_store

HOUR = 3600.0
PERIOD = ["--since", "2026-03-01", "--until", "2026-03-08"]
runner = CliRunner()


def sha(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def seed_history(url: str) -> None:
    """Commits a-d of the module docstring, in repository "shop"."""
    times = {
        "a": datetime(2026, 3, 2, 8, tzinfo=UTC),
        "b": datetime(2026, 3, 2, 9, tzinfo=UTC),
        "c": datetime(2026, 3, 3, 8, tzinfo=UTC),
        "d": datetime(2026, 3, 4, 8, tzinfo=UTC),
    }
    names = list(times)
    history = [
        Commit(
            repository="shop",
            sha=sha(name),
            parents=(sha(names[index - 1]),) if index else (),
            author_name="Ada Lovelace",
            author_email="ada@example.com",
            author_time=moment,
            committer_time=moment,
            subject=f"Change {name}",
        )
        for index, (name, moment) in enumerate(times.items())
    ]
    store = open_store(url)
    try:
        store.insert_commits(store.ensure_repository("shop"), history)
    finally:
        store.close()


def invoke(url: str, *args: str) -> Any:
    result = runner.invoke(app, [*args, "--db", url])
    assert result.exit_code == 0, result.output
    return result


def record_deployment(url: str, name: str, finished_at: str, *extra: str) -> Any:
    return invoke(
        url,
        "record",
        "deployment",
        "--service",
        "shop",
        "--sha",
        sha(name),
        "--finished-at",
        finished_at,
        *extra,
    )


def report(url: str, *extra: str) -> dict[str, Any]:
    result = invoke(url, "report", "--format", "json", *PERIOD, *extra)
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def the_service(document: dict[str, Any]) -> dict[str, Any]:
    (service,) = document["services"]
    assert service["service"] == "shop"
    return service


def stored_counts(url: str) -> dict[str, int]:
    store = open_store(url)
    try:
        return store.count_rows()
    finally:
        store.close()


def test_a_recorded_deployment_is_in_the_report(store_url: str) -> None:
    seed_history(store_url)

    result = record_deployment(store_url, "b", "2026-03-02T10:00:00Z", "--id", "shop-1")

    assert result.stderr.strip() == "deployment shop-1 added"
    service = the_service(report(store_url))
    frequency = service["deployment_frequency"]
    assert frequency["count"] == 1
    assert frequency["per_week"] == pytest.approx(1.0)
    assert frequency["per_day"] == pytest.approx(1 / 7)
    # It shipped a (2 h before it) and b (1 h before it).
    lead = service["lead_time"]
    assert lead["count"] == 2
    assert lead["median_seconds"] == pytest.approx(1.5 * HOUR)
    assert lead["before_tracking_excluded"] == 0
    fail = service["change_fail_rate"]
    assert (fail["failed"], fail["total"]) == (0, 1)
    assert service["failed_attempts"] == 0
    # No deployment failed, so recovery time has no sample and no band.
    assert service["recovery_time"]["band"] is None
    assert service["notes"] == [
        "The overall band covers only the metrics that have data in this period "
        "(a metric without samples has no band)."
    ]


def test_recording_the_same_deployment_twice_updates_it(store_url: str) -> None:
    seed_history(store_url)
    record_deployment(store_url, "b", "2026-03-02T10:00:00+01:00")

    again = record_deployment(store_url, "b", "2026-03-02T09:00:00Z")  # the same instant

    assert again.stderr.startswith("deployment deployment:")
    assert again.stderr.rstrip().endswith(" updated")
    assert stored_counts(store_url)["deployments"] == 1
    assert the_service(report(store_url))["deployment_frequency"]["count"] == 1


def test_the_derived_id_does_not_depend_on_how_the_sha_is_written(store_url: str) -> None:
    seed_history(store_url)
    first = record_deployment(store_url, "b", "2026-03-02T10:00:00Z")
    invocation = [
        "record",
        "deployment",
        "--service",
        "shop",
        "--sha",
        f"  {sha('b').upper()} ",
        "--finished-at",
        "2026-03-02T10:00:00Z",
    ]

    again = invoke(store_url, *invocation)

    assert again.stderr.replace("updated", "added") == first.stderr
    assert stored_counts(store_url)["deployments"] == 1


def test_a_failed_attempt_is_counted_apart(store_url: str) -> None:
    seed_history(store_url)
    record_deployment(store_url, "b", "2026-03-02T10:00:00Z", "--status", "failure")
    record_deployment(store_url, "b", "2026-03-02T11:00:00Z")

    service = the_service(report(store_url))

    assert service["deployment_frequency"]["count"] == 1
    assert service["failed_attempts"] == 1
    # The successful deployment ships a and b: 3 h and 2 h.
    assert service["lead_time"]["median_seconds"] == pytest.approx(2.5 * HOUR)


def record_three_days(url: str) -> None:
    """shop-1 at b, shop-2 at c, shop-3 at d, each at 10:00 on March 2, 3 and 4."""
    seed_history(url)
    record_deployment(url, "b", "2026-03-02T10:00:00Z", "--id", "shop-1")
    record_deployment(url, "c", "2026-03-03T10:00:00Z", "--id", "shop-2")
    record_deployment(url, "d", "2026-03-04T10:00:00Z", "--id", "shop-3")


def record_incident(url: str, started_at: str, *extra: str) -> Any:
    return invoke(
        url, "record", "incident", "--service", "shop", "--started-at", started_at, *extra
    )


def record_incidents(url: str) -> None:
    """inc-1 names shop-1; inc-2 follows shop-2 within 24 h; inc-3 is not caused by a change."""
    linked = ("--caused-by-deployment", "shop-1", "--title", "Checkout errors")
    record_incident(url, "2026-03-02T12:00:00Z", "--id", "inc-1", *linked)
    record_incident(url, "2026-03-03T15:00:00Z", "--id", "inc-2")
    unrelated = ("--not-change-caused", "--title", "Cloud provider outage")
    record_incident(url, "2026-03-04T11:00:00Z", "--id", "inc-3", *unrelated)


def failures(service: dict[str, Any]) -> dict[str, list[str]]:
    return {item["id"]: item["reasons"] for item in service["failed_deployments"]}


def test_incidents_mark_deployments_failed(store_url: str) -> None:
    record_three_days(store_url)

    record_incidents(store_url)

    service = the_service(report(store_url))
    assert failures(service) == {"shop-1": ["incident_linked"], "shop-2": ["incident_window"]}
    fail = service["change_fail_rate"]
    assert (fail["failed"], fail["total"]) == (2, 3)
    assert fail["value"] == pytest.approx(2 / 3)
    # Nothing is resolved yet: both failures and all three incidents are open.
    assert service["recovery_time"]["count"] == 0
    assert service["recovery_time"]["unrecovered"] == 2
    assert service["time_to_restore"]["count"] == 0
    assert service["time_to_restore"]["unresolved"] == 3
    assert stored_counts(store_url)["incidents"] == 3


def test_an_incident_after_the_window_fails_nothing(store_url: str) -> None:
    record_three_days(store_url)

    # 25 h after shop-3 finished: outside the default 24 h window.
    record_incident(store_url, "2026-03-05T11:00:00Z")

    assert failures(the_service(report(store_url))) == {}


def test_resolving_incidents_sets_recovery_and_time_to_restore(store_url: str) -> None:
    record_three_days(store_url)
    record_incidents(store_url)

    resolved = invoke(
        store_url, "record", "resolve", "inc-1", "--resolved-at", "2026-03-02T13:00:00Z"
    )
    invoke(store_url, "record", "resolve", "inc-2", "--resolved-at", "2026-03-03T20:00:00+00:00")

    assert resolved.stderr.strip() == "incident inc-1 resolved at 2026-03-02T13:00:00+00:00"
    service = the_service(report(store_url))
    # Recovery: shop-1 10:00 -> 13:00 (3 h), shop-2 10:00 -> 20:00 (10 h).
    recovery = service["recovery_time"]
    assert (recovery["count"], recovery["unrecovered"]) == (2, 0)
    assert recovery["median_seconds"] == pytest.approx(6.5 * HOUR)
    assert recovery["band"] == "high"
    # Time to restore: inc-1 12:00 -> 13:00 (1 h), inc-2 15:00 -> 20:00 (5 h); inc-3 is open.
    restore = service["time_to_restore"]
    assert (restore["count"], restore["unresolved"]) == (2, 1)
    assert restore["median_seconds"] == pytest.approx(3 * HOUR)
    recovered = {item["id"]: item["recovered_at"] for item in service["failed_deployments"]}
    assert recovered == {"shop-1": "2026-03-02T13:00:00Z", "shop-2": "2026-03-03T20:00:00Z"}


def test_recording_an_incident_again_with_its_resolution_resolves_it(store_url: str) -> None:
    record_three_days(store_url)
    record_incidents(store_url)

    resolution = ("--resolved-at", "2026-03-03T17:00:00Z")
    again = record_incident(store_url, "2026-03-03T15:00:00Z", "--id", "inc-2", *resolution)

    assert again.stderr.strip() == "incident inc-2 updated"
    restore = the_service(report(store_url))["time_to_restore"]
    assert (restore["count"], restore["unresolved"]) == (1, 2)
    assert restore["median_seconds"] == pytest.approx(2 * HOUR)


def test_bands_2021_use_time_to_restore(store_url: str) -> None:
    record_three_days(store_url)
    record_incidents(store_url)
    invoke(store_url, "record", "resolve", "inc-1", "--resolved-at", "2026-03-02T13:00:00Z")
    invoke(store_url, "record", "resolve", "inc-2", "--resolved-at", "2026-03-03T20:00:00Z")

    default = report(store_url)
    banded_2021 = report(store_url, "--bands", "2021")

    assert default["bands"] == "2023"
    assert the_service(default)["recovery_time"]["band"] == "high"  # 6.5 h
    assert the_service(default)["time_to_restore"]["band"] is None
    assert banded_2021["bands"] == "2021"
    assert the_service(banded_2021)["recovery_time"]["band"] is None
    assert the_service(banded_2021)["time_to_restore"]["band"] == "high"  # 3 h: under a day
    # 2021 change fail rate: Elite only up to 15%; two of three failed.
    assert the_service(banded_2021)["change_fail_rate"]["band"] == "low"


def test_a_named_fix_and_a_rollback_are_rework(store_url: str) -> None:
    record_three_days(store_url)
    record_deployment(store_url, "c", "2026-03-04T12:00:00Z", "--id", "shop-4", "--rollback")
    record_deployment(store_url, "c", "2026-03-05T10:00:00Z", "--id", "shop-5", "--fixes", "shop-3")

    service = the_service(report(store_url))

    # shop-4 rolls shop-3 back (2 h later); shop-5 redeploys c, named as shop-3's fix.
    assert failures(service) == {"shop-3": ["rolled_back", "fix_named"]}
    assert service["recovery_time"]["median_seconds"] == pytest.approx(2 * HOUR)
    rework = service["rework_rate"]
    assert (rework["unplanned"], rework["total"]) == (2, 5)


def test_recording_an_incident_again_without_resolution_keeps_it_resolved(
    store_url: str,
) -> None:
    record_three_days(store_url)
    record_incidents(store_url)
    invoke(store_url, "record", "resolve", "inc-1", "--resolved-at", "2026-03-02T13:00:00Z")

    again = record_incident(
        store_url, "2026-03-02T12:00:00Z", "--id", "inc-1", "--title", "Checkout errors (500s)"
    )

    assert again.stderr.strip() == "incident inc-1 updated"
    service = the_service(report(store_url))
    # Still resolved (1 h) and still linked to shop-1: the new record only changed the title.
    assert service["time_to_restore"]["count"] == 1
    assert service["time_to_restore"]["median_seconds"] == pytest.approx(1 * HOUR)
    assert failures(service)["shop-1"] == ["incident_linked"]
