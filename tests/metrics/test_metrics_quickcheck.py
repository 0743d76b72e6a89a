"""The DORA Quick Check scale: buckets, linear percentages and means."""

from __future__ import annotations

from dataclasses import astuple

import pytest
from metrics_support import DAY, HOUR, MONTH, SIX_MONTHS, WEEK

from dorameter.metrics.quickcheck import (
    QuickCheck,
    duration_score,
    frequency_score,
    quick_check,
    share_score,
)


@pytest.mark.parametrize(
    ("seconds", "score"),
    [
        (0.0, 10.0),
        (HOUR - 1, 10.0),
        (HOUR, 8.0),
        (DAY - 1, 8.0),
        (DAY, 6.0),
        (WEEK - 1, 6.0),
        (WEEK, 4.0),
        (MONTH - 1, 4.0),
        (MONTH, 2.0),
        (SIX_MONTHS - 1, 2.0),
        (SIX_MONTHS, 0.0),
        (None, None),
    ],
)
def test_duration_score(seconds: float | None, score: float | None) -> None:
    assert duration_score(seconds) == score


@pytest.mark.parametrize(
    ("per_day", "score"),
    [
        (100.0, 10.0),
        (24.0, 10.0),
        (23.9, 8.0),
        (1.0, 8.0),
        (0.99, 6.0),
        (1 / 7, 6.0),
        (1 / 8, 4.0),
        (1 / 30, 4.0),
        (1 / 31, 2.0),
        (1 / 182.5, 2.0),
        (1 / 183, 0.0),
        (0.0, 0.0),
        (None, None),
    ],
)
def test_frequency_score(per_day: float | None, score: float | None) -> None:
    assert frequency_score(per_day) == score


@pytest.mark.parametrize(
    ("rate", "score"), [(0.0, 10.0), (0.25, 7.5), (0.1, 9.0), (1.0, 0.0), (None, None)]
)
def test_share_score(rate: float | None, score: float | None) -> None:
    assert share_score(rate) == pytest.approx(score)


def test_quick_check_means() -> None:
    result = quick_check(2.0, 2 * HOUR, 30 * 60.0, 0.1, 0.2)
    # frequency, lead time, recovery, change fail rate, rework, throughput, stability, overall
    assert astuple(result) == pytest.approx((8.0, 8.0, 10.0, 9.0, 8.0, 26 / 3, 8.5, 8.6))


def test_quick_check_with_partial_data() -> None:
    result = quick_check(2.0, None, None, None, None)
    assert (result.throughput, result.stability, result.overall) == (8.0, None, 8.0)


def test_quick_check_without_data() -> None:
    assert quick_check(None, None, None, None, None) == QuickCheck(*([None] * 8))
