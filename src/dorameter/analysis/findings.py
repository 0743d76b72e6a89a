"""What a diagnosis says in words: findings, each with the lever that usually moves it.

Levers are data, worded as suggestions about the process, never as verdicts on people.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FindingKind(StrEnum):
    """What a finding is about; each kind has one usual lever."""

    SLOW_CODING = "slow_coding"
    SLOW_PICKUP = "slow_pickup"
    SLOW_REVIEW = "slow_review"
    SLOW_DEPLOY = "slow_deploy"
    LARGE_BATCHES = "large_batches"
    LONG_LIVED_BRANCHES = "long_lived_branches"
    SLOW_CI = "slow_ci"
    FLAKY_CI = "flaky_ci"
    HIGH_FAIL_RATE = "high_fail_rate"
    SLOW_RECOVERY = "slow_recovery"
    UNBALANCED = "unbalanced"


LEVERS: dict[FindingKind, str] = {
    FindingKind.SLOW_CODING: (
        "Consider slicing work into smaller pull requests that can be opened for review early."
    ),
    FindingKind.SLOW_PICKUP: (
        "A review rotation and smaller pull requests usually shorten the wait for a first review."
    ),
    FindingKind.SLOW_REVIEW: (
        "Smaller pull requests and agreeing on review expectations usually shorten review rounds."
    ),
    FindingKind.SLOW_DEPLOY: (
        "Automating the release and deploying on merge usually removes most of this wait."
    ),
    FindingKind.LARGE_BATCHES: (
        "Smaller pull requests tend to be reviewed faster and to fail less often in production."
    ),
    FindingKind.LONG_LIVED_BRANCHES: (
        "Short-lived branches merged at least daily (feature flags for unfinished work) help."
    ),
    FindingKind.SLOW_CI: (
        "Caching, parallel jobs and running the slowest checks later usually speed up feedback."
    ),
    FindingKind.FLAKY_CI: (
        "Quarantining and fixing flaky tests restores trust in a red build and saves re-runs."
    ),
    FindingKind.HIGH_FAIL_RATE: (
        "Moving tests and checks earlier in CI usually catches more problems before production."
    ),
    FindingKind.SLOW_RECOVERY: ("Automated rollback and better alerting usually shorten recovery."),
    FindingKind.UNBALANCED: (
        "Consider pausing speed-ups until stability recovers: throughput and stability move "
        "together in healthy teams."
    ),
}


@dataclass(frozen=True)
class Finding:
    """One observation with its numbers in the message and the usual lever."""

    kind: FindingKind
    message: str

    @property
    def lever(self) -> str:
        return LEVERS[self.kind]


def duration_text(seconds: float) -> str:
    """A duration for a sentence: 45 min, 19 h, 3.5 d."""
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h".replace(".0 h", " h")
    return f"{seconds / 86400:.1f} d".replace(".0 d", " d")
