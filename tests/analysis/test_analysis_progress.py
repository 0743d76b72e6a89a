"""Progress rows: values, changes with intervals, verdicts, goals and suggested targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dorameter.analysis.progress import Figures, Goal, GoalMetric, progress_rows
from dorameter.analysis.significance import count_rate_change
from dorameter.metrics.bands import Band, BandMetric, next_band_target

START = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = 3600.0


def figures(deployments: int, lead_hours: list[float], failed: int, days: int = 30) -> Figures:
    return Figures(
        since=START,
        until=START + timedelta(days=days),
        deployments=deployments,
        lead_time_samples=tuple(hours * HOUR for hours in lead_hours),
        failed=failed,
        recovery_samples=(),
        unplanned=0,
    )


def test_progress_rows_compare_then_and_now() -> None:
    before = figures(30, [48.0] * 20 + [60.0] * 20, 9)
    after = figures(90, [5.0] * 20 + [8.0] * 20, 3)
    goals = {GoalMetric.LEAD_TIME: Goal(GoalMetric.LEAD_TIME, 24 * HOUR)}

    rows = {row.metric: row for row in progress_rows(before, after, goals, "2023")}

    frequency, lead, fail = (
        rows[GoalMetric.DEPLOYMENT_FREQUENCY],
        rows[GoalMetric.LEAD_TIME],
        rows[GoalMetric.CHANGE_FAIL_RATE],
    )
    assert (frequency.baseline, frequency.now, frequency.verdict) == (1.0, 3.0, "clearly better")
    assert (frequency.band_then, frequency.band_now) == (Band.ELITE, Band.ELITE)
    assert (lead.baseline, lead.now) == (54 * HOUR, 6.5 * HOUR)
    assert lead.verdict == "clearly better" and lead.goal_met is True
    assert (lead.band_then, lead.band_now) == (Band.HIGH, Band.ELITE)
    assert (fail.baseline, fail.now) == (0.3, pytest.approx(1 / 30))
    assert fail.verdict == "clearly better" and fail.goal_met is None
    recovery = rows[GoalMetric.RECOVERY_TIME]
    assert (recovery.change, recovery.verdict) == (None, "not enough data")


def test_a_small_change_on_few_deployments_is_no_clear_change() -> None:
    rows = progress_rows(figures(8, [30.0, 40.0], 1), figures(9, [28.0, 38.0], 2), {}, "2023")
    assert {row.verdict for row in rows if row.change} == {"no clear change"}


def test_count_rate_change() -> None:
    change = count_rate_change(30, 30.0, 30, 30.0)
    assert change is not None and change.difference == 0 and not change.clear
    nothing = count_rate_change(0, 30.0, 0, 30.0)
    assert nothing is not None and nothing.low < 0 < nothing.high
    assert count_rate_change(1, 0.0, 1, 1.0) is None


@pytest.mark.parametrize(
    ("metric", "value", "target"),
    [
        (BandMetric.LEAD_TIME, 3 * 86400, 86400.0),  # High -> Elite: under a day
        (BandMetric.LEAD_TIME, 40 * 86400, 30 * 86400.0),  # Low -> Medium
        (BandMetric.LEAD_TIME, 3600, 3600),  # already Elite: keep it
        (BandMetric.CHANGE_FAIL_RATE, 0.3, 0.15),
        (BandMetric.DEPLOYMENT_FREQUENCY, 0.2, 1.0),  # weekly -> daily
        (BandMetric.RECOVERY_TIME, None, None),
    ],
)
def test_next_band_target(metric: BandMetric, value: float | None, target: float | None) -> None:
    assert next_band_target("2023", metric, value) == target
