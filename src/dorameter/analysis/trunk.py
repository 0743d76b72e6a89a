"""Trunk-based flow: how long branches live and how often each developer merges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from dorameter.analysis.stages import PullRequestStages
from dorameter.metrics.stats import DurationSummary, summarize_durations
from dorameter.model import Period

LONG_LIVED = timedelta(days=3)


@dataclass(frozen=True)
class TrunkFlow:
    """Branch lifetime (first commit to merge), long-lived PRs and merges per developer-day."""

    branch_lifetime: DurationSummary
    long_lived: int  # merged PRs whose branch lived longer than the threshold
    long_lived_share: float | None
    long_lived_threshold_seconds: float
    active_developers: int  # distinct authors of PRs merged in the period
    merges_per_developer_per_day: float | None


def trunk_flow(
    stages: Sequence[PullRequestStages], period: Period, threshold: timedelta = LONG_LIVED
) -> TrunkFlow:
    """Trunk-based flow figures of the PRs merged in the period."""
    lifetimes = [v for item in stages if (v := item.cycle_seconds) is not None]
    limit = threshold.total_seconds()
    long_lived = sum(1 for lifetime in lifetimes if lifetime > limit)
    authors = {item.pull_request.author for item in stages}
    return TrunkFlow(
        branch_lifetime=summarize_durations(lifetimes),
        long_lived=long_lived,
        long_lived_share=long_lived / len(lifetimes) if lifetimes else None,
        long_lived_threshold_seconds=limit,
        active_developers=len(authors),
        merges_per_developer_per_day=len(stages) / len(authors) / period.days if authors else None,
    )
