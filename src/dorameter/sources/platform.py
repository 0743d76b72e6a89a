"""What the GitHub and GitLab sources share: what to read, how deployments are defined, and
the batches they yield.

A source reads one repository resource by resource (commits, pull requests, deployments, ...).
Each resource is a sequence of Batches: the records of one page and the position to resume
from once those records are stored. The sync stores a batch, then writes its position, so an
interrupted run resumes after the last stored page and never loses or duplicates a record.
Positions are plain JSON that only the source that wrote them interprets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any, Protocol

from dorameter.errors import InvalidInput
from dorameter.model import (
    Commit,
    Deployment,
    DeploymentStatus,
    Incident,
    IncidentRules,
    PipelineRun,
    PullRequest,
    PullRequestCommit,
    Review,
)

DEFAULT_SINCE = timedelta(days=180)


class Resource(StrEnum):
    """What a source reads, in the order the sync reads it."""

    COMMITS = "commits"
    PULL_REQUESTS = "pull_requests"
    DEPLOYMENTS = "deployments"
    PIPELINES = "pipelines"
    RELEASES = "releases"
    TAGS = "tags"
    INCIDENTS = "incidents"


class DeploymentKind(StrEnum):
    """Where a service's deployments are read from."""

    ENVIRONMENTS = "environments"  # the platform's deployments API; pattern: environment glob
    WORKFLOW = "workflow"  # GitHub: workflow runs whose name matches the pattern
    RELEASES = "releases"  # published releases (not drafts or pre-releases)
    TAGS = "tags"  # tags matching the pattern (default: version tags)
    BRANCH = "branch"  # every pull request merged into the branch named by the pattern


_NEEDS_PATTERN = (DeploymentKind.WORKFLOW, DeploymentKind.BRANCH)
_SPEC = re.compile(r"^(?P<kind>[a-z]+)(?::(?P<pattern>[^@]+))?(?:@(?P<environment>.+))?$")
SPEC_HELP = (
    "KIND[:PATTERN][@ENVIRONMENT], several separated by commas: environments[:GLOB], "
    "workflow:GLOB, releases, tags[:GLOB], branch:NAME"
)


@dataclass(frozen=True)
class DeploymentRule:
    """One definition of what a deployment is, e.g. `workflow:Deploy*@production`."""

    kind: DeploymentKind
    pattern: str | None = None
    environment: str = "production"  # where workflow, release, tag and merge deployments go

    def matches(self, name: str) -> bool:
        """Whether an environment or workflow name matches (any case; no pattern: all)."""
        return self.pattern is None or fnmatchcase(name.lower(), self.pattern.lower())

    def __str__(self) -> str:
        text = self.kind.value + (f":{self.pattern}" if self.pattern else "")
        return text if self.kind is DeploymentKind.ENVIRONMENTS else f"{text}@{self.environment}"


def parse_deployment_spec(spec: str | Sequence[str]) -> tuple[DeploymentRule, ...]:
    """Rules from `--deployments` values or a configuration list."""
    parts = [spec] if isinstance(spec, str) else list(spec)
    rules = [
        _parse_rule(item.strip()) for part in parts for item in part.split(",") if item.strip()
    ]
    if not rules:
        raise InvalidInput(f"the deployment definition is empty; use {SPEC_HELP}")
    return tuple(rules)


def _parse_rule(text: str) -> DeploymentRule:
    match = _SPEC.match(text)
    kinds = ", ".join(kind.value for kind in DeploymentKind)
    if not match or match["kind"] not in {kind.value for kind in DeploymentKind}:
        raise InvalidInput(f"unknown deployment definition {text!r}: use {SPEC_HELP} ({kinds})")
    kind = DeploymentKind(match["kind"])
    if kind in _NEEDS_PATTERN and not match["pattern"]:
        raise InvalidInput(f"{text!r} needs a pattern: {kind.value}:NAME")
    if kind is DeploymentKind.ENVIRONMENTS and match["environment"]:
        raise InvalidInput(
            f"{text!r}: environments come from the platform; filter them with "
            "environments:GLOB instead of @ENVIRONMENT"
        )
    environment = (match["environment"] or "production").strip()
    return DeploymentRule(kind, match["pattern"], environment)


def merge_deployment(
    pull_request: PullRequest, environment: str, service: str | None = None
) -> Deployment | None:
    """A merged pull or merge request as a deployment, when every merge to its base branch
    deploys (`branch:NAME`): external id <source>:<repository>/merges/<number>."""
    if pull_request.merged_at is None or pull_request.merge_commit_sha is None:
        return None
    return Deployment(
        service=service or pull_request.repository,
        environment=environment,
        sha=pull_request.merge_commit_sha,
        finished_at=pull_request.merged_at,
        external_id=f"{pull_request.source}:{pull_request.repository}/merges/{pull_request.number}",
        source=pull_request.source,
        repository=pull_request.repository,
        status=DeploymentStatus.SUCCESS,
        ref=pull_request.base_branch,
    )


@dataclass(frozen=True)
class RepositoryPlan:
    """What to read from one repository and how to name what it finds."""

    repository: str  # "owner/name" or "group/subgroup/project"
    service: str
    deployments: tuple[DeploymentRule, ...]
    since: datetime  # how far back a first run reads
    incidents: IncidentRules = IncidentRules()
    commit_horizon: timedelta = timedelta(days=30)  # commits read before `since`, for lead time

    def rules(self, kind: DeploymentKind) -> list[DeploymentRule]:
        return [rule for rule in self.deployments if rule.kind is kind]

    def resources(self) -> tuple[Resource, ...]:
        """The resources worth reading: deployments, releases and tags only when they deploy."""
        wanted = {
            Resource.DEPLOYMENTS: DeploymentKind.ENVIRONMENTS,
            Resource.RELEASES: DeploymentKind.RELEASES,
            Resource.TAGS: DeploymentKind.TAGS,
        }
        return tuple(
            resource
            for resource in Resource
            if resource not in wanted or self.rules(wanted[resource])
        )


@dataclass(frozen=True)
class Records:
    """Model objects read from one page of a resource."""

    commits: tuple[Commit, ...] = ()
    pull_requests: tuple[PullRequest, ...] = ()
    pull_request_commits: tuple[PullRequestCommit, ...] = ()
    reviews: tuple[Review, ...] = ()
    deployments: tuple[Deployment, ...] = ()
    pipeline_runs: tuple[PipelineRun, ...] = ()
    incidents: tuple[Incident, ...] = ()


@dataclass(frozen=True)
class Batch:
    """One page's records and where to resume once they are stored (None: do not move)."""

    records: Records = field(default_factory=Records)
    position: Any = None
    read: int = 0  # items the page held (for progress), stored or not


class PlatformSource(Protocol):
    """A platform API as the sync sees it."""

    platform: str  # "github", "gitlab": the cursor's source name

    def read(self, plan: RepositoryPlan, resource: Resource, position: Any) -> Iterator[Batch]:
        """The resource's batches after `position` (None: a first run from plan.since)."""
        ...
