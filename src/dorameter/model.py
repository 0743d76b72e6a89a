"""The vocabulary of delivery data: frozen dataclasses and enums, no I/O.

Sources turn outside data into these objects; the store persists them; metrics read the
"facts" objects (rows the store has enriched with ids and attribution) and return results.
All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple


class DeploymentStatus(StrEnum):
    """Outcome of one deployment attempt."""

    SUCCESS = "success"
    FAILURE = "failure"
    CANCELLED = "cancelled"
    IN_PROGRESS = "in_progress"


class Tier(StrEnum):
    """What an environment is for; headline metrics use PRODUCTION only."""

    PRODUCTION = "production"
    STAGING = "staging"
    TESTING = "testing"
    DEVELOPMENT = "development"
    OTHER = "other"


class FailureReason(StrEnum):
    """Why a deployment counts as failed (metrics.md, change fail rate rules 1-4)."""

    INCIDENT_LINKED = "incident_linked"
    INCIDENT_WINDOW = "incident_window"
    ROLLED_BACK = "rolled_back"
    REVERTED = "reverted"
    HOTFIXED = "hotfixed"
    FIX_NAMED = "fix_named"


class UnplannedReason(StrEnum):
    """Why a deployment counts as unplanned (rework)."""

    ROLLBACK = "rollback"
    SHIPS_REVERT = "ships_revert"
    SHIPS_HOTFIX = "ships_hotfix"
    NAMED_FIX = "named_fix"


@dataclass(frozen=True)
class Period:
    """A half-open interval [since, until) in UTC."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ValueError("Period bounds must be timezone-aware")
        if self.until <= self.since:
            raise ValueError("Period must end after it starts")

    @property
    def days(self) -> float:
        return (self.until - self.since).total_seconds() / 86400

    def contains(self, moment: datetime) -> bool:
        return self.since <= moment < self.until

    @classmethod
    def last(cls, length: timedelta, until: datetime | None = None) -> Period:
        end = until or datetime.now(UTC)
        return cls(end - length, end)


# ---------------------------------------------------------------------------------------------
# What sources produce
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commit:
    """One git commit as read from a repository or an API."""

    repository: str
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_time: datetime
    committer_time: datetime
    subject: str
    reverts: str | None = None  # sha (possibly abbreviated) named by "This reverts commit <sha>"
    additions: int | None = None
    deletions: int | None = None
    files: int | None = None
    paths: tuple[str, ...] | None = None  # the files it changed; None: not read (monorepos)

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


@dataclass(frozen=True)
class Deployment:
    """One attempt to put a version of a service into an environment."""

    service: str
    environment: str
    sha: str
    finished_at: datetime
    external_id: str  # stable id from the source; re-ingesting the same id updates, never adds
    source: str
    repository: str | None = None
    started_at: datetime | None = None
    status: DeploymentStatus = DeploymentStatus.SUCCESS
    ref: str | None = None  # tag or branch name the version came from, when known
    rollback: bool = False  # the source says this deployment is a rollback
    fixes: str | None = None  # external id of the deployment or incident this one remediates
    # When the source reported this state (webhooks, CDEvents). Set: a report older than the
    # stored one never overwrites it, so events applied in any order end in the same state.
    # None (recorded by a person or pipeline): the latest write wins.
    observed_at: datetime | None = None


@dataclass(frozen=True)
class Incident:
    """A period of degraded service."""

    service: str
    external_id: str
    source: str
    started_at: datetime
    resolved_at: datetime | None = None
    title: str = ""
    severity: str | None = None
    caused_by_deployment: str | None = None  # deployment external id named by the incident
    caused_by_sha: str | None = None  # a version or commit named by the incident
    change_caused: bool | None = None  # False: explicitly not caused by a change; None: unknown
    # As for Deployment: when the source reported this state (None: the latest write wins).
    # With it, the earliest start seen is kept (a resolution may arrive before the trigger).
    observed_at: datetime | None = None


class PipelineOutcome(StrEnum):
    """How a CI/CD run ended."""

    SUCCESS = "success"
    FAILURE = "failure"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    IN_PROGRESS = "in_progress"


class ReviewState(StrEnum):
    """What a review said."""

    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    COMMENTED = "commented"
    DISMISSED = "dismissed"


@dataclass(frozen=True)
class Review:
    """A review or review comment on a pull request, by someone (maybe a bot)."""

    pull_request: str  # external id of the pull request, so a review may arrive before its PR
    external_id: str
    source: str
    reviewer: str
    state: ReviewState
    submitted_at: datetime


@dataclass(frozen=True)
class PullRequestCommit:
    """A commit as it was on the pull request's branch (squash and rebase merges rewrite it)."""

    pull_request: str
    sha: str
    author_time: datetime
    subject: str = ""


@dataclass(frozen=True)
class PullRequest:
    """A pull request (GitHub) or merge request (GitLab)."""

    repository: str
    number: int
    external_id: str  # e.g. "github:octo/shop#42"
    source: str
    title: str
    author: str
    created_at: datetime
    state: str = "open"  # open | closed | merged
    draft: bool = False
    ready_at: datetime | None = None  # left draft (None: never a draft, created ready)
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    merge_commit_sha: str | None = None
    base_branch: str | None = None
    head_branch: str | None = None
    additions: int | None = None
    deletions: int | None = None
    changed_files: int | None = None
    labels: tuple[str, ...] = ()
    first_commit_at: datetime | None = None  # earliest author time of its commits, when known
    url: str | None = None
    updated_at: datetime | None = None

    @property
    def is_revert(self) -> bool:
        return self.title.startswith(('Revert "', "Revert '"))


@dataclass(frozen=True)
class PipelineRun:
    """One CI/CD run (GitHub Actions workflow run, GitLab pipeline, ...)."""

    repository: str
    external_id: str
    source: str
    name: str
    sha: str
    outcome: PipelineOutcome
    created_at: datetime  # queued
    branch: str | None = None
    event: str | None = None
    attempt: int = 1
    started_at: datetime | None = None
    finished_at: datetime | None = None
    url: str | None = None


@dataclass(frozen=True)
class Resolution:
    """A request to mark a stored incident resolved (the push API's PATCH)."""

    incident: str  # external id
    resolved_at: datetime


@dataclass(frozen=True)
class EventRecords:
    """What one received event means, as model objects; empty when it means nothing to us."""

    deployments: tuple[Deployment, ...] = ()
    incidents: tuple[Incident, ...] = ()
    resolutions: tuple[Resolution, ...] = ()
    pull_requests: tuple[PullRequest, ...] = ()
    pull_request_commits: tuple[PullRequestCommit, ...] = ()
    reviews: tuple[Review, ...] = ()
    pipeline_runs: tuple[PipelineRun, ...] = ()
    ignored: str | None = None  # why nothing is stored (an event type we do not use, a ping)

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.deployments,
                self.incidents,
                self.resolutions,
                self.pull_requests,
                self.pull_request_commits,
                self.reviews,
                self.pipeline_runs,
            )
        )


# ---------------------------------------------------------------------------------------------
# What the store hands to metrics (stored rows with ids and attribution facts)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeploymentFact:
    """A successful deployment of one service to one environment, with attribution facts."""

    id: int
    service: str
    environment: str
    sha: str
    finished_at: datetime
    external_id: str
    rollback: bool = False  # explicit flag, or its version had already been shipped
    rollback_base_id: int | None = (
        None  # the deployment that first shipped the version it went back to
    )
    fixes_deployment_id: int | None = None  # named as the fix of this deployment
    fixes_incident_id: int | None = None  # named as the fix of this incident


class ChangeFact(NamedTuple):
    """A commit shipped by a deployment (merge commits included, flagged).

    A named tuple with times in epoch microseconds, not a frozen dataclass with datetimes: a
    large organisation's report builds 150,000 of these, and lead time needs only differences.
    """

    deployment_id: int
    sha: str
    author_time: int  # epoch microseconds
    subject: str
    is_merge: bool
    reverted_deployment_id: int | None = None  # the deployment that shipped the commit this reverts
    before_tracking: bool = False  # older than the backfill horizon before the first deployment
    pr_start_time: int | None = None  # the PR's earliest commit author time (epoch micros)


@dataclass(frozen=True)
class IncidentFact:
    """A stored incident, with its explicit link to a deployment already resolved."""

    id: int
    service: str
    external_id: str
    started_at: datetime
    resolved_at: datetime | None
    title: str = ""
    linked_deployment_id: int | None = None
    change_caused: bool | None = None
    severity: str | None = None
    caused_by_sha: str | None = None  # the commit it names, shown when no deployment shipped it


@dataclass(frozen=True)
class FailureSettings:
    """Patterns and windows that decide what counts as a failure; see metrics.md."""

    window: timedelta = timedelta(hours=24)
    hotfix_pattern: str = r"(?i)hotfix"


@dataclass(frozen=True)
class DeploymentOutcome:
    """The verdict on one deployment: failed or not, why, and when it recovered."""

    deployment: DeploymentFact
    failure_reasons: tuple[FailureReason, ...] = ()
    recovered_at: datetime | None = None
    unplanned_reasons: tuple[UnplannedReason, ...] = ()
    incidents: tuple[int, ...] = ()  # ids of the incidents that failed it (rules 1 and 2)

    @property
    def failed(self) -> bool:
        return bool(self.failure_reasons)

    @property
    def unplanned(self) -> bool:
        return bool(self.unplanned_reasons)


@dataclass(frozen=True)
class IncidentRules:
    """Which issues on GitHub or GitLab are incidents, read from their labels (any case).

    GitLab issues of type incident count whatever their labels. A label in `not_change_labels`
    marks an incident a change did not cause (never counted as a deployment failure); a label
    like "sev1" or "severity::high" gives its severity ("1", "high").
    """

    labels: tuple[str, ...] = ("incident",)
    not_change_labels: tuple[str, ...] = ("not-change-caused",)

    def is_incident(self, labels: Iterable[str]) -> bool:
        wanted = {label.lower() for label in self.labels}
        return any(label.lower() in wanted for label in labels)

    def change_caused(self, labels: Iterable[str]) -> bool | None:
        """False when a label says no change caused it; None (unknown) otherwise."""
        unrelated = {label.lower() for label in self.not_change_labels}
        return False if any(label.lower() in unrelated for label in labels) else None

    @staticmethod
    def severity(labels: Iterable[str]) -> str | None:
        for label in labels:
            if match := _SEVERITY_LABEL.match(label):
                return match.group(1)
        return None


_SEVERITY_LABEL = re.compile(r"(?i)^sev(?:erity)?[\s:_/=-]*(\w[\w-]*)$")


@dataclass(frozen=True)
class BotRules:
    """Accounts whose reviews never count as a review (regular expressions, searched)."""

    patterns: tuple[str, ...] = (r"\[bot\]$",)

    def is_bot(self, account: str) -> bool:
        return any(re.search(pattern, account) for pattern in self.patterns)


@dataclass(frozen=True)
class DeliveryData:
    """Everything the metrics of one service need, as loaded by the store for a period."""

    service: str
    deployments: tuple[DeploymentFact, ...]  # all successful production deployments in reach
    changes: tuple[ChangeFact, ...]  # commits shipped by those deployments
    incidents: tuple[IncidentFact, ...]
    attempts_failed: int = 0  # failed/cancelled deployment attempts in the period
    has_pr_data: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
