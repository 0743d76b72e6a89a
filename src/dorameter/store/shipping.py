"""Persist attribution: run the commit-graph walk for deployments not attributed yet."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, text, update
from sqlalchemy.engine import Connection, Engine

from dorameter.attribution import Attribution, ChainDeployment, CommitGraph, attribute_chain
from dorameter.monorepo import PathPrefixes
from dorameter.store.bulk import insert_new
from dorameter.store.rows import driver_rows
from dorameter.store.schema import commits, deployments, shipped, to_micros
from dorameter.store.writes import batched


@dataclass(frozen=True)
class Chain:
    """The deployments of one service to one environment from one repository."""

    service_id: int
    environment: str
    repository_id: int
    since: int  # finish time (micros) of the earliest deployment that needs attribution


@dataclass
class RepositoryGraph:
    """A repository's known commits: the parent graph, the id and author time (micros) of each
    sha, and per set of path prefixes (monorepo services) the shas that touch them, read once
    per attribution run."""

    graph: CommitGraph
    ids: dict[str, int]
    authored: dict[str, int]
    touching: dict[PathPrefixes, set[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class TrackingStart:
    """The chain's first deployment, whose commits authored before `cutoff` predate tracking."""

    deployment_id: int
    cutoff: int  # micros


class ShippingQueries:
    """Mixin for Store: keep the `shipped` table in step with deployments and commits."""

    engine: Engine

    if TYPE_CHECKING:  # provided by ServicePathQueries in Store

        def service_path_prefixes(
            self, service_id: int, repository_id: int
        ) -> PathPrefixes | None: ...
        def touching_commits(
            self, repository_id: int, prefix_sets: Iterable[PathPrefixes]
        ) -> dict[PathPrefixes, set[str]]: ...
        def repository_path_prefixes(self, repository_id: int) -> set[PathPrefixes]: ...

    def attribute_pending(self, horizon: timedelta) -> int:
        """Attribute every deployment not attributed yet; returns how many were (re)walked."""
        self._settle_unattributable()
        walked = 0
        graphs: dict[int, RepositoryGraph] = {}
        for chain in self._pending_chains():
            if chain.repository_id not in graphs:
                graphs[chain.repository_id] = self._load_graph(chain.repository_id)
            walked += self._attribute(chain, graphs[chain.repository_id], horizon)
        return walked

    def _settle_unattributable(self) -> None:
        """Failed attempts ship nothing; deployments without a repository cannot be walked.

        Either may have shipped commits before an update changed its status or repository:
        those rows and rollback facts go, or they would still count.
        """
        settled = and_(
            ~deployments.c.attributed,
            or_(deployments.c.status != "success", deployments.c.repository_id.is_(None)),
        )
        with self.engine.begin() as connection:
            connection.execute(
                delete(shipped).where(
                    shipped.c.deployment_id.in_(select(deployments.c.id).where(settled))
                )
            )
            connection.execute(
                update(deployments)
                .where(~deployments.c.attributed, deployments.c.status != "success")
                .values(
                    attributed=True,
                    version_missing=False,
                    shipped_rollback=False,
                    rollback_base_id=None,
                )
            )
            connection.execute(
                update(deployments)
                .where(~deployments.c.attributed, deployments.c.repository_id.is_(None))
                .values(
                    attributed=True,
                    version_missing=True,
                    shipped_rollback=False,
                    rollback_base_id=None,
                )
            )

    def _pending_chains(self) -> list[Chain]:
        query = (
            select(
                deployments.c.service_id,
                deployments.c.environment,
                deployments.c.repository_id,
                func.min(deployments.c.finished_at),
            )
            .where(~deployments.c.attributed)
            .group_by(
                deployments.c.service_id, deployments.c.environment, deployments.c.repository_id
            )
        )
        with self.engine.connect() as connection:
            return [Chain(*row) for row in connection.execute(query)]

    def _load_graph(self, repository_id: int) -> RepositoryGraph:
        query = select(commits.c.id, commits.c.sha, commits.c.parents, commits.c.author_time).where(
            commits.c.repository_id == repository_id
        )
        with self.engine.connect() as connection:
            # The driver's own tuples (times as micros): this reads every commit of the
            # repository, and SQLAlchemy's rows would cost more than the query.
            rows = driver_rows(connection, query)
        parents = {sha: tuple(parent_text.split()) for _, sha, parent_text, _ in rows}
        ids = {sha: commit_id for commit_id, sha, _, _ in rows}
        authored = {sha: author_time for _, sha, _, author_time in rows}
        return RepositoryGraph(CommitGraph(parents), ids, authored)

    def _attribute(self, chain: Chain, repo: RepositoryGraph, horizon: timedelta) -> int:
        touching = self._touching(chain, repo)
        with self.engine.begin() as connection:
            chain = _locked(connection, chain)
            if chain.since < 0:
                return 0  # another process attributed it meanwhile
            if touching is None:
                shipped_by, current, rank = _chain_state(connection, chain, repo.graph)
            else:
                shipped_by, current, rank = _replayed_state(connection, chain, repo.graph)
            later = _chain_deployments(connection, chain, since=chain.since)
            for chunk in batched([row.id for row in later], 500):
                connection.execute(delete(shipped).where(shipped.c.deployment_id.in_(chunk)))
            results = attribute_chain(later, repo.graph, shipped_by, current, rank)
            if touching is not None:
                results = [_only_touching(result, touching) for result in results]
            start = _tracking_start(connection, chain, results, horizon)
            _write_attributions(connection, results, repo, start)
        return len(results)

    def _touching(self, chain: Chain, repo: RepositoryGraph) -> set[str] | None:
        """The commits a path-defined service counts; None when it spans the whole repository."""
        prefixes = self.service_path_prefixes(chain.service_id, chain.repository_id)
        if prefixes is None:
            return None
        if prefixes not in repo.touching:  # every service of the repository in one read
            every = self.repository_path_prefixes(chain.repository_id) | {prefixes}
            repo.touching.update(self.touching_commits(chain.repository_id, every))
        return repo.touching[prefixes]


def _only_touching(result: Attribution, touching: set[str]) -> Attribution:
    """A monorepo service ships only the walked commits under its paths (metrics.md)."""
    return replace(result, shipped=tuple(sha for sha in result.shipped if sha in touching))


def _replayed_state(
    connection: Connection, chain: Chain, graph: CommitGraph
) -> tuple[dict[str, int], str | None, dict[int, int]]:
    """The walk state after the chain's deployments before `since`, walked again in memory.

    A path-defined service stores only the commits under its paths, but the walk must also
    know the other commits its deployments passed (to stop there, and to see that a version
    was deployed before: a rollback). Walking the earlier deployments again costs one pass
    over their history, as loading the graph does, so attribution stays linear.
    """
    earlier = _chain_deployments(connection, chain, before=chain.since)
    shipped_by: dict[str, int] = {}
    rank: dict[int, int] = {}
    attribute_chain(earlier, graph, shipped_by, None, rank)
    known = [graph.resolve(item.sha) for item in earlier]
    current = next((version for version in reversed(known) if version is not None), None)
    return shipped_by, current, rank


_CHAIN_LOCKS = 7_246_513  # advisory lock namespace: one attributing process per chain


def _locked(connection: Connection, chain: Chain) -> Chain:
    """Hold the chain's lock for this transaction (PostgreSQL) and re-read what is pending.

    Several processes may attribute on one PostgreSQL database; the lock serialises them per
    chain, and the second finds nothing left to do instead of writing shipped rows twice.
    SQLite has one writer at a time already.
    """
    if connection.dialect.name == "postgresql":
        key = zlib.crc32(f"{chain.service_id}:{chain.environment}:{chain.repository_id}".encode())
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"),
            {"space": _CHAIN_LOCKS, "key": key - 2**31},
        )
    since = connection.execute(
        select(func.min(deployments.c.finished_at)).where(
            deployments.c.service_id == chain.service_id,
            deployments.c.environment == chain.environment,
            deployments.c.repository_id == chain.repository_id,
            ~deployments.c.attributed,
        )
    ).scalar()
    return replace(chain, since=-1 if since is None else to_micros(since))


def _chain_filter(chain: Chain) -> Any:
    return and_(
        deployments.c.service_id == chain.service_id,
        deployments.c.environment == chain.environment,
        deployments.c.repository_id == chain.repository_id,
        deployments.c.status == "success",
    )


def _chain_deployments(
    connection: Connection, chain: Chain, since: int | None = None, before: int | None = None
) -> list[ChainDeployment]:
    """The chain's successful deployments finished in [since, before), in finish order."""
    query = (
        select(deployments.c.id, deployments.c.sha, deployments.c.rollback)
        .where(_chain_filter(chain))
        .order_by(deployments.c.finished_at, deployments.c.id)
    )
    if since is not None:
        query = query.where(deployments.c.finished_at >= since)
    if before is not None:
        query = query.where(deployments.c.finished_at < before)
    return [ChainDeployment(*row) for row in connection.execute(query)]


def _chain_state(
    connection: Connection, chain: Chain, graph: CommitGraph
) -> tuple[dict[str, int], str | None, dict[int, int]]:
    """What the chain's deployments before `since` shipped, the version they left live, and
    their order."""
    earlier = and_(_chain_filter(chain), deployments.c.finished_at < chain.since)
    query = (
        select(commits.c.sha, shipped.c.deployment_id)
        .select_from(
            shipped.join(deployments, deployments.c.id == shipped.c.deployment_id).join(
                commits, commits.c.id == shipped.c.commit_id
            )
        )
        .where(earlier)
    )
    shipped_by = {sha: deployment_id for sha, deployment_id in connection.execute(query)}
    # A deployment whose version is unknown left the previous version live (attribute_chain).
    last = connection.execute(
        select(deployments.c.sha)
        .where(earlier, ~deployments.c.version_missing)
        .order_by(deployments.c.finished_at.desc(), deployments.c.id.desc())
        .limit(1)
    ).scalar()
    order = (
        select(deployments.c.id)
        .where(earlier)
        .order_by(deployments.c.finished_at, deployments.c.id)
    )
    rank = {
        deployment_id: position
        for position, deployment_id in enumerate(connection.execute(order).scalars())
    }
    return shipped_by, (graph.resolve(last) if last else None), rank


def _write_attributions(
    connection: Connection,
    results: Sequence[Attribution],
    repo: RepositoryGraph,
    start: TrackingStart | None,
) -> None:
    """Insert what each deployment shipped and store its attribution facts."""
    first, cutoff = (start.deployment_id, start.cutoff) if start else (None, 0)
    ids, authored = repo.ids, repo.authored
    rows = (
        (result.deployment_id, ids[sha], result.deployment_id == first and authored[sha] < cutoff)
        for result in results
        for sha in result.shipped
    )
    insert_new(connection, "shipped", ("deployment_id", "commit_id", "before_tracking"), rows)
    facts = [
        {
            "deployment": result.deployment_id,
            "missing": result.version_missing,
            "went_back": result.rollback,
            "base": result.rollback_base_id,
        }
        for result in results
    ]
    statement = (
        update(deployments)
        .where(deployments.c.id == bindparam("deployment"))
        .values(
            attributed=True,
            version_missing=bindparam("missing"),
            shipped_rollback=bindparam("went_back"),
            rollback_base_id=bindparam("base"),
        )
    )
    for chunk in batched(facts):
        connection.execute(statement, chunk)


def _has_earlier(connection: Connection, chain: Chain) -> bool:
    """Whether a deployment before `since` already shipped the chain's first commits."""
    query = select(deployments.c.id).where(
        _chain_filter(chain),
        deployments.c.finished_at < chain.since,
        ~deployments.c.version_missing,
    )
    return connection.execute(query.limit(1)).first() is not None


def _tracking_start(
    connection: Connection, chain: Chain, results: Sequence[Attribution], horizon: timedelta
) -> TrackingStart | None:
    """The chain's first deployment, when it is among `results`: the commits it ships that are
    older than the horizon before it predate tracking.

    "First" is the first one whose version is known: the one that ships the old history.
    """
    if _has_earlier(connection, chain):
        return None
    first = next((result for result in results if not result.version_missing), None)
    if first is None:
        return None
    finished = connection.execute(
        select(deployments.c.finished_at).where(deployments.c.id == first.deployment_id)
    ).scalar_one()
    return TrackingStart(first.deployment_id, to_micros(finished - horizon))
