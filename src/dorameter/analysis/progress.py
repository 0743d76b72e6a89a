"""Progress against a baseline and goals: per metric, then and now, the change with its 95%
interval ("no clear change" when it spans zero), the target and the band then and now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dorameter.analysis.significance import (
    Change,
    count_rate_change,
    median_change,
    rate_change,
)
from dorameter.metrics.bands import Band, BandMetric, classify
from dorameter.metrics.stats import quantile


class GoalMetric(StrEnum):
    """Metrics a goal can be set on, with their units: per day, seconds, fractions."""

    DEPLOYMENT_FREQUENCY = "deployment_frequency"  # deployments per day
    LEAD_TIME = "lead_time"  # median seconds
    CHANGE_FAIL_RATE = "change_fail_rate"  # fraction
    RECOVERY_TIME = "recovery_time"  # median seconds
    REWORK_RATE = "rework_rate"  # fraction

    @property
    def higher_is_better(self) -> bool:
        return self is GoalMetric.DEPLOYMENT_FREQUENCY

    @property
    def band_metric(self) -> BandMetric | None:
        return _BANDED.get(self)


_BANDED = {
    GoalMetric.DEPLOYMENT_FREQUENCY: BandMetric.DEPLOYMENT_FREQUENCY,
    GoalMetric.LEAD_TIME: BandMetric.LEAD_TIME,
    GoalMetric.CHANGE_FAIL_RATE: BandMetric.CHANGE_FAIL_RATE,
    GoalMetric.RECOVERY_TIME: BandMetric.RECOVERY_TIME,
}


@dataclass(frozen=True)
class Figures:
    """What a baseline keeps of a period: the counts and the samples behind each metric."""

    since: datetime
    until: datetime
    deployments: int
    lead_time_samples: tuple[float, ...]
    failed: int
    recovery_samples: tuple[float, ...]
    unplanned: int

    @property
    def days(self) -> float:
        return (self.until - self.since).total_seconds() / 86400

    def value(self, metric: GoalMetric) -> float | None:
        if metric is GoalMetric.DEPLOYMENT_FREQUENCY:
            return self.deployments / self.days
        if metric is GoalMetric.LEAD_TIME:
            return _median(self.lead_time_samples)
        if metric is GoalMetric.RECOVERY_TIME:
            return _median(self.recovery_samples)
        count = self.failed if metric is GoalMetric.CHANGE_FAIL_RATE else self.unplanned
        return count / self.deployments if self.deployments else None


@dataclass(frozen=True)
class Goal:
    """A target for one metric, optionally by a date."""

    metric: GoalMetric
    target: float
    due: datetime | None = None


@dataclass(frozen=True)
class ProgressRow:
    """One metric: baseline, now, target, the change with its interval, bands then and now."""

    metric: GoalMetric
    baseline: float | None
    now: float | None
    change: Change | None
    goal: Goal | None
    band_then: Band | None
    band_now: Band | None

    @property
    def verdict(self) -> str:
        if self.change is None:
            return "not enough data"
        if not self.change.clear:
            return "no clear change"
        better = (self.change.difference > 0) == self.metric.higher_is_better
        return "clearly better" if better else "clearly worse"

    @property
    def goal_met(self) -> bool | None:
        if self.goal is None or self.now is None:
            return None
        if self.metric.higher_is_better:
            return self.now >= self.goal.target
        return self.now <= self.goal.target


def progress_rows(
    baseline: Figures, now: Figures, goals: dict[GoalMetric, Goal], year: str, seed: int = 0
) -> tuple[ProgressRow, ...]:
    """Every goal metric compared between the baseline and now."""
    return tuple(
        ProgressRow(
            metric=metric,
            baseline=baseline.value(metric),
            now=now.value(metric),
            change=_change(metric, baseline, now, seed),
            goal=goals.get(metric),
            band_then=_band(year, metric, baseline.value(metric)),
            band_now=_band(year, metric, now.value(metric)),
        )
        for metric in GoalMetric
    )


def _change(metric: GoalMetric, before: Figures, after: Figures, seed: int) -> Change | None:
    if metric is GoalMetric.DEPLOYMENT_FREQUENCY:
        return count_rate_change(before.deployments, before.days, after.deployments, after.days)
    if metric is GoalMetric.LEAD_TIME:
        return median_change(before.lead_time_samples, after.lead_time_samples, seed)
    if metric is GoalMetric.RECOVERY_TIME:
        return median_change(before.recovery_samples, after.recovery_samples, seed)
    if metric is GoalMetric.CHANGE_FAIL_RATE:
        return rate_change(before.failed, before.deployments, after.failed, after.deployments)
    return rate_change(before.unplanned, before.deployments, after.unplanned, after.deployments)


def _band(year: str, metric: GoalMetric, value: float | None) -> Band | None:
    banded = metric.band_metric
    return classify(year, banded, value) if banded else None


def _median(samples: tuple[float, ...]) -> float | None:
    return quantile(sorted(samples), 0.5) if samples else None
