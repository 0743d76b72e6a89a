"""Builders for store tests: commits named by letters, deployments at hour offsets, and readers
that describe what the store attributed in the same vocabulary (external ids, commit names)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dorameter.model import Commit, Deployment, DeploymentStatus
from dorameter.store import Store, open_store
from dorameter.store.schema import commits, deployments, shipped
from tests.conftest import _postgres_database

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday
HORIZON = timedelta(days=30)
REPOSITORY = "shop"


def at(hours: float) -> datetime:
    """The moment `hours` after T0."""
    return T0 + timedelta(hours=hours)


def sha(name: str) -> str:
    """A stable full sha for a commit name."""
    return hashlib.sha1(name.encode()).hexdigest()


def commit(
    name: str,
    *parents: str,
    hours: float = 0.0,
    subject: str | None = None,
    reverts: str | None = None,
    full_sha: str | None = None,
) -> Commit:
    """Commit `name` with parents given by name, authored and committed `hours` after T0."""
    return Commit(
        repository=REPOSITORY,
        sha=full_sha or sha(name),
        parents=tuple(sha(parent) for parent in parents),
        author_name="Ada Lovelace",
        author_email="ada@example.com",
        author_time=at(hours),
        committer_time=at(hours),
        subject=subject or f"Commit {name}",
        reverts=reverts,
    )


def linear(*names: str, hours: float = -24.0) -> list[Commit]:
    """A straight line of commits, the first a root, authored an hour apart from `hours`."""
    return [
        commit(name, *(names[index - 1 : index]), hours=hours + index)
        for index, name in enumerate(names)
    ]


def deployment(
    external_id: str,
    version: str,
    hours: float,
    *,
    environment: str = "production",
    status: DeploymentStatus = DeploymentStatus.SUCCESS,
    rollback: bool = False,
    fixes: str | None = None,
    service: str = "shop",
) -> Deployment:
    """A deployment of the commit named `version` (or a full sha) finishing `hours` after T0."""
    return Deployment(
        service=service,
        environment=environment,
        sha=version if len(version) >= 7 else sha(version),
        finished_at=at(hours),
        external_id=external_id,
        source="test",
        repository=REPOSITORY,
        status=status,
        rollback=rollback,
        fixes=fixes,
    )


def feed(store: Store, history: Iterable[Commit] = (), found: Sequence[Deployment] = ()) -> int:
    """Insert commits and upsert deployments as an ingestion does, then attribute."""
    repository_id = store.ensure_repository(REPOSITORY)
    store.insert_commits(repository_id, history)
    store.upsert_deployments(found)
    return store.attribute_pending(HORIZON)


def shipped_sets(store: Store, names: Iterable[str]) -> dict[str, frozenset[str]]:
    """What each deployment shipped, as external id -> commit names."""
    return _shipped(store, names, only_before_tracking=False)


def before_tracking(store: Store, names: Iterable[str]) -> dict[str, frozenset[str]]:
    """The commits each deployment shipped that are marked as deployed before tracking."""
    return _shipped(store, names, only_before_tracking=True)


def _shipped(
    store: Store, names: Iterable[str], only_before_tracking: bool
) -> dict[str, frozenset[str]]:
    by_sha = {sha(name): name for name in names}
    query = select(deployments.c.external_id, commits.c.sha).select_from(
        shipped.join(deployments, deployments.c.id == shipped.c.deployment_id).join(
            commits, commits.c.id == shipped.c.commit_id
        )
    )
    if only_before_tracking:
        query = query.where(shipped.c.before_tracking)
    found: dict[str, set[str]] = {}
    with store.engine.connect() as connection:
        for external_id, commit_sha in connection.execute(query):
            found.setdefault(external_id, set()).add(by_sha.get(commit_sha, commit_sha))
    return {external_id: frozenset(shas) for external_id, shas in found.items()}


def verdicts(store: Store) -> dict[str, tuple[bool, bool, str | None, bool]]:
    """Per deployment: (attributed, version_missing, went back, external id of its base)."""
    base = deployments.alias("base")
    query = select(
        deployments.c.external_id,
        deployments.c.attributed,
        deployments.c.version_missing,
        deployments.c.shipped_rollback,
        base.c.external_id,
    ).outerjoin(base, base.c.id == deployments.c.rollback_base_id)
    with store.engine.connect() as connection:
        return {
            row[0]: (bool(row[1]), bool(row[2]), bool(row[3]), row[4])
            for row in connection.execute(query)
        }


def fresh_store_like(url: str, folder: str) -> Iterator[Store]:
    """An empty store on the same kind of database as `url` (for fixtures)."""
    if url.startswith("sqlite"):
        opened = open_store(f"sqlite:///{folder}/fresh.db")
        try:
            yield opened
        finally:
            opened.close()
        return
    databases = _postgres_database()
    try:
        opened = open_store(next(databases))
        try:
            yield opened
        finally:
            opened.close()
    finally:
        databases.close()
