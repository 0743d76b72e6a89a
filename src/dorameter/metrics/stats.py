"""Small, exact statistics for delivery metrics: quantiles and confidence intervals, stdlib only.

Intervals are distribution-free or exact where a closed form exists, because delivery samples
are small and long-tailed: a normal approximation would mislead exactly where it matters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

_TAIL_EPSILON = 1e-17  # stop summing probability terms once they stop changing the sum
_BISECTION_STEPS = 200


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Quantile q of ascending values by linear interpolation (numpy's default, Hyndman-Fan 7)."""
    if not sorted_values:
        raise ValueError("quantile of an empty sequence")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be within [0, 1], got {q}")
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def median_interval(
    sorted_values: Sequence[float], confidence: float = 0.95
) -> tuple[float, float] | None:
    """Distribution-free interval for the median from binomial order statistics.

    The interval [x(L), x(n-1-L)] (0-based) covers the true median with probability
    1 - 2 P(B <= L), B ~ Binomial(n, 1/2); L is the largest index keeping that at or above the
    requested confidence, so coverage is conservative. With 1 to 5 values no pair of order
    statistics reaches 95%: the widest available interval (min, max) is returned instead, with
    lower coverage (50% for two values, 94% for five). None only for no values.
    """
    n = len(sorted_values)
    if n == 0:
        return None
    cut = _median_cut(n, confidence)
    return sorted_values[cut], sorted_values[n - 1 - cut]


@lru_cache(maxsize=4096)  # depends on the count only; a report asks for the same counts often
def _median_cut(n: int, confidence: float) -> int:
    """The 0-based order statistic L of median_interval for n values."""
    tail = (1.0 - confidence) / 2.0
    low, high = -1, (n - 1) // 2  # invariant: cdf(low) <= tail (or low == -1), cdf(high + 1) > tail
    while low < high:
        middle = (low + high + 1) // 2
        if _binomial_half_cdf(n, middle) <= tail:
            low = middle
        else:
            high = middle - 1
    return max(low, 0)


def _binomial_half_cdf(n: int, k: int) -> float:
    """P(B <= k) for B ~ Binomial(n, 1/2), summed downward from k in log space (no underflow)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if 2 * k > n:  # sum the shorter, decreasing side
        return 1.0 - _binomial_half_cdf(n, n - k - 1)
    log_term = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - n * math.log(2)
    term = math.exp(log_term)
    total = term
    for i in range(k if term > 0.0 else 0, 0, -1):
        term *= i / (n - i + 1)
        total += term
        if term < total * _TAIL_EPSILON:
            break
    return total


def wilson_interval(successes: int, total: int, z: float = 1.959964) -> tuple[float, float] | None:
    """Wilson score interval for a proportion: sensible at 0%, 100% and for a handful of trials."""
    if total <= 0:
        return None
    if not 0 <= successes <= total:
        raise ValueError(f"successes must be within [0, {total}], got {successes}")
    share = successes / total
    z2 = z * z
    denominator = 1.0 + z2 / total
    centre = (share + z2 / (2 * total)) / denominator
    half = z * math.sqrt(share * (1 - share) / total + z2 / (4 * total * total)) / denominator
    lower = 0.0 if successes == 0 else max(0.0, centre - half)
    upper = 1.0 if successes == total else min(1.0, centre + half)
    return lower, upper


def poisson_rate_interval(
    count: int, exposure: float, confidence: float = 0.95
) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson rate per unit of exposure, e.g. deployments per day.

    Solves P(X >= count | mu) = tail for the lower bound and P(X <= count | mu) = tail for the
    upper one by bisection, which equals the usual chi-square quantile formula without scipy.
    """
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    if exposure <= 0:
        raise ValueError(f"exposure must be positive, got {exposure}")
    lower, upper = _poisson_mean_interval(count, confidence)
    return lower / exposure, upper / exposure


@lru_cache(maxsize=4096)  # depends on the count only; each bisection sums many series
def _poisson_mean_interval(count: int, confidence: float) -> tuple[float, float]:
    """The exact interval for the mean of a Poisson count (before dividing by exposure)."""
    tail = (1.0 - confidence) / 2.0
    lower = 0.0
    if count > 0:
        lower = _solve_increasing(lambda mu: _poisson_sf(count, mu), tail, 0.0, float(count))
    upper_bracket = float(count) + 1.0
    while _poisson_cdf(count, upper_bracket) > tail:
        upper_bracket *= 2.0
    upper = _solve_increasing(lambda mu: -_poisson_cdf(count, mu), -tail, 0.0, upper_bracket)
    return lower, upper


def _solve_increasing(
    function: Callable[[float], float], target: float, low: float, high: float
) -> float:
    """Bisect for x in [low, high] with function(x) == target, function increasing."""
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2.0
        if middle in (low, high):
            break
        if function(middle) < target:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


def _poisson_log_pmf(k: int, mu: float) -> float:
    """log P(X = k) for X ~ Poisson(mu), mu > 0."""
    return k * math.log(mu) - mu - math.lgamma(k + 1)


def _poisson_cdf(k: int, mu: float) -> float:
    """P(X <= k) for X ~ Poisson(mu), summing only the decreasing side of the distribution."""
    if mu <= 0.0:
        return 1.0
    if k >= mu:
        return 1.0 - _poisson_sf(k + 1, mu)
    term = math.exp(_poisson_log_pmf(k, mu))
    total = term
    for i in range(k if term > 0.0 else 0, 0, -1):
        term *= i / mu
        total += term
        if term < total * _TAIL_EPSILON:
            break
    return total


def _poisson_sf(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu), summing only the decreasing side of the distribution."""
    if k <= 0:
        return 1.0
    if mu <= 0.0:
        return 0.0
    if k < mu:
        return 1.0 - _poisson_cdf(k - 1, mu)
    term = math.exp(_poisson_log_pmf(k, mu))
    total = term
    i = k
    while term >= total * _TAIL_EPSILON and term > 0.0:
        i += 1
        term *= mu / i
        total += term
    return total


@dataclass(frozen=True)
class DurationSummary:
    """Median-first summary of a set of durations in seconds; ci95 is the median's interval."""

    count: int
    median_seconds: float | None
    p75_seconds: float | None
    p90_seconds: float | None
    mean_seconds: float | None
    ci95_seconds: tuple[float, float] | None
    # The sorted samples behind the figures (baselines keep them to test later changes).
    samples: tuple[float, ...] = field(default=(), repr=False, compare=False)


def summarize_durations(seconds: Iterable[float]) -> DurationSummary:
    """Summarise durations: median, p75, p90, mean and the median's 95% interval."""
    values = sorted(seconds)
    if not values:
        return DurationSummary(0, None, None, None, None, None)
    return DurationSummary(
        count=len(values),
        median_seconds=quantile(values, 0.5),
        p75_seconds=quantile(values, 0.75),
        p90_seconds=quantile(values, 0.9),
        mean_seconds=math.fsum(values) / len(values),
        ci95_seconds=median_interval(values, 0.95),
        samples=tuple(values),
    )
