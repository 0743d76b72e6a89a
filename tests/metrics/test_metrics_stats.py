"""Quantiles, confidence intervals and duration summaries against hand-computed values."""

from __future__ import annotations

import math
import random

import pytest

from dorameter.metrics.stats import (
    DurationSummary,
    median_interval,
    poisson_rate_interval,
    quantile,
    summarize_durations,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1, 2, 3, 4], 0.5, 2.5),
        ([1, 2, 3, 4], 0.25, 1.75),
        ([1, 2, 3, 4], 0.75, 3.25),
        ([1, 2, 3, 4], 0.9, 3.7),
        ([1, 2, 3, 4], 0.0, 1.0),
        ([1, 2, 3, 4], 1.0, 4.0),
        ([1, 2, 3], 0.5, 2.0),
        ([7], 0.9, 7.0),
        ([0, 10], 0.9, 9.0),
    ],
)
def test_quantile_interpolates_linearly(values: list[float], q: float, expected: float) -> None:
    assert quantile(values, q) == pytest.approx(expected)


@pytest.mark.parametrize(("values", "q"), [([], 0.5), ([1.0], -0.1), ([1.0], 1.5)])
def test_quantile_rejects_empty_or_out_of_range(values: list[float], q: float) -> None:
    with pytest.raises(ValueError):
        quantile(values, q)


@pytest.mark.parametrize(
    ("successes", "total", "expected"),
    [
        (0, 10, (0.0, 0.2775)),
        (5, 10, (0.2366, 0.7634)),
        (10, 10, (0.7225, 1.0)),
        (1, 8, (0.0224, 0.4709)),
        (50, 100, (0.4038, 0.5962)),
    ],
)
def test_wilson_interval_known_values(
    successes: int, total: int, expected: tuple[float, float]
) -> None:
    interval = wilson_interval(successes, total)
    assert interval == pytest.approx(expected, abs=1e-4)


def test_wilson_interval_is_none_without_trials_and_exact_at_the_ends() -> None:
    assert wilson_interval(0, 0) is None
    assert wilson_interval(0, 3) == pytest.approx((0.0, 0.5615), abs=1e-4)
    assert wilson_interval(3, 3) == pytest.approx((0.4385, 1.0), abs=1e-4)
    assert wilson_interval(0, 3)[0] == 0.0  # type: ignore[index]
    assert wilson_interval(3, 3)[1] == 1.0  # type: ignore[index]


@pytest.mark.parametrize(
    ("count", "exposure", "expected"),
    [
        (0, 1.0, (0.0, 3.6889)),
        (1, 1.0, (0.02532, 5.5716)),
        (10, 1.0, (4.7954, 18.3904)),
        (10, 2.0, (2.3977, 9.1952)),
        (0, 90.0, (0.0, 3.6889 / 90)),
    ],
)
def test_poisson_rate_interval_matches_garwood(
    count: int, exposure: float, expected: tuple[float, float]
) -> None:
    assert poisson_rate_interval(count, exposure) == pytest.approx(expected, rel=1e-4, abs=1e-9)


def test_poisson_rate_interval_for_large_counts_is_close_to_normal() -> None:
    lower, upper = poisson_rate_interval(100_000, 90.0)
    rate, half = 100_000 / 90, 1.959964 * math.sqrt(100_000) / 90
    assert lower == pytest.approx(rate - half, rel=1e-4)
    assert upper == pytest.approx(rate + half, rel=1e-4)


@pytest.mark.parametrize(("count", "exposure"), [(-1, 1.0), (1, 0.0)])
def test_poisson_rate_interval_rejects_bad_input(count: int, exposure: float) -> None:
    with pytest.raises(ValueError):
        poisson_rate_interval(count, exposure)


@pytest.mark.parametrize(
    ("n", "expected_indices"),
    [
        (1, (0, 0)),
        (5, (0, 4)),  # too few for 95%: the widest interval available
        (6, (0, 5)),
        (10, (1, 8)),
        (20, (5, 14)),
        (100, (39, 60)),
    ],
)
def test_median_interval_uses_binomial_order_statistics(
    n: int, expected_indices: tuple[int, int]
) -> None:
    values = [float(10 * i) for i in range(n)]
    low, high = expected_indices
    assert median_interval(values) == (values[low], values[high])


def test_median_interval_is_none_without_values() -> None:
    assert median_interval([]) is None


@pytest.mark.parametrize("n", [20, 51])
def test_median_interval_covers_the_true_median_about_95_percent(n: int) -> None:
    generator = random.Random(20240601)
    true_median = math.log(2)  # of the exponential distribution with rate 1
    covered = 0
    for _ in range(2000):
        sample = sorted(generator.expovariate(1.0) for _ in range(n))
        interval = median_interval(sample)
        assert interval is not None
        covered += interval[0] <= true_median <= interval[1]
    assert 0.93 <= covered / 2000 <= 0.98


def test_summarize_durations() -> None:
    summary = summarize_durations([4.0, 1.0, 3.0, 2.0])
    assert (summary.count, summary.median_seconds, summary.p75_seconds) == (4, 2.5, 3.25)
    assert summary.p90_seconds == pytest.approx(3.7)
    assert summary.mean_seconds == 2.5
    assert summary.ci95_seconds == (1.0, 4.0)


def test_summarize_no_durations() -> None:
    assert summarize_durations([]) == DurationSummary(0, None, None, None, None, None)
