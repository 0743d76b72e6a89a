"""Weekly trends over ISO weeks, empty weeks included."""

from __future__ import annotations

from datetime import date

import pytest
from metrics_support import HOUR, at, change, deployment, period

from dorameter.metrics.lead_time import lead_time_samples
from dorameter.metrics.trends import TrendPoint, weekly_trends
from dorameter.model import DeploymentOutcome, FailureReason, Period, UnplannedReason

FAILED = (FailureReason.ROLLED_BACK,)


def test_weekly_trends_with_empty_weeks() -> None:
    # Wednesday Jan 3 to Wednesday Jan 24: the weeks of Jan 1, 8, 15 and 22.
    trend_period = period(21, start_hours=48)
    outcomes = [
        DeploymentOutcome(deployment(1, 24, "a"), FAILED),  # Jan 2: before the period
        DeploymentOutcome(deployment(2, 58, "b"), FAILED, at(60)),  # Jan 3 10:00
        DeploymentOutcome(deployment(3, 80, "c"), (), None, (UnplannedReason.SHIPS_HOTFIX,)),
        DeploymentOutcome(deployment(4, 24 * 15, "d"), FAILED),  # Jan 16, not recovered
        DeploymentOutcome(deployment(5, 24 * 23, "e")),  # Jan 24 00:00: the period's end
    ]
    changes = [
        change(1, 0),
        change(2, 34),  # 24 h
        change(2, 40, "Merge branch 'x'", is_merge=True),
        change(3, 78),  # 2 h
        change(4, 24 * 16),  # negative
        change(4, 0, before_tracking=True),
        change(5, 24 * 22),
    ]
    deployments = {outcome.deployment.id: outcome.deployment for outcome in outcomes}
    lead_times = lead_time_samples(changes, deployments, trend_period).by_deployment
    assert weekly_trends(outcomes, lead_times, trend_period) == (
        TrendPoint(date(2024, 1, 1), 2, 13 * HOUR, 1, 0.5, 2 * HOUR, 1),
        TrendPoint(date(2024, 1, 8), 0, None, 0, None, None, 0),
        TrendPoint(date(2024, 1, 15), 1, None, 1, 1.0, None, 0),
        TrendPoint(date(2024, 1, 22), 0, None, 0, None, None, 0),
    )


@pytest.mark.parametrize(
    ("trend_period", "mondays"),
    [
        (period(14), [date(2024, 1, 1), date(2024, 1, 8)]),
        (
            Period(at(0), at(336 + 1 / 3600)),
            [date(2024, 1, 1), date(2024, 1, 8), date(2024, 1, 15)],
        ),
        (period(1, start_hours=24 * 6), [date(2024, 1, 1)]),  # a Sunday
        (period(2, start_hours=24 * 6), [date(2024, 1, 1), date(2024, 1, 8)]),
    ],
)
def test_weeks_overlapping_the_period(trend_period: Period, mondays: list[date]) -> None:
    points = weekly_trends([], {}, trend_period)
    assert [point.week_start for point in points] == mondays
    assert all(point.deployments == 0 and point.change_fail_rate is None for point in points)
