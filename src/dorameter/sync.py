"""Sync use case: a platform's repositories -> model objects -> idempotent upserts -> attribution.

For each repository and resource the source yields batches (one API page each); the sync
stores a batch's records and only then writes the batch's position as the cursor
(source = platform, scope = "<repository>:<resource>"). A run stopped at any point (Ctrl-C, a
crash, the network gone) resumes after the last stored page; a record stored twice is the same
record, so nothing is duplicated and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any, Protocol

from dorameter.config import Settings
from dorameter.errors import AlreadyRunning, ApiForbidden, ApiNotFound, InvalidInput
from dorameter.model import Deployment, IncidentRules
from dorameter.monorepo import ServiceEntry
from dorameter.platform_settings import RepositoryEntry
from dorameter.sources.platform import (
    DeploymentRule,
    PlatformSource,
    Records,
    RepositoryPlan,
    Resource,
    ServiceDeployments,
)
from dorameter.store import Store, UpsertCounts

_GLOB = frozenset("*?[")


class SyncProgress(Protocol):
    """Where the sync reports what it is doing (the CLI draws progress bars)."""

    def started(self, repository: str, resource: Resource) -> None: ...

    def advanced(self, repository: str, resource: Resource, items: int) -> None: ...

    def finished(self, repository: str, resource: Resource) -> None: ...


class NoProgress:
    """Progress nobody watches."""

    def started(self, repository: str, resource: Resource) -> None:
        pass

    def advanced(self, repository: str, resource: Resource, items: int) -> None:
        pass

    def finished(self, repository: str, resource: Resource) -> None:
        pass


@dataclass(frozen=True)
class SyncCounts:
    """What one repository's sync added and changed, per kind of record."""

    commits_added: int = 0
    pull_requests: UpsertCounts = UpsertCounts()
    pull_request_commits_added: int = 0
    reviews: UpsertCounts = UpsertCounts()
    deployments: UpsertCounts = UpsertCounts()
    pipeline_runs: UpsertCounts = UpsertCounts()
    incidents: UpsertCounts = UpsertCounts()

    def __add__(self, other: SyncCounts) -> SyncCounts:
        return SyncCounts(
            *(getattr(self, item.name) + getattr(other, item.name) for item in fields(self))
        )


@dataclass(frozen=True)
class SyncReport:
    """What a sync of one repository did, and anything the user should know about it."""

    platform: str
    repository: str
    service: str
    counts: SyncCounts = SyncCounts()
    read: dict[str, int] = field(default_factory=dict)  # items read per resource
    attributed: int = 0
    notes: tuple[str, ...] = ()
    error: str | None = None  # why the repository could not be read (the others were)


@dataclass(frozen=True)
class SyncRequest:
    """What a user asked for on one platform; what they leave out comes from the settings."""

    platform: str
    repositories: tuple[str, ...] = ()  # paths or globs; none: the configured repositories
    since: datetime | None = None
    deployments: tuple[DeploymentRule, ...] | None = None
    service: str | None = None  # every repository into this one service
    incident_labels: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Target:
    """One repository to sync, the team owning its service, and the services defined by paths
    in it ([[services]]): their paths decide what their deployments ship."""

    plan: RepositoryPlan
    team: str | None = None
    path_services: tuple[ServiceEntry, ...] = ()


def plan_repositories(
    settings: Settings,
    request: SyncRequest,
    matching: Callable[[str], list[str]],
    now: datetime,
) -> list[Target]:
    """The repositories a request names (globs expanded by `matching`), each with its plan."""
    entries = [entry for entry in settings.repositories if entry.platform == request.platform]
    patterns = list(request.repositories) or [entry.pattern for entry in entries]
    if not patterns:
        raise InvalidInput(
            f"name a repository to read (OWNER/NAME) or list them as [[repositories]] with "
            f"{request.platform} = ... in the settings file"
        )
    paths: list[str] = []
    for pattern in patterns:
        found = matching(pattern) if _GLOB & set(pattern) else [pattern]
        if not found:
            raise InvalidInput(f"no {request.platform} repository matches {pattern!r}")
        paths += [path for path in found if path not in paths]
    return [_target(settings, request, entries, path, now) for path in paths]


def _target(
    settings: Settings,
    request: SyncRequest,
    entries: list[RepositoryEntry],
    path: str,
    now: datetime,
) -> Target:
    defaults = settings.platforms[request.platform]
    entry = next((e for e in entries if fnmatchcase(path.lower(), e.pattern.lower())), None)
    incidents = (entry.incidents if entry else None) or defaults.incidents
    if request.incident_labels is not None:
        incidents = IncidentRules(request.incident_labels, incidents.not_change_labels)
    in_path = tuple(service for service in settings.services if service.repository == path)
    plan = RepositoryPlan(
        repository=path,
        service=request.service or (entry.service_for(path) if entry else path),
        deployments=request.deployments
        or (entry.deployments if entry else None)
        or defaults.deployments,
        since=request.since or now - defaults.since,
        incidents=incidents,
        commit_horizon=settings.backfill_horizon,
        path_services=tuple(
            ServiceDeployments(service.name, service.deployments)
            for service in in_path
            if service.deployments
        ),
    )
    return Target(plan, entry.team if entry else None, in_path)


def sync_repositories(
    store: Store,
    settings: Settings,
    source: PlatformSource,
    targets: Sequence[Target],
    progress: SyncProgress | None = None,
) -> list[SyncReport]:
    """Sync each repository in turn, then attribute the deployments that came in."""
    teams: dict[str, str | None] = {
        target.plan.service: target.team for target in targets if target.team
    }
    for target in targets:
        teams |= _declare_path_services(store, target)
    if teams:
        store.set_service_teams(teams)
    watcher = progress or NoProgress()
    reports = []
    for target in targets:
        try:
            reports.append(_sync_alone(store, source, target.plan, watcher))
        except (ApiForbidden, ApiNotFound, AlreadyRunning) as error:
            if len(targets) == 1:
                raise
            # One repository the token cannot read must not stop an organisation's sync.
            plan = target.plan
            reports.append(
                SyncReport(source.platform, plan.repository, plan.service, error=str(error))
            )
    attributed = store.attribute_pending(settings.backfill_horizon)
    return [replace(report, attributed=attributed) for report in reports]


def _declare_path_services(store: Store, target: Target) -> dict[str, str | None]:
    """Record the paths of the repository's path services (what their deployments ship is
    only the commits under them, whichever source the deployments came from); their teams."""
    for service in target.path_services:
        store.set_service_paths(service.name, target.plan.repository, service.paths.prefixes)
    return {service.name: service.team for service in target.path_services if service.team}


def _sync_alone(
    store: Store, source: PlatformSource, plan: RepositoryPlan, progress: SyncProgress
) -> SyncReport:
    """Sync a repository unless another process (worker, server) is syncing it right now."""
    with store.exclusive(f"{source.platform}:{plan.repository}") as mine:
        if not mine:
            raise AlreadyRunning(
                f"another dorameter process is syncing {plan.repository} from "
                f"{source.platform} right now; this run left it alone"
            )
        return sync_repository(store, source, plan, progress)


def sync_repository(
    store: Store, source: PlatformSource, plan: RepositoryPlan, progress: SyncProgress
) -> SyncReport:
    """Read every resource of one repository from where the last run stopped."""
    repository_id = store.ensure_repository(plan.repository)
    total, read = SyncCounts(), {}
    first_run = True
    for resource in plan.resources():
        scope = f"{plan.repository}:{resource.value}"
        position = store.read_cursor(source.platform, scope)
        first_run = first_run and position is None
        progress.started(plan.repository, resource)
        read[resource.value] = 0
        for batch in source.read(plan, resource, position):
            total += store_records(store, repository_id, batch.records)
            if plan.path_services and batch.records.deployments:
                store.drop_lost_copies(repository_id, _copies(plan, batch.records.deployments))
            if batch.position is not None:
                store.write_cursor(source.platform, scope, batch.position)
            read[resource.value] += batch.read
            progress.advanced(plan.repository, resource, batch.read)
        progress.finished(plan.repository, resource)
    notes = _notes(plan, total) if first_run else ()
    return SyncReport(source.platform, plan.repository, plan.service, total, read, notes=notes)


def store_records(store: Store, repository_id: int, records: Records) -> SyncCounts:
    """Upsert one batch, parents before children: commits, then what names them."""
    counts: dict[str, Any] = {}
    if records.commits:
        counts["commits_added"] = store.insert_commits(repository_id, records.commits)
    if records.pull_requests:
        counts["pull_requests"] = store.upsert_pull_requests(records.pull_requests)
    if records.pull_request_commits:
        counts["pull_request_commits_added"] = store.insert_pull_request_commits(
            records.pull_request_commits
        )
    if records.reviews:
        counts["reviews"] = store.upsert_reviews(records.reviews)
    if records.deployments:
        counts["deployments"] = store.upsert_deployments(records.deployments)
    if records.pipeline_runs:
        counts["pipeline_runs"] = store.upsert_pipeline_runs(records.pipeline_runs)
    if records.incidents:
        counts["incidents"] = store.upsert_incidents(records.incidents)
    return SyncCounts(**counts)


def _copies(plan: RepositoryPlan, deployments: Sequence[Deployment]) -> dict[str, set[str]]:
    """Per platform deployment of a batch, the ids stored for it now (one per service): a
    copy stored before under another id is one its service no longer gets."""
    found: dict[str, set[str]] = {}
    for deployment in deployments:
        found.setdefault(plan.platform_id(deployment), set()).add(deployment.external_id)
    return found


def _notes(plan: RepositoryPlan, counts: SyncCounts) -> tuple[str, ...]:
    deployments = counts.deployments
    if deployments.added + deployments.updated + deployments.unchanged:
        return ()
    rules = ", ".join(str(rule) for rule in plan.deployments)
    return (
        f"No deployment found in {plan.repository} with --deployments {rules!r} since "
        f"{plan.since:%Y-%m-%d}: define them with environments, workflow:NAME, releases, "
        "tags[:GLOB] or branch:NAME (docs/github-gitlab.md)",
    )
