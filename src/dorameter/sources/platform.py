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
from dataclasses import dataclass, field, replace
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
    RELEASES = "releases"  # published releases (not drafts or pre-releases); pattern: tag glob
    TAGS = "tags"  # tags matching the pattern (default: version tags)
    BRANCH = "branch"  # every pull request merged into the branch named by the pattern


_NEEDS_PATTERN = (DeploymentKind.WORKFLOW, DeploymentKind.BRANCH)
_SPEC = re.compile(r"^(?P<kind>[a-z]+)(?::(?P<pattern>[^@]+))?(?:@(?P<environment>.+))?$")
SPEC_HELP = (
    "KIND[:PATTERN][@ENVIRONMENT], several separated by commas: environments[:GLOB], "
    "workflow:GLOB, releases[:GLOB], tags[:GLOB], branch:NAME"
)


@dataclass(frozen=True)
class DeploymentRule:
    """One definition of what a deployment is, e.g. `workflow:Deploy*@production`."""

    kind: DeploymentKind
    pattern: str | None = None
    environment: str = "production"  # where workflow, release, tag and merge deployments go

    def matches(self, name: str) -> bool:
        """Whether a deployment's name matches: an environment or workflow glob (any case), a
        tag or release's tag glob (exact case, as git's tags), a base branch (exactly); no
        pattern matches all, but tags then match only version tags."""
        if self.kind is DeploymentKind.TAGS:
            # Imported here: sources.git (subprocess, git's log parser) would cost every
            # command's start-up, and only tag definitions need its matcher.
            from dorameter.sources.git import tag_matcher  # noqa: PLC0415 (start-up time)

            return tag_matcher(self.pattern)(name)
        if self.pattern is None:
            return True
        if self.kind is DeploymentKind.BRANCH:
            return name == self.pattern
        if self.kind is DeploymentKind.RELEASES:
            return fnmatchcase(name, self.pattern)
        return fnmatchcase(name.lower(), self.pattern.lower())

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
class ServiceDeployments:
    """A service defined by paths in the repository ([[services]]) and the definitions of the
    platform deployments that are its own."""

    service: str
    rules: tuple[DeploymentRule, ...]


COPY_MARK = "#"  # external id of a further service's copy: <platform id>#<service>


@dataclass(frozen=True)
class Assignment:
    """A service one platform deployment belongs to, and how its record differs for it."""

    service: str
    environment: str | None  # None: the platform's environment (environments definitions)
    suffix: str = ""  # the first service keeps the platform's id; further ones get a copy

    def apply(self, deployment: Deployment) -> Deployment:
        return replace(
            deployment,
            service=self.service,
            environment=self.environment or deployment.environment,
            external_id=deployment.external_id + self.suffix,
        )


@dataclass(frozen=True)
class RepositoryPlan:
    """What to read from one repository and how to name what it finds."""

    repository: str  # "owner/name" or "group/subgroup/project"
    service: str
    deployments: tuple[DeploymentRule, ...]  # the repository's service's definitions
    since: datetime  # how far back a first run reads
    incidents: IncidentRules = IncidentRules()
    commit_horizon: timedelta = timedelta(days=30)  # commits read before `since`, for lead time
    path_services: tuple[ServiceDeployments, ...] = ()  # with definitions of their own

    def rules(self, kind: DeploymentKind) -> list[DeploymentRule]:
        """Every definition of a kind, the path services' too: what the source must read."""
        every = [*self.deployments, *(rule for own in self.path_services for rule in own.rules)]
        return [rule for rule in every if rule.kind is kind]

    def assign(self, kind: DeploymentKind, name: str) -> tuple[Assignment, ...]:
        """The services a platform deployment belongs to, by the name its definitions match
        (environment, workflow, tag, release tag or base branch): each path service whose
        definitions match it, else the repository's service when its own do, else none (it
        is no deployment). The first path service by name keeps the platform's id, so a
        deployment read again after the definitions changed moves instead of doubling."""
        claimed = sorted(
            (
                (own.service, rule)
                for own in self.path_services
                if (rule := _first_match(own.rules, kind, name))
            ),
            key=lambda item: item[0],
        )
        if not claimed:
            rule = _first_match(self.deployments, kind, name)
            return () if rule is None else (Assignment(self.service, _environment(rule)),)
        return tuple(
            Assignment(service, _environment(rule), f"{COPY_MARK}{service}" if index else "")
            for index, (service, rule) in enumerate(claimed)
        )

    def platform_id(self, deployment: Deployment) -> str:
        """The platform's own id of a deployment this plan assigned (a copy's without its
        suffix)."""
        if deployment.service in {own.service for own in self.path_services}:
            return deployment.external_id.removesuffix(COPY_MARK + deployment.service)
        return deployment.external_id

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


def _first_match(
    rules: Sequence[DeploymentRule], kind: DeploymentKind, name: str
) -> DeploymentRule | None:
    return next((rule for rule in rules if rule.kind is kind and rule.matches(name)), None)


def _environment(rule: DeploymentRule) -> str | None:
    return None if rule.kind is DeploymentKind.ENVIRONMENTS else rule.environment


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
