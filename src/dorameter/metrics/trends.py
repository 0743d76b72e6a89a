"""Weekly trends: the keys per ISO week (Monday 00:00 UTC), empty weeks included."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from dorameter.metrics.stats import quantile
from dorameter.model import DeploymentOutcome, Period

_ONE_WEEK = timedelta(weeks=1)


@dataclass(frozen=True)
class TrendPoint:
    """The keys of one ISO week, counting only deployments finished inside the period."""

    week_start: date
    deployments: int
    lead_time_median_seconds: float | None
    failed: int
    change_fail_rate: float | None
    recovery_median_seconds: float | None
    unplanned: int


@dataclass
class _Week:
    """Running totals of one week."""

    deployments: int = 0
    failed: int = 0
    unplanned: int = 0
    lead_times: list[float] = field(default_factory=list)
    recoveries: list[float] = field(default_factory=list)


def weekly_trends(
    outcomes: Sequence[DeploymentOutcome],
    lead_times: Mapping[int, Sequence[float]],
    period: Period,
) -> tuple[TrendPoint, ...]:
    """One point per ISO week overlapping the period, in order, from in-period deployments and
    the lead times of the changes each shipped (deployment id -> samples, lead_time_samples)."""
    first_monday = _monday(period.since)
    weeks = [_Week() for _ in range(_week_count(first_monday, period))]
    week_zero = datetime.combine(first_monday, time(), tzinfo=UTC)
    for outcome in outcomes:
        deployment = outcome.deployment
        if not period.contains(deployment.finished_at):
            continue
        # Whole weeks since the first Monday: the ISO week, without a date per deployment.
        week = weeks[(deployment.finished_at - week_zero) // _ONE_WEEK]
        week.deployments += 1
        week.failed += outcome.failed
        week.unplanned += outcome.unplanned
        if outcome.failed and outcome.recovered_at is not None:
            week.recoveries.append((outcome.recovered_at - deployment.finished_at).total_seconds())
        week.lead_times += lead_times.get(deployment.id, ())
    return tuple(
        _point(first_monday + timedelta(weeks=number), week) for number, week in enumerate(weeks)
    )


def _monday(moment: datetime) -> date:
    """The Monday (UTC) of the ISO week containing a moment."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def _week_count(first_monday: date, period: Period) -> int:
    """Number of ISO weeks from first_monday that start before the period ends."""
    start = datetime.combine(first_monday, time(), tzinfo=UTC)
    return -(-(period.until - start) // timedelta(weeks=1))  # ceiling division


def _median(values: list[float]) -> float | None:
    """Median of unsorted values; None when empty."""
    return quantile(sorted(values), 0.5) if values else None


def _point(week_start: date, week: _Week) -> TrendPoint:
    """Freeze a week's running totals into a trend point."""
    return TrendPoint(
        week_start=week_start,
        deployments=week.deployments,
        lead_time_median_seconds=_median(week.lead_times),
        failed=week.failed,
        change_fail_rate=week.failed / week.deployments if week.deployments else None,
        recovery_median_seconds=_median(week.recoveries),
        unplanned=week.unplanned,
    )
