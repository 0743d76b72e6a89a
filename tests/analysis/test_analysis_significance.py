"""95% intervals for changes: table cases, and coverage on simulated data with a known truth."""

from __future__ import annotations

import math
import random

import pytest

from dorameter.analysis.significance import median_change, rate_change


def test_rate_change_is_newcombes_interval() -> None:
    # Newcombe (1998), method 10 examples: 56/70 against 48/80 gives 0.0524 to 0.3339;
    # 0/10 against 0/20 gives -0.1611 to 0.2775 (here after minus before, so mirrored).
    change = rate_change(48, 80, 56, 70)
    empty = rate_change(0, 10, 0, 20)
    assert change is not None and empty is not None
    assert change.difference == pytest.approx(0.2)
    assert (change.low, change.high) == (
        pytest.approx(0.0524, abs=5e-5),
        pytest.approx(0.3339, abs=5e-5),
    )
    assert (empty.low, empty.high) == (
        pytest.approx(-0.2775, abs=5e-5),
        pytest.approx(0.1611, abs=5e-5),
    )
    assert change.clear and change.verdict == "clear increase"
    assert empty.verdict == "no clear change"


@pytest.mark.parametrize(
    ("counts", "verdict"),
    [
        ((1, 8, 2, 8), "no clear change"),
        ((0, 40, 0, 40), "no clear change"),
        ((30, 40, 2, 40), "clear decrease"),
    ],
)
def test_rate_change_verdicts(counts: tuple[int, int, int, int], verdict: str) -> None:
    change = rate_change(*counts)
    assert change is not None and change.verdict == verdict
    assert -1 <= change.low <= change.difference <= change.high <= 1


def test_no_trials_no_interval() -> None:
    assert rate_change(0, 0, 1, 4) is None
    assert median_change([], [1.0]) is None


def test_median_change_is_reproducible_and_sees_a_large_shift() -> None:
    before = [float(v) for v in range(10, 30)]
    after = [v + 50 for v in before]
    first, second = median_change(before, after), median_change(before, after)
    assert first == second and first is not None
    assert first.difference == 50 and first.clear and first.low > 30


def test_median_change_of_noise_is_no_clear_change() -> None:
    generator = random.Random(7)
    before = [generator.expovariate(1.0) for _ in range(12)]
    after = [generator.expovariate(1.0) for _ in range(12)]
    change = median_change(before, after)
    assert change is not None and change.verdict == "no clear change"


def test_bootstrap_interval_covers_the_true_median_difference() -> None:
    # Exponential lead times, median ln2/rate: true difference ln2 * (1/0.5 - 1/1.0) = ln2.
    generator = random.Random(2026)
    truth = math.log(2) * (2.0 - 1.0)
    trials, covered = 200, 0
    for trial in range(trials):
        before = [generator.expovariate(1.0) for _ in range(60)]
        after = [generator.expovariate(0.5) for _ in range(60)]
        change = median_change(before, after, seed=trial, resamples=400)
        assert change is not None
        covered += change.low <= truth <= change.high
    assert 0.90 <= covered / trials <= 0.99


def test_newcombe_interval_covers_the_true_rate_difference() -> None:
    generator = random.Random(11)
    p1, p2, n = 0.10, 0.25, 40
    trials, covered = 2000, 0
    for _ in range(trials):
        k1 = sum(generator.random() < p1 for _ in range(n))
        k2 = sum(generator.random() < p2 for _ in range(n))
        change = rate_change(k1, n, k2, n)
        assert change is not None
        covered += change.low <= p2 - p1 <= change.high
    assert 0.93 <= covered / trials <= 0.98
