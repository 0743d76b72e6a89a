"""Ingestion use cases: source -> model objects -> idempotent upserts -> attribution."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from dorameter.config import Settings
from dorameter.errors import AlreadyRunning, InvalidInput
from dorameter.gc_pause import cycle_collection_paused
from dorameter.git_deployments import (
    DeploymentTarget,
    GitIngestOptions,
    missing_deployment_notes,
    read_deployments,
    stored_name,
    targets_for,
)
from dorameter.model import (
    Commit,
    Deployment,
    Incident,
    PipelineRun,
    PullRequest,
    PullRequestCommit,
    Review,
)
from dorameter.monorepo import PathPrefixes
from dorameter.read_ahead import read_ahead
from dorameter.sources import git
from dorameter.store import Store, UpsertCounts

CommitProgress = Callable[[int], None]


@dataclass(frozen=True)
class IngestReport:
    """What one ingestion added or changed, and anything the user should know about it."""

    source: str
    scope: str
    service: str | None = None
    commits_added: int = 0
    deployments: UpsertCounts = UpsertCounts()
    incidents: UpsertCounts = UpsertCounts()
    attributed: int = 0
    line_counts: int = 0
    deployments_matched: int = 0  # deployments the source showed this run
    services: tuple[str, ...] = ()  # the services the run measured (git: several in a monorepo)
    no_deployments: bool = False  # the deployment definition matched nothing at all
    notes: tuple[str, ...] = field(default_factory=tuple)


def ingest_git(
    store: Store,
    settings: Settings,
    options: GitIngestOptions,
    on_commits: CommitProgress | None = None,
) -> IngestReport:
    """Read a repository's new history and deployments into the store, then attribute."""
    repo = git.open_repository(options.path)
    name = stored_name(repo, options)
    targets = targets_for(options, settings.services, name)
    with store.exclusive(f"git:{name}") as mine:
        if not mine:
            raise AlreadyRunning(
                f"another dorameter process is ingesting {name!r} right now; "
                "this run left it alone (run again later to catch up)"
            )
        with cycle_collection_paused():
            return _ingest_git_locked(store, settings, options, repo, name, targets, on_commits)


def _ingest_git_locked(
    store: Store,
    settings: Settings,
    options: GitIngestOptions,
    repo: Path,
    name: str,
    targets: list[DeploymentTarget],
    on_commits: CommitProgress | None,
) -> IngestReport:
    _check_same_repository(store, repo, name)
    repository_id = store.ensure_repository(name, str(repo))
    cursor = store.read_cursor("git", name) or {}
    refs = git.read_refs(repo)  # before reading: what lands meanwhile is read next time
    tips = refs.tips
    seen = _still_present(repo, cursor.get("tips", []), tips)
    commits = git.read_commits(repo, name, exclude=seen, on_progress=on_commits)
    added = store.insert_commits(repository_id, read_ahead(commits))
    counted = _read_line_counts(store, repo, repository_id) if options.line_counts else 0
    touching = _declare_services(store, repo, name, repository_id, targets, added)
    read = read_deployments(repo, name, targets, options.environment, cursor, touching, refs.tags)
    found = [item for target in targets for item in read.found[target.service]]
    counts = store.upsert_deployments(found)
    attributed = store.attribute_pending(settings.backfill_horizon)
    position: dict[str, Any] = {"tips": tips, "location": str(repo)}
    if read.branch_tips:
        position["branch_tips"] = read.branch_tips
    store.write_cursor("git", name, position)
    notes = missing_deployment_notes(targets, read.found, refs.tags)
    return IngestReport(
        source="git",
        scope=name,
        service=targets[0].service if len(targets) == 1 else None,
        commits_added=added,
        deployments=counts,
        attributed=attributed,
        line_counts=counted,
        deployments_matched=len(found),
        no_deployments=len(notes) == len(targets),
        notes=notes,
        services=tuple(target.service for target in targets),
    )


def _still_present(repo: Path, previous: list[str], current: list[str]) -> list[str]:
    """The previous run's tips this repository still has (full shas).

    A tip that a ref points at now is there; only the others (a deleted branch, a force-push)
    are asked of git, so a run with nothing new starts no `git cat-file` at all.
    """
    current_tips = set(current)
    gone = [sha for sha in previous if sha not in current_tips]
    present = [sha for sha in previous if sha in current_tips]
    return present + git.existing_commits(repo, gone) if gone else present


def _declare_services(
    store: Store,
    repo: Path,
    name: str,
    repository_id: int,
    targets: list[DeploymentTarget],
    added: int,
) -> dict[PathPrefixes, set[str]]:
    """Record each service's paths (and team); read the changed files of commits lacking them.

    Returns, per prefix set of a branch-deployed service, the commits under it. Files are read
    only for repositories with path-defined services; commits stored before their files were
    known (by an older run or a platform sync) may have been attributed without them, so those
    services are walked again.
    """
    for target in targets:
        if target.prefixes is not None:
            store.set_service_paths(target.service, name, target.prefixes.prefixes)
    teams: dict[str, str | None] = {
        target.service: target.team for target in targets if target.team
    }
    if teams:
        store.set_service_teams(teams)
    if all(target.prefixes is None for target in targets):
        return {}
    missing = store.commits_without_paths(repository_id)
    store.set_commit_paths(
        repository_id, git.changed_paths(repo, missing), reattribute=len(missing) > added
    )
    # Only a branch-deployed service needs them here: a merge deploys the services it touched.
    on_branch = {target.prefixes for target in targets if target.prefixes and target.deploy_branch}
    return store.touching_commits(repository_id, on_branch)


def _read_line_counts(store: Store, repo: Path, repository_id: int) -> int:
    """Lines added and deleted for commits that lack them (only new ones after the first run)."""
    missing = store.commits_without_line_counts(repository_id)
    return store.set_line_counts(repository_id, git.line_stats(repo, missing))


def _check_same_repository(store: Store, repo: Path, name: str) -> None:
    """Refuse to mix two different histories under one name; a moved clone is fine."""
    cursor = store.read_cursor("git", name)
    if not cursor or cursor.get("location") == str(repo):
        return
    if cursor.get("tips") and not git.existing_commits(repo, cursor["tips"]):
        raise InvalidInput(
            f"a different repository named {name!r} is already stored "
            f"(from {cursor.get('location')}); pass --service NAME to store this one "
            "under another name"
        )


def record_deployments(
    store: Store, settings: Settings, items: Iterable[Deployment]
) -> IngestReport:
    """Store deployments a pipeline or a person reported, then attribute their commits."""
    counts = store.upsert_deployments(items)
    attributed = store.attribute_pending(settings.backfill_horizon)
    return IngestReport(
        source="record", scope="deployments", deployments=counts, attributed=attributed
    )


def record_incidents(store: Store, items: Iterable[Incident]) -> IngestReport:
    """Store incidents a pipeline, a tool or a person reported; what they leave out is kept."""
    counts = store.upsert_incidents(items, keep_unset=True)
    return IngestReport(source="record", scope="incidents", incidents=counts)


class DeliveryObjects(Protocol):
    """Model objects from one source run, grouped by kind (see demo.simulate.DeliveryBatch)."""

    commits: list[Commit]
    pull_requests: list[PullRequest]
    pull_request_commits: list[PullRequestCommit]
    reviews: list[Review]
    pipeline_runs: list[PipelineRun]
    deployments: list[Deployment]
    incidents: list[Incident]


def ingest_batch(
    store: Store, settings: Settings, batch: DeliveryObjects, attribute: bool = True
) -> IngestReport:
    """Store a source's model objects in dependency order (commits before what names them)."""
    added = 0
    for repository in sorted({commit.repository for commit in batch.commits}):
        repository_id = store.ensure_repository(repository)
        added += store.insert_commits(
            repository_id, (item for item in batch.commits if item.repository == repository)
        )
    store.upsert_pull_requests(batch.pull_requests)
    store.insert_pull_request_commits(batch.pull_request_commits)
    store.upsert_reviews(batch.reviews)
    store.upsert_pipeline_runs(batch.pipeline_runs)
    deployments = store.upsert_deployments(batch.deployments)
    incidents = store.upsert_incidents(batch.incidents)
    attributed = store.attribute_pending(settings.backfill_horizon) if attribute else 0
    return IngestReport(
        source="batch",
        scope=",".join(sorted({item.repository for item in batch.pull_requests})),
        commits_added=added,
        deployments=deployments,
        incidents=incidents,
        attributed=attributed,
        deployments_matched=len(batch.deployments),
    )
