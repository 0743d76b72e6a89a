"""Change lead time: from a change's start (PR start or author time) to its deployment's finish."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from dorameter.metrics.bands import Band, BandMetric, classify
from dorameter.metrics.stats import DurationSummary, summarize_durations
from dorameter.model import ChangeFact, DeploymentFact, Period


@dataclass(frozen=True)
class LeadTimeResult:
    """Lead time summary of one period and the counts of changes left out, and why."""

    summary: DurationSummary
    band: Band | None
    negative: int  # excluded, never clamped: clock skew or rewritten dates
    before_tracking: int  # shipped before tracking began (backfill horizon)
    merges: int  # merge commits are not changes themselves
    from_pr_start: int  # samples measured from their PR's first commit rather than author time


class Skip(StrEnum):
    """Why a shipped change gives no lead time sample."""

    MERGE = "merge"
    BEFORE_TRACKING = "before_tracking"
    NEGATIVE = "negative"


def lead_time_sample(change: ChangeFact, deployment: DeploymentFact) -> float | Skip:
    """Lead time of one change in seconds, or why it is not a sample (checked in that order)."""
    if change.is_merge:
        return Skip.MERGE
    if change.before_tracking:
        return Skip.BEFORE_TRACKING
    start = change.pr_start_time or change.author_time
    seconds = (deployment.finished_at - start).total_seconds()
    return Skip.NEGATIVE if seconds < 0 else seconds


def change_lead_time(
    changes: Iterable[ChangeFact],
    deployments: Mapping[int, DeploymentFact],
    period: Period,
    year: str,
) -> LeadTimeResult:
    """Lead time of the changes whose deployment finished in the period (zero is a sample)."""
    samples: list[float] = []
    skipped = dict.fromkeys(Skip, 0)
    from_pr_start = 0
    for change in changes:
        deployment = deployments.get(change.deployment_id)
        if deployment is None or not period.contains(deployment.finished_at):
            continue
        sample = lead_time_sample(change, deployment)
        if isinstance(sample, Skip):
            skipped[sample] += 1
            continue
        samples.append(sample)
        from_pr_start += change.pr_start_time is not None
    summary = summarize_durations(samples)
    return LeadTimeResult(
        summary=summary,
        band=classify(year, BandMetric.LEAD_TIME, summary.median_seconds),
        negative=skipped[Skip.NEGATIVE],
        before_tracking=skipped[Skip.BEFORE_TRACKING],
        merges=skipped[Skip.MERGE],
        from_pr_start=from_pr_start,
    )
