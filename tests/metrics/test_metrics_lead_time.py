"""Change lead time: samples, exclusions and the counts behind them."""

from __future__ import annotations

import pytest
from metrics_support import DAY, change, deployment, period

from dorameter.metrics.bands import Band
from dorameter.metrics.lead_time import (
    Skip,
    change_lead_time,
    lead_time_figures,
    lead_time_sample,
    lead_time_samples,
)
from dorameter.model import ChangeFact

# Deployment 1 finishes 10 days into a 30-day period; deployment 2 after it.
DEPLOYMENTS = {1: deployment(1, 240), 2: deployment(2, 24 * 40)}
PERIOD = period(30)


def test_change_lead_time_counts_every_exclusion() -> None:
    changes = [
        change(1, 216),  # 1 day
        change(1, 240),  # zero is a valid sample
        change(1, 264),  # negative: excluded, counted
        change(1, 200, "Merge pull request #1", is_merge=True),
        change(1, 0, "Old commit", before_tracking=True),
        change(1, 228, "Squashed PR", pr_start_hours=192),  # 2 days from the PR's first commit
        change(2, 900),  # deployed after the period
        change(3, 100),  # deployment not loaded
    ]
    result = change_lead_time(changes, DEPLOYMENTS, PERIOD, "2023")
    assert result.summary.count == 3
    assert result.summary.median_seconds == DAY
    assert result.summary.mean_seconds == DAY
    assert result.summary.p90_seconds == pytest.approx(1.8 * DAY)
    assert (result.negative, result.before_tracking, result.merges) == (1, 1, 1)
    assert result.from_pr_start == 1
    assert result.band is Band.HIGH  # exactly one day is not "under one day"


def test_lead_time_samples_are_kept_by_deployment_for_the_trend() -> None:
    changes = [
        change(1, 216),  # 1 day
        change(1, 264),  # negative
        change(1, 228, "Squashed PR", pr_start_hours=192),  # 2 days
        change(2, 900),  # deployed after the period: no samples at all
    ]
    samples = lead_time_samples(changes, DEPLOYMENTS, PERIOD)
    assert samples.by_deployment == {1: [DAY, 2 * DAY]}
    assert samples.skipped[Skip.NEGATIVE] == 1
    assert samples.from_pr_start == 1
    assert lead_time_figures(samples, "2023") == change_lead_time(
        changes, DEPLOYMENTS, PERIOD, "2023"
    )


@pytest.mark.parametrize(
    ("change_fact", "expected"),
    [
        (change(1, 239), 3600.0),
        (change(1, 240), 0.0),
        (change(1, 241), Skip.NEGATIVE),
        (change(1, 100, is_merge=True), Skip.MERGE),
        (change(1, 100, is_merge=True, before_tracking=True), Skip.MERGE),
        (change(1, 100, before_tracking=True), Skip.BEFORE_TRACKING),
        (change(1, 239, pr_start_hours=216), DAY),
        (change(1, 250, pr_start_hours=216), DAY),  # the PR start wins over a later author time
        (change(1, 230, pr_start_hours=241), Skip.NEGATIVE),
    ],
)
def test_lead_time_sample(change_fact: ChangeFact, expected: float | Skip) -> None:
    assert lead_time_sample(change_fact, DEPLOYMENTS[1]) == expected


def test_no_samples_has_no_band() -> None:
    result = change_lead_time([change(1, 300)], DEPLOYMENTS, PERIOD, "2023")
    assert result.summary.count == 0
    assert result.summary.median_seconds is None
    assert result.band is None
    assert result.negative == 1


@pytest.mark.parametrize(("year", "band"), [("2019", Band.ELITE), ("2021", Band.HIGH)])
def test_lead_time_band_follows_the_year(year: str, band: Band) -> None:
    result = change_lead_time([change(1, 238)], DEPLOYMENTS, PERIOD, year)
    assert result.band is band
