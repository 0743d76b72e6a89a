"""Change fail rate, rework rate, recovery time and time to restore over a period."""

from __future__ import annotations

import pytest
from metrics_support import HOUR, at, deployment, incident, period

from dorameter.metrics.bands import Band
from dorameter.metrics.change_fail_rate import change_fail_rate
from dorameter.metrics.recovery import recovery_time, time_to_restore
from dorameter.metrics.rework import rework_rate
from dorameter.metrics.stats import wilson_interval
from dorameter.model import DeploymentOutcome, FailureReason, UnplannedReason

FAILED = (FailureReason.INCIDENT_LINKED,)
UNPLANNED = (UnplannedReason.ROLLBACK,)
WEEK = period(7)


def outcome(
    id: int,
    hours: float,
    failed: bool = False,
    recovered_hours: float | None = None,
    unplanned: bool = False,
) -> DeploymentOutcome:
    return DeploymentOutcome(
        deployment(id, hours),
        FAILED if failed else (),
        None if recovered_hours is None else at(recovered_hours),
        UNPLANNED if unplanned else (),
    )


@pytest.mark.parametrize(
    ("failed", "total", "value", "band"),
    [
        (0, 10, 0.0, Band.ELITE),
        (1, 20, 0.05, Band.ELITE),
        (1, 10, 0.1, Band.HIGH),
        (4, 4, 1.0, Band.LOW),
    ],
)
def test_change_fail_rate(failed: int, total: int, value: float, band: Band) -> None:
    outcomes = [outcome(id, id, failed=id < failed) for id in range(total)]
    outcomes.append(outcome(99, 24 * 7, failed=True))  # finished when the period ended
    result = change_fail_rate(outcomes, WEEK, "2023")
    assert (result.numerator, result.total) == (failed, total)
    assert result.value == pytest.approx(value)
    assert result.ci95 == wilson_interval(failed, total)
    assert result.band is band


def test_change_fail_rate_without_deployments() -> None:
    result = change_fail_rate([outcome(1, -1, failed=True)], WEEK, "2023")
    assert (result.numerator, result.total, result.value, result.ci95, result.band) == (
        0,
        0,
        None,
        None,
        None,
    )


def test_rework_rate_is_never_banded() -> None:
    outcomes = [outcome(1, 1, unplanned=True), outcome(2, 2), outcome(3, 3, unplanned=True)]
    outcomes += [outcome(4, 4), outcome(5, -5, unplanned=True)]
    result = rework_rate(outcomes, WEEK)
    assert (result.numerator, result.total, result.value) == (2, 4, 0.5)
    assert result.ci95 == wilson_interval(2, 4)
    assert result.band is None


@pytest.mark.parametrize(
    ("year", "band"), [("2023", Band.HIGH), ("2024", Band.HIGH), ("2019", None)]
)
def test_recovery_time(year: str, band: Band | None) -> None:
    outcomes = [
        outcome(1, 1, failed=True, recovered_hours=1.5),
        outcome(2, 2, failed=True, recovered_hours=4),
        outcome(3, 3, failed=True, recovered_hours=6),
        outcome(4, 4, failed=True),  # not recovered
        outcome(5, -5, failed=True, recovered_hours=-4),  # before the period
        outcome(6, 6),  # did not fail
    ]
    result = recovery_time(outcomes, WEEK, year)
    assert result.summary.count == 3
    assert result.summary.median_seconds == 2 * HOUR
    assert result.unrecovered == 1
    assert result.band is band


@pytest.mark.parametrize(
    ("year", "band"), [("2021", Band.HIGH), ("2019", Band.HIGH), ("2023", None)]
)
def test_time_to_restore(year: str, band: Band | None) -> None:
    incidents = [
        incident(1, 1, 1.5),
        incident(2, 2, 3.5),
        incident(3, 3),  # unresolved
        incident(4, 5, 4),  # resolved before it started: excluded
        incident(5, -2, -1),  # started before the period
        incident(6, 24 * 7, 24 * 7 + 1),  # started when the period ended
    ]
    result = time_to_restore(incidents, WEEK, year)
    assert result.summary.count == 2
    assert result.summary.median_seconds == HOUR  # exactly one hour: not "under one hour"
    assert result.unrecovered == 1
    assert result.band is band
