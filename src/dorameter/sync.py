"""Sync use case: a platform's repositories -> model objects -> idempotent upserts -> attribution.

For each repository and resource the source yields batches (one API page each); the sync
stores a batch's records and only then writes the batch's position as the cursor
(source = platform, scope = "<repository>:<resource>"). A run stopped at any point (Ctrl-C, a
crash, the network gone) resumes after the last stored page; a record stored twice is the same
record, so nothing is duplicated and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Protocol

from dorameter.config import Settings
from dorameter.sources.platform import PlatformSource, Records, RepositoryPlan, Resource
from dorameter.store import Store, UpsertCounts


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


def sync_repositories(
    store: Store,
    settings: Settings,
    source: PlatformSource,
    plans: Sequence[RepositoryPlan],
    progress: SyncProgress | None = None,
    teams: dict[str, str | None] | None = None,
) -> list[SyncReport]:
    """Sync each repository in turn, then attribute the deployments that came in."""
    if teams:
        store.set_service_teams(teams)
    reports = [sync_repository(store, source, plan, progress or NoProgress()) for plan in plans]
    attributed = store.attribute_pending(settings.backfill_horizon)
    return [replace(report, attributed=attributed) for report in reports]


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
