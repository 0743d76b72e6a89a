"""Deployment frequency: how often successful production deployments finish in a period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from dorameter.metrics.bands import Band, BandMetric, classify
from dorameter.metrics.stats import poisson_rate_interval, quantile
from dorameter.model import Period


@dataclass(frozen=True)
class FrequencyResult:
    """Deployment frequency of one period, with its exact 95% interval per day and band."""

    count: int
    per_day: float
    per_week: float
    active_day_share: float  # share of the UTC calendar days the period touches with a deployment
    median_interval_seconds: float | None
    ci95_per_day: tuple[float, float]
    band: Band | None


def deployment_frequency(
    finish_times: Sequence[datetime], period: Period, year: str
) -> FrequencyResult:
    """Frequency of the deployments finished inside the period; no deployments at all is Low."""
    inside = sorted(moment for moment in finish_times if period.contains(moment))
    count = len(inside)
    per_day = count / period.days
    active_days = {moment.astimezone(UTC).date() for moment in inside}
    return FrequencyResult(
        count=count,
        per_day=per_day,
        per_week=count / (period.days / 7),
        active_day_share=len(active_days) / _calendar_days(period),
        median_interval_seconds=_median_interval(inside),
        ci95_per_day=poisson_rate_interval(count, period.days),
        band=classify(year, BandMetric.DEPLOYMENT_FREQUENCY, per_day),
    )


def _calendar_days(period: Period) -> int:
    """Number of UTC calendar dates the half-open period touches."""
    first = period.since.astimezone(UTC).date()
    last = (period.until - timedelta(microseconds=1)).astimezone(UTC).date()
    return (last - first).days + 1


def _median_interval(ordered: Sequence[datetime]) -> float | None:
    """Median time between consecutive deployments in seconds; None with fewer than two."""
    gaps = sorted((later - earlier).total_seconds() for earlier, later in pairwise(ordered))
    return quantile(gaps, 0.5) if gaps else None
