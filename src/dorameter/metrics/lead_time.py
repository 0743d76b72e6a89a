"""Change lead time: from a change's start (PR start or author time) to its deployment's finish."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from dorameter.metrics.bands import Band, BandMetric, classify
from dorameter.metrics.stats import DurationSummary, summarize_durations
from dorameter.model import ChangeFact, DeploymentFact, Period
from dorameter.timestamps import micros


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
    return _sample(change, micros(deployment.finished_at))


def _sample(change: ChangeFact, finished_at: int) -> float | Skip:
    """lead_time_sample with the deployment's finish in epoch microseconds, as changes carry
    times: the seconds are exactly those of subtracting the datetimes."""
    if change.is_merge:
        return Skip.MERGE
    if change.before_tracking:
        return Skip.BEFORE_TRACKING
    start = change.pr_start_time or change.author_time
    seconds = (finished_at - start) / 1_000_000
    return Skip.NEGATIVE if seconds < 0 else seconds


@dataclass(frozen=True)
class LeadTimeSamples:
    """The lead times of the changes shipped in a period, by the deployment that shipped them,
    and the counts of changes left out: worked out once, read by the figures and the trend."""

    by_deployment: Mapping[int, Sequence[float]]  # deployments finished in the period only
    skipped: Mapping[Skip, int]
    from_pr_start: int  # samples measured from their PR's first commit rather than author time


def lead_time_samples(
    changes: Iterable[ChangeFact], deployments: Mapping[int, DeploymentFact], period: Period
) -> LeadTimeSamples:
    """Lead time of each change whose deployment finished in the period (zero is a sample)."""
    # Each finish converted once, not once per change it shipped.
    inside = {
        key: micros(item.finished_at)
        for key, item in deployments.items()
        if period.contains(item.finished_at)
    }
    by_deployment: dict[int, list[float]] = {}
    skipped = dict.fromkeys(Skip, 0)
    from_pr_start = 0
    for change in changes:
        finished_at = inside.get(change.deployment_id)
        if finished_at is None:
            continue
        sample = _sample(change, finished_at)
        if isinstance(sample, Skip):
            skipped[sample] += 1
            continue
        known = by_deployment.get(change.deployment_id)
        if known is None:
            by_deployment[change.deployment_id] = [sample]
        else:
            known.append(sample)
        from_pr_start += change.pr_start_time is not None
    return LeadTimeSamples(by_deployment, skipped, from_pr_start)


def change_lead_time(
    changes: Iterable[ChangeFact],
    deployments: Mapping[int, DeploymentFact],
    period: Period,
    year: str,
) -> LeadTimeResult:
    """Lead time of the changes whose deployment finished in the period (zero is a sample)."""
    return lead_time_figures(lead_time_samples(changes, deployments, period), year)


def lead_time_figures(samples: LeadTimeSamples, year: str) -> LeadTimeResult:
    """The lead time summary and band of a period's samples."""
    summary = summarize_durations(
        sample for found in samples.by_deployment.values() for sample in found
    )
    return LeadTimeResult(
        summary=summary,
        band=classify(year, BandMetric.LEAD_TIME, summary.median_seconds),
        negative=samples.skipped[Skip.NEGATIVE],
        before_tracking=samples.skipped[Skip.BEFORE_TRACKING],
        merges=samples.skipped[Skip.MERGE],
        from_pr_start=samples.from_pr_start,
    )
