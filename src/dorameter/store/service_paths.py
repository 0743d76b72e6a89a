"""Monorepo services: which path prefixes a service owns in a repository, which files each
commit changed, so attribution can count only the commits under a service's paths, and the
copies of platform deployments that several path services share."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Connection, Engine

from dorameter.monorepo import PathPrefixes
from dorameter.store.schema import commits, deployments, service_paths, services, shipped
from dorameter.store.writes import batched


class ServicePathQueries:
    """Mixin for Store: service path prefixes and the changed files of commits."""

    engine: Engine

    if TYPE_CHECKING:  # provided by WriteQueries in Store

        def ensure_repository(self, name: str, location: str | None = None) -> int: ...
        def ensure_service(self, name: str) -> int: ...

    def set_service_paths(self, service: str, repository: str, prefixes: Sequence[str]) -> bool:
        """Record the prefixes a service owns in a repository (none: the whole repository).

        When they change, the service's deployments from that repository are attributed again,
        because what they shipped depends on them. Returns whether anything changed.
        """
        service_id = self.ensure_service(service)
        repository_id = self.ensure_repository(repository)
        wanted = PathPrefixes(tuple(prefixes)).stored() if prefixes else None
        key = (service_paths.c.service_id == service_id) & (
            service_paths.c.repository_id == repository_id
        )
        with self.engine.begin() as connection:
            # Workers declaring the same monorepo service at once (scale-out on PostgreSQL):
            # the service row's lock makes the second wait, then find the first's prefixes,
            # instead of both inserting them. SQLite runs one writer at a time anyway.
            connection.execute(
                select(services.c.id).where(services.c.id == service_id).with_for_update()
            )
            stored = connection.execute(select(service_paths.c.prefixes).where(key)).scalar()
            if stored == wanted:
                return False
            connection.execute(delete(service_paths).where(key))
            if wanted is not None:
                connection.execute(
                    service_paths.insert().values(
                        service_id=service_id, repository_id=repository_id, prefixes=wanted
                    )
                )
            _reattribute(connection, service_id, repository_id)
        return True

    def service_path_prefixes(self, service_id: int, repository_id: int) -> PathPrefixes | None:
        """The prefixes of a service in a repository; None when it spans the whole repository."""
        query = select(service_paths.c.prefixes).where(
            service_paths.c.service_id == service_id,
            service_paths.c.repository_id == repository_id,
        )
        with self.engine.connect() as connection:
            stored = connection.execute(query).scalar()
        return None if stored is None else PathPrefixes.from_stored(stored)

    def has_path_services(self, repository_id: int) -> bool:
        """Whether any service of the repository is defined by path prefixes."""
        query = select(service_paths.c.service_id).where(
            service_paths.c.repository_id == repository_id
        )
        with self.engine.connect() as connection:
            return connection.execute(query.limit(1)).first() is not None

    def commits_without_paths(self, repository_id: int) -> list[str]:
        """Shas of the repository's commits whose changed files were never read."""
        query = select(commits.c.sha).where(
            commits.c.repository_id == repository_id, commits.c.paths.is_(None)
        )
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def set_commit_paths(
        self,
        repository_id: int,
        found: Iterable[tuple[str, tuple[str, ...]]],
        reattribute: bool = True,
    ) -> int:
        """Store the changed files of commits (sha, paths); returns how many were updated.

        With `reattribute`, the path-defined services of the repository are attributed again:
        needed when the commits may already have been walked without their files (they were
        stored earlier); not for commits stored just now, which nothing attributed yet.
        """
        statement = (
            update(commits)
            .where(commits.c.repository_id == repository_id, commits.c.sha == bindparam("key"))
            .values(paths=bindparam("changed"))
        )
        updated = 0
        for chunk in batched(found, 2000):
            rows = [{"key": sha, "changed": "\n".join(paths)} for sha, paths in chunk]
            with self.engine.begin() as connection:
                connection.execute(statement, rows)
            updated += len(rows)
        if updated and reattribute:
            with self.engine.begin() as connection:
                _reattribute(connection, None, repository_id)
        return updated

    def touching_commits(
        self, repository_id: int, prefix_sets: Iterable[PathPrefixes]
    ) -> dict[PathPrefixes, set[str]]:
        """Per prefix set, the shas of the repository's commits that changed a file under it,
        in one read of the repository's commits."""
        found: dict[PathPrefixes, set[str]] = {prefixes: set() for prefixes in prefix_sets}
        if not found:
            return found
        query = select(commits.c.sha, commits.c.paths).where(
            commits.c.repository_id == repository_id, commits.c.paths.is_not(None)
        )
        with self.engine.connect() as connection:
            for sha, paths in connection.execute(query):
                changed = paths.split("\n") if paths else ()
                for prefixes, shas in found.items():
                    if prefixes.touched(changed):
                        shas.add(sha)
        return found

    def repository_path_prefixes(self, repository_id: int) -> set[PathPrefixes]:
        """The prefix sets of every path-defined service of the repository."""
        query = select(service_paths.c.prefixes).where(
            service_paths.c.repository_id == repository_id
        )
        with self.engine.connect() as connection:
            stored = connection.execute(query).scalars()
            return {PathPrefixes.from_stored(text) for text in stored}

    def drop_lost_copies(self, repository_id: int, found: Mapping[str, Collection[str]]) -> int:
        """Delete the copies of platform deployments that path services no longer get.

        A platform deployment several path services of the repository claim is stored once
        per service: `<platform id>#<service>` for all but the first. `found` maps each
        platform id read just now to the ids stored for it now; a copy for another path
        service of the repository was stored under rules that changed since, and would
        otherwise count for that service for ever. What the deleted copies shipped goes back
        to the later deployments of their chains, which are attributed again. Returns how
        many were deleted.
        """
        names = (
            select(services.c.name)
            .join(service_paths, service_paths.c.service_id == services.c.id)
            .where(service_paths.c.repository_id == repository_id)
        )
        dropped = 0
        with self.engine.begin() as connection:
            kept = {external_id for ids in found.values() for external_id in ids}
            lost = [
                copy
                for name in connection.execute(names).scalars()
                for platform_id in found
                if (copy := f"{platform_id}#{name}") not in kept
            ]
            for chunk in batched(lost, 500):
                rows = connection.execute(
                    select(
                        deployments.c.id,
                        deployments.c.service_id,
                        deployments.c.environment,
                        deployments.c.finished_at,
                    ).where(deployments.c.external_id.in_(chunk))
                ).all()
                if not rows:
                    continue
                ids = [row.id for row in rows]
                for row in rows:
                    _reattribute_chain_after(connection, row)
                connection.execute(delete(shipped).where(shipped.c.deployment_id.in_(ids)))
                connection.execute(delete(deployments).where(deployments.c.id.in_(ids)))
                dropped += len(ids)
        return dropped


def _reattribute_chain_after(connection: Connection, row: Any) -> None:
    """The later deployments of a deleted one's chain shipped less because of it: walk them
    again."""
    connection.execute(
        update(deployments)
        .where(
            deployments.c.service_id == row.service_id,
            deployments.c.environment == row.environment,
            deployments.c.finished_at >= row.finished_at,
        )
        .values(attributed=False)
    )


def _reattribute(connection: Connection, service_id: int | None, repository_id: int) -> None:
    """Mark the path-defined deployments (of one service, or all) of a repository for a new
    attribution; unchanged services keep their shipped rows."""
    path_services = select(service_paths.c.service_id).where(
        service_paths.c.repository_id == repository_id
    )
    which = (
        deployments.c.service_id == service_id
        if service_id is not None
        else deployments.c.service_id.in_(path_services)
    )
    connection.execute(
        update(deployments)
        .where(which, deployments.c.repository_id == repository_id, deployments.c.attributed)
        .values(attributed=False)
    )
