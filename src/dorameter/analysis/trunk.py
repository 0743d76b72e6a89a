"""Trunk-based flow: how long branches live and how often each developer merges.

A pull request is long-lived when its branch lived longer than the threshold: a merged one from
its first commit to its merge, one still open at the period's end from its start to that end.
The open ones are the most telling (they are still waiting), so they count in the long-lived
share too: its population is the PRs merged in the period (with a known first commit) and
those still open at its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from dorameter.analysis.findings import Finding, FindingKind, duration_text
from dorameter.analysis.stages import PullRequestStages
from dorameter.flow_model import OpenPullRequestFact
from dorameter.metrics.stats import DurationSummary, summarize_durations
from dorameter.model import Period

LONG_LIVED = timedelta(days=3)
LONG_LIVED_SHARE = 0.25  # above this share, long-lived PRs are worth a finding
NAMED_OPEN = 3  # open PRs a finding names, oldest first


@dataclass(frozen=True)
class OpenPullRequestAge:
    """A pull request still open at the period's end, and how long its branch had lived."""

    pull_request: OpenPullRequestFact
    age_seconds: float


@dataclass(frozen=True)
class TrunkFlow:
    """Branch lifetime (first commit to merge), long-lived PRs and merges per developer-day."""

    branch_lifetime: DurationSummary  # merged PRs only
    long_lived: int  # merged and still open PRs whose branch lived longer than the threshold
    long_lived_share: float | None  # of the merged PRs with a known lifetime and the open ones
    long_lived_threshold_seconds: float
    active_developers: int  # distinct authors of PRs merged in the period
    merges_per_developer_per_day: float | None
    long_lived_merged: int
    open_at_end: int  # PRs still open at the period's end, of any age
    long_lived_open: tuple[OpenPullRequestAge, ...]  # oldest first

    @property
    def measured(self) -> int:
        """The long-lived share's population."""
        return self.branch_lifetime.count + self.open_at_end


def trunk_flow(
    stages: Sequence[PullRequestStages],
    period: Period,
    open_pull_requests: Sequence[OpenPullRequestFact] = (),
    threshold: timedelta = LONG_LIVED,
) -> TrunkFlow:
    """Trunk-based flow figures of the PRs merged in the period and those open at its end."""
    lifetimes = [v for item in stages if (v := item.cycle_seconds) is not None]
    limit = threshold.total_seconds()
    merged_long = sum(1 for lifetime in lifetimes if lifetime > limit)
    ages = [
        OpenPullRequestAge(item, (period.until - item.started_at).total_seconds())
        for item in open_pull_requests
    ]
    open_long = sorted(
        (age for age in ages if age.age_seconds > limit),
        key=lambda age: (-age.age_seconds, age.pull_request.external_id),
    )
    long_lived, measured = merged_long + len(open_long), len(lifetimes) + len(ages)
    authors = {item.pull_request.author for item in stages}
    return TrunkFlow(
        branch_lifetime=summarize_durations(lifetimes),
        long_lived=long_lived,
        long_lived_share=long_lived / measured if measured else None,
        long_lived_threshold_seconds=limit,
        active_developers=len(authors),
        merges_per_developer_per_day=len(stages) / len(authors) / period.days if authors else None,
        long_lived_merged=merged_long,
        open_at_end=len(ages),
        long_lived_open=tuple(open_long),
    )


def long_lived_finding(trunk: TrunkFlow) -> Finding | None:
    """'40% of PRs (4 of 10) lived longer than 3 days: 1 merged that late, 3 still open at the
    period's end: #12 Migrate billing (9.5 d), ...', when the share is worth saying."""
    share = trunk.long_lived_share
    if share is None or share <= LONG_LIVED_SHARE:
        return None
    days = f"{trunk.long_lived_threshold_seconds / 86400:g}"
    if not trunk.open_at_end:  # only merged PRs to speak of
        return Finding(
            FindingKind.LONG_LIVED_BRANCHES,
            f"{share:.0%} of merged PRs ({trunk.long_lived}) lived longer than {days} days "
            "from first commit to merge.",
        )
    message = (
        f"{share:.0%} of PRs ({trunk.long_lived} of {trunk.measured}, merged in the period or "
        f"still open at its end) lived longer than {days} days: {trunk.long_lived_merged} "
        f"merged that late, {len(trunk.long_lived_open)} still open"
    )
    return Finding(FindingKind.LONG_LIVED_BRANCHES, message + _named(trunk.long_lived_open) + ".")


def _named(ages: Sequence[OpenPullRequestAge]) -> str:
    if not ages:
        return ""
    names = [
        f"#{age.pull_request.number} {age.pull_request.title} ({duration_text(age.age_seconds)})"
        for age in ages[:NAMED_OPEN]
    ]
    more = f" and {len(ages) - NAMED_OPEN} more" if len(ages) > NAMED_OPEN else ""
    return ": " + ", ".join(names) + more
