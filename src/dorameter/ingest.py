"""Ingestion use cases: source -> model objects -> idempotent upserts -> attribution."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from dorameter.config import Settings
from dorameter.errors import AlreadyRunning, InvalidInput
from dorameter.model import (
    Commit,
    Deployment,
    Incident,
    PipelineRun,
    PullRequest,
    PullRequestCommit,
    Review,
)
from dorameter.sources import git
from dorameter.store import Store, UpsertCounts

CommitProgress = Callable[[int], None]


@dataclass(frozen=True)
class GitIngestOptions:
    """How to read one repository and what counts as a deployment in it."""

    path: Path
    service: str | None = None
    tag_pattern: str | None = None
    deploy_branch: str | None = None
    environment: str = "production"
    line_counts: bool = False  # lines added/deleted per commit: costly, so only when asked


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
    no_deployments: bool = False  # the deployment definition matched nothing at all
    notes: tuple[str, ...] = field(default_factory=tuple)


def ingest_git(
    store: Store,
    settings: Settings,
    options: GitIngestOptions,
    on_commits: CommitProgress | None = None,
) -> IngestReport:
    """Read a repository's new history and deployments into the store, then attribute."""
    if options.tag_pattern and options.deploy_branch:
        raise InvalidInput("give either --tag-pattern or --deploy-branch, not both")
    repo = git.open_repository(options.path)
    name = options.service or repository_name(repo)
    with store.exclusive(f"git:{name}") as mine:
        if not mine:
            raise AlreadyRunning(
                f"another dorameter process is ingesting {name!r} right now; "
                "this run left it alone (run again later to catch up)"
            )
        return _ingest_git_locked(store, settings, options, repo, name, on_commits)


def _ingest_git_locked(
    store: Store,
    settings: Settings,
    options: GitIngestOptions,
    repo: Path,
    name: str,
    on_commits: CommitProgress | None,
) -> IngestReport:
    _check_same_repository(store, repo, name)
    repository_id = store.ensure_repository(name, str(repo))
    cursor = store.read_cursor("git", name) or {}
    seen = git.existing_commits(repo, cursor.get("tips", []))
    tips = git.ref_tips(repo)  # before reading: whatever lands meanwhile is read again next time
    added = store.insert_commits(
        repository_id, git.read_commits(repo, name, exclude=seen, on_progress=on_commits)
    )
    counted = _read_line_counts(store, repo, repository_id) if options.line_counts else 0
    found, branch_tip = _git_deployments(repo, name, options, cursor)
    counts = store.upsert_deployments(found)
    attributed = store.attribute_pending(settings.backfill_horizon)
    position: dict[str, Any] = {"tips": tips, "location": str(repo)}
    if options.deploy_branch:
        position |= {"branch": options.deploy_branch, "branch_tip": branch_tip}
    store.write_cursor("git", name, position)
    return IngestReport(
        source="git",
        scope=name,
        service=name,
        commits_added=added,
        deployments=counts,
        attributed=attributed,
        line_counts=counted,
        deployments_matched=len(found),
        no_deployments=not found and not options.deploy_branch,
        notes=_git_notes(repo, options, len(found)),
    )


def _read_line_counts(store: Store, repo: Path, repository_id: int) -> int:
    """Lines added and deleted for commits that lack them (only new ones after the first run)."""
    missing = store.commits_without_line_counts(repository_id)
    return store.set_line_counts(repository_id, git.line_stats(repo, missing))


def repository_name(repo: Path) -> str:
    """A repository's name from its folder: /src/api or /src/api.git -> api."""
    folder = repo.parent if repo.name == ".git" else repo
    return folder.name.removesuffix(".git") or "repository"


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


def _git_deployments(
    repo: Path, name: str, options: GitIngestOptions, cursor: dict[str, Any]
) -> tuple[list[Deployment], str | None]:
    """The deployments git shows, and the deploy branch's tip when deploying from a branch.

    A branch can hold tens of thousands of deploys: after the first run only the first-parent
    commits that landed since the remembered tip are listed.
    """
    if options.deploy_branch:
        previous = (
            cursor.get("branch_tip") if cursor.get("branch") == options.deploy_branch else None
        )
        after = previous if previous and git.existing_commits(repo, [previous]) else None
        commits = git.first_parent_commits(repo, options.deploy_branch, after=after)
        tip = commits[0][0] if commits else after
        found = git.deployments_from_branch(
            commits, options.deploy_branch, name, name, options.environment
        )
        return found, tip
    matcher = git.tag_matcher(options.tag_pattern)
    tags = git.read_tags(repo)
    return git.deployments_from_tags(tags, matcher, name, name, options.environment), None


def _git_notes(repo: Path, options: GitIngestOptions, matched: int) -> tuple[str, ...]:
    if matched or options.deploy_branch:
        return ()
    tags = [tag.name for tag in git.read_tags(repo)]
    pattern = f"--tag-pattern {options.tag_pattern!r}" if options.tag_pattern else "version tags"
    if not tags:
        hint = "The repository has no tags: use --deploy-branch main (every merge to it a deploy)"
    else:
        sample = ", ".join(tags[:5]) + (", ..." if len(tags) > 5 else "")
        hint = f"Its tags are {sample}: use --tag-pattern GLOB or --deploy-branch BRANCH"
    return (f"No deployment found: {pattern} matched no tag. {hint}.",)


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
