"""The bottleneck: the stage with the largest median, named in one plain sentence."""

from __future__ import annotations

from collections.abc import Sequence

from dorameter.analysis.findings import Finding, FindingKind, duration_text
from dorameter.analysis.stages import Stage, StageSummary

_KIND = {
    Stage.CODING: FindingKind.SLOW_CODING,
    Stage.PICKUP: FindingKind.SLOW_PICKUP,
    Stage.REVIEW: FindingKind.SLOW_REVIEW,
    Stage.DEPLOY: FindingKind.SLOW_DEPLOY,
}
_WAIT = {
    Stage.CODING: "PRs take a median {median} from first commit to ready for review",
    Stage.PICKUP: "PRs wait a median {median} for a first review",
    Stage.REVIEW: "PRs spend a median {median} from first review to merge",
    Stage.DEPLOY: "Merged PRs wait a median {median} to reach production",
}


def bottleneck(summaries: Sequence[StageSummary]) -> StageSummary | None:
    """The stage with the largest median (the earlier stage on a tie); None without data."""
    known = [item for item in summaries if item.median_seconds is not None]
    if not known:
        return None
    return max(known, key=lambda item: (item.median_seconds, -list(Stage).index(item.stage)))


def bottleneck_finding(summary: StageSummary) -> Finding:
    """'PRs wait a median 19 h for a first review: 46% of lead time (p90 3 d, 120 PRs).'"""
    assert summary.median_seconds is not None
    sentence = _WAIT[summary.stage].format(median=duration_text(summary.median_seconds))
    share = f": {summary.share:.0%} of lead time" if summary.share is not None else ""
    p90 = duration_text(summary.p90_seconds or summary.median_seconds)
    return Finding(_KIND[summary.stage], f"{sentence}{share} (p90 {p90}, {summary.count} PRs).")
