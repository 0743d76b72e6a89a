"""Idempotent writes: every record is keyed by a stable external id or (repository, sha)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, islice
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

from dorameter.errors import InvalidInput, NotFound
from dorameter.model import Commit, Deployment, DeploymentStatus, Incident
from dorameter.store.bulk import insert_ignoring_duplicates
from dorameter.store.reverts import FULL_SHA, expand_short_reverts
from dorameter.store.schema import (
    commits,
    cursors,
    deployments,
    incidents,
    repositories,
    service_paths,
    services,
    to_micros,
)

BATCH = 5000
_BATCHES_PER_TRANSACTION = 10  # commits stored per transaction: 50,000
T = TypeVar("T")


@dataclass(frozen=True)
class UpsertCounts:
    """How many records a write added, changed, or found already as they were."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.added + other.added,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


def batched(items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    """Lists of at most `size` items, so huge histories never sit in memory at once."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def dialect_insert(engine: Engine, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that supports ON CONFLICT on both SQLite and PostgreSQL."""
    # Lazy, and only the dialect in use: the PostgreSQL dialect module (asyncio with it) costs
    # a command ~35 ms, and SQLite stores never need it.
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert  # noqa: PLC0415

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert  # noqa: PLC0415

    return sqlite_insert(table)


class WriteQueries:
    """Mixin for Store: idempotent upserts of delivery records."""

    engine: Engine

    def ensure_repository(self, name: str, location: str | None = None) -> int:
        """The id of the named repository, creating it when new."""
        with self.engine.begin() as connection:
            return _ensure_named(self.engine, connection, repositories, name, location=location)

    def ensure_service(self, name: str) -> int:
        """The id of the named service, creating it when new."""
        with self.engine.begin() as connection:
            return _ensure_named(self.engine, connection, services, name)

    def set_service_teams(self, teams: dict[str, str | None]) -> None:
        """Record which team owns each named service (creating services when new)."""
        with self.engine.begin() as connection:
            for service, team in teams.items():
                service_id = _ensure_named(self.engine, connection, services, service)
                connection.execute(
                    update(services).where(services.c.id == service_id).values(team=team)
                )

    def service_teams(self) -> dict[str, str | None]:
        """Each stored service's team (None when it has none)."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(services.c.name, services.c.team))
            return {name: team for name, team in rows}

    def insert_commits(self, repository_id: int, items: Iterable[Commit]) -> int:
        """Store commits not seen before (commits never change); returns how many were new."""
        added = 0
        short: dict[str, str] = {}  # sha -> the abbreviated sha its message says it reverts
        chunks = batched(items)
        for first in chunks:
            # Several batches per transaction: on SQLite each commit may checkpoint the WAL
            # (two fsyncs), yet other writers should not wait for more than a few seconds.
            with self.engine.begin() as connection:
                for chunk in chain([first], islice(chunks, _BATCHES_PER_TRANSACTION - 1)):
                    rows = [_commit_row(repository_id, commit) for commit in chunk]
                    added += insert_ignoring_duplicates(
                        connection,
                        "commits",
                        COMMIT_COLUMNS,
                        rows,
                        ("repository_id", "sha"),
                        mostly_new=True,
                    )
                    short.update(
                        (commit.sha, commit.reverts)
                        for commit in chunk
                        if commit.reverts is not None and len(commit.reverts) < FULL_SHA
                    )
        if added:
            self._resolve_short_reverts(repository_id, short, added)
            self._retry_missing_versions(repository_id)
        return added

    def commits_without_line_counts(self, repository_id: int) -> list[str]:
        """Shas of the repository's commits whose line counts were never read."""
        query = select(commits.c.sha).where(
            commits.c.repository_id == repository_id, commits.c.additions.is_(None)
        )
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def set_line_counts(
        self, repository_id: int, counts: Iterable[tuple[str, int, int, int]]
    ) -> int:
        """Store (sha, added, deleted, files) for commits; returns how many were updated."""
        statement = (
            update(commits)
            .where(commits.c.repository_id == repository_id, commits.c.sha == bindparam("key"))
            .values(
                additions=bindparam("added"),
                deletions=bindparam("deleted"),
                files=bindparam("changed"),
            )
        )
        updated = 0
        for chunk in batched(counts, 2000):
            rows = [
                {"key": sha, "added": added, "deleted": deleted, "changed": files}
                for sha, added, deleted, files in chunk
            ]
            with self.engine.begin() as connection:
                connection.execute(statement, rows)
            updated += len(rows)
        return updated

    def _resolve_short_reverts(
        self, repository_id: int, given: Mapping[str, str], added: int
    ) -> None:
        """Expand abbreviated shas named by revert messages to full ones when unambiguous."""
        with self.engine.begin() as connection:
            expand_short_reverts(connection, repository_id, given, added)

    def _retry_missing_versions(self, repository_id: int) -> None:
        """New commits may contain versions that deployments named before we knew them."""
        with self.engine.begin() as connection:
            connection.execute(
                update(deployments)
                .where(deployments.c.repository_id == repository_id, deployments.c.version_missing)
                .values(attributed=False)
            )

    def upsert_deployments(self, items: Iterable[Deployment]) -> UpsertCounts:
        """Insert new deployments and update changed ones, keyed by external id."""
        total = UpsertCounts()
        for chunk in batched(items, 1000):
            with self.engine.begin() as connection:
                names = NameIds(self.engine, connection)
                rows = [_deployment_row(names, item) for item in chunk]
                total += upsert_rows(connection, deployments, rows, _DEPLOYMENT_FACTS)
        return total

    def upsert_incidents(self, items: Iterable[Incident], keep_unset: bool = False) -> UpsertCounts:
        """Insert new incidents and update changed ones, keyed by external id.

        With keep_unset, a field the new record leaves empty (no resolution, no severity, no
        cause) keeps its stored value: a person re-recording an incident did not unresolve it.
        """
        keep = _INCIDENT_OPTIONAL if keep_unset else ()
        total = UpsertCounts()
        for chunk in batched(items, 1000):
            with self.engine.begin() as connection:
                names = NameIds(self.engine, connection)
                rows = [_incident_row(names, item) for item in chunk]
                total += upsert_rows(connection, incidents, rows, (), keep)
        return total

    def resolve_incident(self, external_id: str, resolved_at: datetime) -> None:
        """Set an incident's resolution time; NotFound when no incident has that id."""
        with self.engine.begin() as connection:
            row = connection.execute(
                select(incidents.c.id, incidents.c.started_at).where(
                    incidents.c.external_id == external_id
                )
            ).first()
            if row is None:
                raise NotFound(f"no incident with id {external_id!r}; record it first")
            if resolved_at < row.started_at:
                raise InvalidInput(
                    f"the resolution {resolved_at.isoformat()} is before the incident started "
                    f"({row.started_at.isoformat()})"
                )
            connection.execute(
                update(incidents).where(incidents.c.id == row.id).values(resolved_at=resolved_at)
            )

    def read_cursor(self, source: str, scope: str) -> Any:
        """The stored sync position of a source for a scope (JSON value), or None."""
        with self.engine.connect() as connection:
            value = connection.execute(
                select(cursors.c.value).where(cursors.c.source == source, cursors.c.scope == scope)
            ).scalar()
        return None if value is None else json.loads(value)

    def write_cursor(self, source: str, scope: str, value: Any) -> None:
        """Remember a source's sync position, replacing the previous one."""
        row = {
            "source": source,
            "scope": scope,
            "value": json.dumps(value),
            "updated_at": to_micros(datetime.now(UTC)),
        }
        statement = dialect_insert(self.engine, cursors)
        statement = statement.on_conflict_do_update(
            index_elements=["source", "scope"],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )
        with self.engine.begin() as connection:
            connection.execute(statement, row)


class NameIds:
    """Get-or-create ids of named rows (services, repositories) within one transaction."""

    def __init__(self, engine: Engine, connection: Connection) -> None:
        self._engine = engine
        self._connection = connection
        self._known: dict[tuple[str, str], int] = {}

    def service(self, name: str) -> int:
        return self._id(services, name)

    def repository(self, name: str | None) -> int | None:
        return None if name is None else self._id(repositories, name)

    def deployment_repository(self, item: Deployment, service_id: int) -> int | None:
        """The repository a deployment names; a source that names none but the service itself
        (`record deployment` without --repository, the push API, CDEvents) means the one
        repository the service is defined in by paths, when it is a monorepo service."""
        if item.repository == item.service:
            key = ("service_paths", item.service)
            if key not in self._known:
                owners = self._connection.execute(
                    select(service_paths.c.repository_id).where(
                        service_paths.c.service_id == service_id
                    )
                ).scalars()
                found = list(owners)
                self._known[key] = found[0] if len(found) == 1 else -1
            if self._known[key] >= 0:
                return self._known[key]
        return self.repository(item.repository or None)

    def _id(self, table: Any, name: str) -> int:
        key = (table.name, name)
        if key not in self._known:
            self._known[key] = _ensure_named(self._engine, self._connection, table, name)
        return self._known[key]


def _deployment_row(names: NameIds, item: Deployment) -> dict[str, Any]:
    service_id = names.service(item.service)
    return {
        "external_id": item.external_id,
        "source": item.source,
        "service_id": service_id,
        "environment": item.environment,
        "repository_id": names.deployment_repository(item, service_id),
        "sha": item.sha,
        "ref": item.ref,
        "started_at": optional_micros(item.started_at),
        "finished_at": to_micros(item.finished_at),
        "status": DeploymentStatus(item.status).value,
        "rollback": item.rollback,
        "fixes": item.fixes,
    }


def _incident_row(names: NameIds, item: Incident) -> dict[str, Any]:
    return {
        "external_id": item.external_id,
        "source": item.source,
        "service_id": names.service(item.service),
        "started_at": to_micros(item.started_at),
        "resolved_at": optional_micros(item.resolved_at),
        "title": item.title,
        "severity": item.severity,
        "caused_by_deployment": item.caused_by_deployment,
        "caused_by_sha": item.caused_by_sha,
        "change_caused": item.change_caused,
    }


# Columns whose change invalidates a deployment's attribution (which commits it shipped).
_DEPLOYMENT_FACTS = ("sha", "finished_at", "status", "environment", "service_id", "repository_id")


_INCIDENT_OPTIONAL = (
    "resolved_at",
    "severity",
    "caused_by_deployment",
    "caused_by_sha",
    "change_caused",
)


def upsert_rows(
    connection: Connection,
    table: Any,
    rows: Sequence[dict[str, Any]],
    facts: Sequence[str],
    keep_unset: Sequence[str] = (),
) -> UpsertCounts:
    """Insert new rows and update changed ones; changing a fact resets attribution.

    Columns in `keep_unset` keep their stored value when the new row has None there.
    """
    latest = {row["external_id"]: row for row in rows}  # a repeated id: the last one wins
    existing = {
        row.external_id: row._mapping
        for row in connection.execute(select(table).where(table.c.external_id.in_(list(latest))))
    }
    updated = unchanged = 0
    new_rows: dict[str, dict[str, Any]] = {}
    for external_id, row in latest.items():
        old = existing.get(external_id)
        if old is None:
            new_rows[external_id] = row
            continue
        changes = {
            key: value
            for key, value in row.items()
            if _stored(old[key]) != value and not (value is None and key in keep_unset)
        }
        if not changes:
            unchanged += 1
            continue
        if any(key in facts for key in changes):
            changes["attributed"] = False
            _reset_chain_after(connection, old)
        connection.execute(update(table).where(table.c.id == old["id"]).values(**changes))
        updated += 1
    counts = UpsertCounts(0, updated, unchanged)
    if new_rows:
        counts += _insert_new(connection, table, new_rows, facts, keep_unset)
    return counts


def _insert_new(
    connection: Connection,
    table: Any,
    new_rows: dict[str, dict[str, Any]],
    facts: Sequence[str],
    keep_unset: Sequence[str],
) -> UpsertCounts:
    """Insert rows new to us; one another writer inserted meanwhile is upserted instead.

    Several processes (servers, ingestion workers) may write one PostgreSQL database at once:
    ON CONFLICT waits for the other transaction and skips the row, so it is neither duplicated
    nor an error, and the second pass applies this writer's version of it.
    """
    defaults = _new_row_defaults(table)
    statement = (
        dialect_insert(connection.engine, table)
        .on_conflict_do_nothing(index_elements=["external_id"])
        .returning(table.c.external_id)
    )
    inserted = set(
        connection.execute(statement, [defaults | row for row in new_rows.values()]).scalars()
    )
    raced = [row for external_id, row in new_rows.items() if external_id not in inserted]
    counts = UpsertCounts(added=len(inserted))
    if raced:
        counts += upsert_rows(connection, table, raced, facts, keep_unset)
    return counts


def _reset_chain_after(connection: Connection, old: Any) -> None:
    """A deployment that moved or changed invalidates what later ones of its old chain shipped."""
    connection.execute(
        update(deployments)
        .where(
            deployments.c.service_id == old["service_id"],
            deployments.c.environment == old["environment"],
            deployments.c.finished_at >= to_micros(old["finished_at"]),
        )
        .values(attributed=False)
    )


def _stored(value: Any) -> Any:
    """Stored values come back as datetimes; compare them as the micros we write."""
    return to_micros(value) if isinstance(value, datetime) else value


def _new_row_defaults(table: Any) -> dict[str, Any]:
    if table is deployments:
        return {
            "attributed": False,
            "version_missing": False,
            "shipped_rollback": False,
            "rollback_base_id": None,
        }
    return {}


def optional_micros(moment: datetime | None) -> int | None:
    return None if moment is None else to_micros(moment)


COMMIT_COLUMNS = (
    "repository_id",
    "sha",
    "parents",
    "author_name",
    "author_email",
    "author_time",
    "committer_time",
    "subject",
    "reverts",
    "additions",
    "deletions",
    "files",
    "paths",
)


def _commit_row(repository_id: int, commit: Commit) -> tuple[Any, ...]:
    return (
        repository_id,
        commit.sha,
        " ".join(commit.parents),
        commit.author_name,
        commit.author_email,
        to_micros(commit.author_time),
        to_micros(commit.committer_time),
        commit.subject,
        commit.reverts,
        commit.additions,
        commit.deletions,
        commit.files,
        None if commit.paths is None else "\n".join(commit.paths),
    )


def _ensure_named(
    engine: Engine, connection: Connection, table: Any, name: str, **extra: Any
) -> int:
    """Get-or-create a row by unique name inside the caller's transaction."""
    found = connection.execute(select(table.c.id).where(table.c.name == name)).scalar()
    if found is not None:
        return int(found)
    statement = dialect_insert(engine, table).values(name=name, **extra)
    connection.execute(statement.on_conflict_do_nothing(index_elements=["name"]))
    return int(connection.execute(select(table.c.id).where(table.c.name == name)).scalar_one())


__all__ = ["UpsertCounts", "WriteQueries", "batched", "dialect_insert"]
