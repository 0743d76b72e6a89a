"""The vocabulary of flow diagnosis: the pull requests and CI runs of a service, as loaded.

Part of the model (immutable facts, no I/O); kept beside model.py so that module stays a
readable size. The bulk (merged pull requests, their reviews, CI runs) are named tuples with
times in epoch microseconds; the few still-open pull requests keep datetimes. Reviews are
carried as they are: which reviewers are bots is decided by the analysis with the configured
patterns, so the same facts serve any settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from dorameter.model import PipelineRun
from dorameter.timestamps import micros


class ReviewFact(NamedTuple):
    """One review or review comment on a pull request: who, and when in epoch microseconds."""

    reviewer: str
    submitted_at: int


class PullRequestFact(NamedTuple):
    """A merged pull request with the moments its flow stages start and end, in epoch
    microseconds (`timestamps.moment` turns one into a datetime for display).

    `ready_at` is when it was opened ready for review, or left draft; `deployed_at` is the finish
    of the first successful production deployment of the service that shipped its merge commit
    (None: not deployed yet). A missing moment leaves the stages it bounds missing, never zero.

    A tuple with integer times, as CiRun: a large organisation's quarter has over 50,000 merged
    pull requests with 100,000 reviews, and building a frozen dataclass and five datetimes for
    each cost a report about a second; the stages need only differences and order.
    """

    external_id: str
    service: str
    number: int
    title: str
    author: str
    created_at: int
    ready_at: int
    merged_at: int
    first_commit_at: int | None = None
    deployed_at: int | None = None
    deployment_id: int | None = None
    reviews: tuple[ReviewFact, ...] = ()
    additions: int | None = None
    deletions: int | None = None
    was_draft: bool = False
    labels: tuple[str, ...] = ()
    url: str | None = None

    @property
    def size(self) -> int | None:
        """Lines added plus deleted (None when the source did not say)."""
        if self.additions is None and self.deletions is None:
            return None
        return (self.additions or 0) + (self.deletions or 0)


class CiRun(NamedTuple):
    """One CI run as CI feedback reads it: which pipeline ran on which commit, how it ended and
    when, in epoch microseconds (only differences and order are used).

    A tuple, not a dataclass, and no datetimes: a large organisation has over 100,000 runs in a
    quarter, and the store builds these straight from the driver's rows.
    """

    repository: str
    external_id: str
    name: str
    sha: str
    outcome: str  # a PipelineOutcome value
    attempt: int
    created_at: int
    started_at: int | None = None
    finished_at: int | None = None

    @classmethod
    def of(cls, run: PipelineRun) -> CiRun:
        """The CI facts of a run as a source reported it."""
        return cls(
            run.repository,
            run.external_id,
            run.name,
            run.sha,
            run.outcome.value,
            run.attempt,
            micros(run.created_at),
            micros(run.started_at) if run.started_at else None,
            micros(run.finished_at) if run.finished_at else None,
        )


@dataclass(frozen=True)
class OpenPullRequestFact:
    """A pull request still open at the period's end: opened before it, merged or closed only
    after it (or not yet). Only trunk-based flow reads these: without a merge there is no stage,
    lead time or batch to measure, and a PR closed without merging never counts as merged.
    """

    external_id: str
    service: str
    number: int
    title: str
    author: str
    created_at: datetime
    first_commit_at: datetime | None = None
    draft: bool = False
    url: str | None = None

    @property
    def started_at(self) -> datetime:
        """When its branch's life began: its first commit, or its opening if that is earlier
        or the commits are unknown (GitLab's are read only once a merge request merges)."""
        if self.first_commit_at is None:
            return self.created_at
        return min(self.first_commit_at, self.created_at)


@dataclass(frozen=True)
class FlowData:
    """Everything the flow diagnosis of one service needs for a period."""

    service: str
    pull_requests: tuple[PullRequestFact, ...] = ()  # merged in the period
    pipeline_runs: tuple[CiRun, ...] = ()  # created in the period
    open_pull_requests: tuple[OpenPullRequestFact, ...] = ()  # still open at the period's end
