"""Is a change real? 95% intervals for the difference of two medians and of two rates.

Medians: a percentile bootstrap (resampling each period's samples with replacement), seeded so
a report is reproducible. Rates: Newcombe's hybrid score interval (method 10), built from the
two Wilson intervals; it stays inside [-1, 1] and behaves at small counts and at 0% or 100%.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from dorameter.metrics.stats import quantile, wilson_interval

# Resampling work is bounded: fewer resamples for large samples keep a report fast in pure Python.
_MAX_RESAMPLES = 2000
_MIN_RESAMPLES = 400
_WORK_BUDGET = 4_000_000


@dataclass(frozen=True)
class Change:
    """after minus before, with its 95% interval; `clear` when the interval excludes zero."""

    before: float
    after: float
    difference: float
    low: float
    high: float

    @property
    def clear(self) -> bool:
        return self.low > 0 or self.high < 0

    @property
    def verdict(self) -> str:
        if not self.clear:
            return "no clear change"
        return "clear increase" if self.difference > 0 else "clear decrease"


def median_change(
    before: Sequence[float], after: Sequence[float], seed: int = 0, resamples: int | None = None
) -> Change | None:
    """Bootstrap 95% interval of median(after) - median(before); None when a side is empty."""
    if not before or not after:
        return None
    first, second = sorted(before), sorted(after)
    rounds = resamples or _resample_count(len(first) + len(second))
    generator = random.Random(seed)
    differences = sorted(
        _resampled_median(second, generator) - _resampled_median(first, generator)
        for _ in range(rounds)
    )
    median_before, median_after = quantile(first, 0.5), quantile(second, 0.5)
    return Change(
        before=median_before,
        after=median_after,
        difference=median_after - median_before,
        low=quantile(differences, 0.025),
        high=quantile(differences, 0.975),
    )


def _resample_count(size: int) -> int:
    return max(_MIN_RESAMPLES, min(_MAX_RESAMPLES, _WORK_BUDGET // max(size, 1)))


def _resampled_median(values: Sequence[float], generator: random.Random) -> float:
    return quantile(sorted(generator.choices(values, k=len(values))), 0.5)


def rate_change(
    before_count: int, before_total: int, after_count: int, after_total: int
) -> Change | None:
    """Newcombe 95% interval of rate(after) - rate(before); None when a side has no trials."""
    first = wilson_interval(before_count, before_total)
    second = wilson_interval(after_count, after_total)
    if first is None or second is None:
        return None
    p1, p2 = before_count / before_total, after_count / after_total
    difference = p2 - p1
    return Change(
        before=p1,
        after=p2,
        difference=difference,
        low=difference - math.hypot(p2 - second[0], first[1] - p1),
        high=difference + math.hypot(second[1] - p2, p1 - first[0]),
    )


def count_rate_change(
    before_count: int, before_days: float, after_count: int, after_days: float
) -> Change | None:
    """95% interval of the change in events per day (Wald, with half an event for a zero count
    in the variance so that 0 against 0 is not a certain "no change")."""
    if before_days <= 0 or after_days <= 0:
        return None
    r1, r2 = before_count / before_days, after_count / after_days
    variance = max(before_count, 0.5) / before_days**2 + max(after_count, 0.5) / after_days**2
    half = _Z95 * math.sqrt(variance)
    difference = r2 - r1
    return Change(
        before=r1, after=r2, difference=difference, low=difference - half, high=difference + half
    )


_Z95 = 1.959964
