"""Where a pull request's lead time goes: coding, pickup, review and deploy (metrics.md).

coding: first commit to ready for review (opened ready, or left draft); pickup: ready to the
first review by someone other than the author and not a bot, given at or after ready (a review
of the draft does not end the wait); review: that first review to merge; deploy: merge to the
finish of the production deployment that shipped the merge commit. A stage that cannot be known
is missing (None), never zero; a negative stage (clock skew) is missing too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import NamedTuple, Protocol

from dorameter.flow_model import PullRequestFact
from dorameter.metrics.stats import quantile
from dorameter.model import BotRules


class Stage(StrEnum):
    """The four stages of a pull request's lead time, in order."""

    CODING = "coding"
    PICKUP = "pickup"
    REVIEW = "review"
    DEPLOY = "deploy"


class PullRequestStages(NamedTuple):
    """One pull request's stage durations in seconds (None: missing) and its lead time.

    A tuple, as its fact: a report builds one per merged pull request (over 50,000).
    """

    pull_request: PullRequestFact
    coding: float | None
    pickup: float | None
    review: float | None
    deploy: float | None

    def duration(self, stage: Stage) -> float | None:
        value: float | None = getattr(self, stage.value)  # each stage's field bears its name
        return value

    @property
    def lead_seconds(self) -> float | None:
        """First commit to deployment (None when either end is unknown)."""
        return _seconds(self.pull_request.first_commit_at, self.pull_request.deployed_at)

    @property
    def cycle_seconds(self) -> float | None:
        """First commit to merge: the branch's lifetime."""
        return _seconds(self.pull_request.first_commit_at, self.pull_request.merged_at)


@dataclass(frozen=True)
class StageSummary:
    """Median, p75, p90 of one stage over the PRs where it is known, and its share of the total.

    The share is the stage's median over the sum of the four stages' medians, so the shares of
    the known stages add up to 1 and read as "where the typical PR's time goes".
    """

    stage: Stage
    count: int
    median_seconds: float | None
    p75_seconds: float | None
    p90_seconds: float | None
    share: float | None


class BotCheck(Protocol):
    """Says whether an account is a bot: BotRules, or KnownBots."""

    def is_bot(self, account: str) -> bool: ...


class KnownBots:
    """BotRules with each account's answer remembered: a report asks about the same reviewers
    tens of thousands of times, and each question runs every pattern."""

    def __init__(self, rules: BotRules) -> None:
        self.is_bot = cache(rules.is_bot)


def first_review_at(pull_request: PullRequestFact, bots: BotCheck) -> int | None:
    """When (epoch microseconds) the first review at or after ready by neither the author nor
    a bot was given; the earliest such, whatever order the reviews come in."""
    ready_at, author = pull_request.ready_at, pull_request.author
    first: int | None = None
    for reviewer, submitted_at in pull_request.reviews:
        if submitted_at < ready_at or (first is not None and submitted_at >= first):
            continue
        if reviewer == author or bots.is_bot(reviewer):
            continue
        first = submitted_at
    return first


def pull_request_stages(pull_request: PullRequestFact, bots: BotCheck) -> PullRequestStages:
    """The four stage durations of one merged pull request."""
    reviewed = first_review_at(pull_request, bots)
    ready_at, merged_at = pull_request.ready_at, pull_request.merged_at
    return PullRequestStages(
        pull_request=pull_request,
        coding=_seconds(pull_request.first_commit_at, ready_at),
        pickup=_seconds(ready_at, reviewed),
        review=_seconds(reviewed, merged_at),
        deploy=_seconds(merged_at, pull_request.deployed_at),
    )


def summarize_stages(stages: Sequence[PullRequestStages]) -> tuple[StageSummary, ...]:
    """Each stage's distribution over the pull requests where it is known."""
    # Each stage's field read directly (duration() looks the field up by the enum's value).
    values = {
        Stage.CODING: sorted(v for item in stages if (v := item.coding) is not None),
        Stage.PICKUP: sorted(v for item in stages if (v := item.pickup) is not None),
        Stage.REVIEW: sorted(v for item in stages if (v := item.review) is not None),
        Stage.DEPLOY: sorted(v for item in stages if (v := item.deploy) is not None),
    }
    medians = {stage: quantile(found, 0.5) if found else None for stage, found in values.items()}
    total = sum(median for median in medians.values() if median is not None)
    return tuple(
        StageSummary(
            stage=stage,
            count=len(found),
            median_seconds=medians[stage],
            p75_seconds=quantile(found, 0.75) if found else None,
            p90_seconds=quantile(found, 0.9) if found else None,
            share=(medians[stage] or 0.0) / total if found and total > 0 else None,
        )
        for stage, found in values.items()
    )


def _seconds(start: int | None, end: int | None) -> float | None:
    """Seconds from one epoch-microsecond moment to another: exactly what subtracting the
    datetimes and taking total_seconds() gives."""
    if start is None or end is None or end < start:
        return None
    return (end - start) / 1_000_000
