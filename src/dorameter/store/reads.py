"""Load what the metrics of services need for a period, as model facts, for all at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, bindparam, case, func, or_, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from dorameter.model import ChangeFact, DeliveryData, DeploymentFact, IncidentFact, Period
from dorameter.store.change_reads import load_changes, repositories_with_pull_requests
from dorameter.store.rows import driver_rows
from dorameter.store.schema import (
    commits,
    deployments,
    from_micros,
    incidents,
    services,
    shipped,
    to_micros,
)
from dorameter.store.writes import batched

# Deployments this long before the period are loaded too: failure and fix rules look back.
_LOOKBACK = timedelta(days=1)
# An incident may name a commit by an abbreviated sha this long or longer (git's default).
_SHORTEST_NAMED_SHA = 7


# SELECT DISTINCT environment FROM deployments, as a skip scan of the (service, environment,
# finish) index: one seek per service and per environment of each, instead of reading every
# deployment (the whole table: most of the time of a one-service report on a large store).
# `found` walks each seeded service's environments; the seed is every service id that has a
# deployment (itself a skip scan), or the ids of the named services. The casts keep both terms
# of each recursion the same type, as PostgreSQL requires.
def _environments_walk(seed_id: str, seed: str) -> str:
    return f"""
    found(service_id, environment) AS (
        SELECT {seed_id}, CAST((
            SELECT min(d.environment) FROM deployments d WHERE d.service_id = {seed_id}
        ) AS TEXT)
        FROM {seed}
        UNION ALL
        SELECT found.service_id, CAST((
            SELECT min(d.environment) FROM deployments d
            WHERE d.service_id = found.service_id AND d.environment > found.environment
        ) AS TEXT)
        FROM found WHERE found.environment IS NOT NULL
    )
    SELECT DISTINCT environment FROM found WHERE environment IS NOT NULL ORDER BY environment
    """


_ENVIRONMENTS = text(
    """
    WITH RECURSIVE
    ids(service_id) AS (
        SELECT min(service_id) FROM deployments
        UNION ALL
        SELECT (SELECT min(d.service_id) FROM deployments d WHERE d.service_id > ids.service_id)
        FROM ids WHERE ids.service_id IS NOT NULL
    ),"""
    + _environments_walk("ids.service_id", "ids WHERE ids.service_id IS NOT NULL")
)
_SERVICE_ENVIRONMENTS = text(
    "WITH RECURSIVE" + _environments_walk("s.id", "services s WHERE s.name IN :names")
).bindparams(bindparam("names", expanding=True))


class ReadQueries:
    """Mixin for Store: read model facts for reports."""

    engine: Engine

    def service_names(self) -> list[str]:
        """Every service that has a deployment or an incident, by name."""
        with self.engine.connect() as connection:
            return list(
                connection.execute(select(services.c.name).order_by(services.c.name)).scalars()
            )

    def environment_names(self, services: Sequence[str] | None = None) -> list[str]:
        """Every environment any deployment went to, or any deployment of the named services."""
        with self.engine.connect() as connection:
            if services is None:
                return list(connection.execute(_ENVIRONMENTS).scalars())
            found: set[str] = set()
            for chunk in batched(list(services), 500):
                found.update(connection.execute(_SERVICE_ENVIRONMENTS, {"names": chunk}).scalars())
            return sorted(found)

    def count_rows(self) -> dict[str, int]:
        """Row counts of the main tables, for summaries."""
        tables = {"commits": commits, "deployments": deployments, "incidents": incidents}
        with self.engine.connect() as connection:
            return {
                name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
                for name, table in tables.items()
            }

    def load_delivery(
        self, service: str, environments: Sequence[str], period: Period, window: timedelta
    ) -> DeliveryData:
        """Deployments, shipped changes and incidents of a service around a period."""
        return self.load_deliveries([service], environments, period, window)[0]

    def load_deliveries(
        self,
        names: Sequence[str],
        environments: Sequence[str],
        period: Period,
        window: timedelta,
    ) -> list[DeliveryData]:
        """What each named service's metrics need, read with a few queries for all of them."""
        with self.engine.connect() as connection:
            ids = _service_ids(connection, names)
            scope = Scope(ids, environments, period, window)
            facts, repositories = _deployments(connection, scope)
            changes = load_changes(connection, scope.deployments_in_reach(), environments)
            found = _incidents(connection, scope, facts)
            failed, missing = _period_counts(connection, scope)
            with_prs = _services_with_pull_requests(connection, repositories)
        return [
            _delivery(name, ids.get(name), facts, changes, found, failed, missing, with_prs)
            for name in names
        ]


@dataclass(frozen=True)
class Scope:
    """The services, production environments and time range a report reads."""

    names: dict[str, int]  # service name -> id
    environments: Sequence[str]
    period: Period
    window: timedelta

    @property
    def service_ids(self) -> list[int]:
        return list(self.names.values())

    @property
    def start(self) -> int:
        return to_micros(self.period.since - self.window - _LOOKBACK)

    @property
    def end(self) -> int:
        return to_micros(self.period.until + self.window)

    def successful(self) -> ColumnElement[bool]:
        return and_(
            deployments.c.service_id.in_(self.service_ids),
            deployments.c.environment.in_(self.environments),
            deployments.c.status == "success",
        )

    def deployments_in_reach(self) -> ColumnElement[bool]:
        return and_(
            self.successful(),
            deployments.c.finished_at >= self.start,
            deployments.c.finished_at < self.end,
        )

    def in_period(self) -> ColumnElement[bool]:
        return and_(
            deployments.c.service_id.in_(self.service_ids),
            deployments.c.environment.in_(self.environments),
            deployments.c.finished_at >= to_micros(self.period.since),
            deployments.c.finished_at < to_micros(self.period.until),
        )


def _service_ids(connection: Connection, names: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in batched(list(names), 500):
        query = select(services.c.name, services.c.id).where(services.c.name.in_(chunk))
        found.update({name: service_id for name, service_id in connection.execute(query)})
    return found


def _delivery(
    name: str,
    service_id: int | None,
    facts: dict[int, list[DeploymentFact]],
    changes: dict[int, list[ChangeFact]],
    found: dict[int, list[IncidentFact]],
    failed: dict[int, int],
    missing: dict[int, int],
    with_prs: set[int],
) -> DeliveryData:
    if service_id is None:
        return DeliveryData(name, (), (), ())
    own = sorted(facts.get(service_id, []), key=lambda fact: (fact.finished_at, fact.id))
    return DeliveryData(
        service=name,
        deployments=tuple(own),
        changes=tuple(changes.get(service_id, [])),
        incidents=tuple(replace(incident, service=name) for incident in found.get(service_id, [])),
        attempts_failed=failed.get(service_id, 0),
        has_pr_data=service_id in with_prs,
        notes=_version_notes(missing.get(service_id, 0)),
    )


class _DeploymentRow(NamedTuple):
    """One row of the deployments query, times in epoch microseconds."""

    id: int
    sha: str
    finished_at: int
    external_id: str
    environment: str
    went_back: int | bool
    rollback_base_id: int | None
    fixes: str | None
    service_id: int
    repository_id: int | None


def _deployment_query(*conditions: ColumnElement[bool]) -> Select[Any]:
    columns = (
        deployments.c.id,
        deployments.c.sha,
        deployments.c.finished_at,
        deployments.c.external_id,
        deployments.c.environment,
        (deployments.c.rollback | deployments.c.shipped_rollback).label("went_back"),
        deployments.c.rollback_base_id,
        deployments.c.fixes,
        deployments.c.service_id,
        deployments.c.repository_id,
    )
    return select(*columns).where(*conditions)


def _deployment_rows(connection: Connection, query: Select[Any]) -> list[_DeploymentRow]:
    return [_DeploymentRow._make(row) for row in driver_rows(connection, query)]


def _deployments(
    connection: Connection, scope: Scope
) -> tuple[dict[int, list[DeploymentFact]], dict[int, set[int]]]:
    """Successful deployments in reach of the period, rollbacks after it and their bases;
    and the repositories each service deployed from."""
    later_rollback = and_(
        scope.successful(),
        deployments.c.finished_at >= scope.end,
        deployments.c.rollback | deployments.c.shipped_rollback,
    )
    query = _deployment_query(or_(scope.deployments_in_reach(), later_rollback))
    rows = _deployment_rows(connection, query)
    known = {row.id for row in rows}
    bases = {row.rollback_base_id for row in rows if row.rollback_base_id} - known
    for chunk in batched(sorted(bases), 500):
        rows += _deployment_rows(connection, _deployment_query(deployments.c.id.in_(chunk)))
    fixes = _resolve_fixes(connection, [row.fixes for row in rows if row.fixes])
    names = {service_id: name for name, service_id in scope.names.items()}
    grouped: dict[int, list[DeploymentFact]] = {}
    repositories: dict[int, set[int]] = {}
    for row in rows:
        grouped.setdefault(row.service_id, []).append(
            _deployment_fact(row, names.get(row.service_id, ""), fixes)
        )
        if row.repository_id is not None:
            repositories.setdefault(row.service_id, set()).add(row.repository_id)
    return grouped, repositories


def _services_with_pull_requests(
    connection: Connection, repositories: dict[int, set[int]]
) -> set[int]:
    """Services that deployed (in reach) from a repository with pull requests."""
    with_prs = repositories_with_pull_requests(
        connection, (repository for owned in repositories.values() for repository in owned)
    )
    return {service for service, owned in repositories.items() if owned & with_prs}


def _resolve_fixes(connection: Connection, names: Sequence[str]) -> dict[str, tuple[str, int]]:
    """External ids named by `fixes`, mapped to ("deployment" | "incident", id)."""
    found: dict[str, tuple[str, int]] = {}
    for chunk in batched(sorted(set(names)), 500):
        for external_id, row_id in connection.execute(
            select(deployments.c.external_id, deployments.c.id).where(
                deployments.c.external_id.in_(chunk)
            )
        ):
            found[external_id] = ("deployment", row_id)
        for external_id, row_id in connection.execute(
            select(incidents.c.external_id, incidents.c.id).where(
                incidents.c.external_id.in_(chunk)
            )
        ):
            found.setdefault(external_id, ("incident", row_id))
    return found


def _deployment_fact(
    row: _DeploymentRow, service: str, fixes: dict[str, tuple[str, int]]
) -> DeploymentFact:
    kind, target = fixes.get(row.fixes, ("", 0)) if row.fixes else ("", 0)
    return DeploymentFact(
        id=row.id,
        service=service,
        environment=row.environment,
        sha=row.sha,
        finished_at=from_micros(row.finished_at),
        external_id=row.external_id,
        rollback=bool(row.went_back),
        rollback_base_id=row.rollback_base_id,
        fixes_deployment_id=target if kind == "deployment" else None,
        fixes_incident_id=target if kind == "incident" else None,
    )


def _incidents(
    connection: Connection, scope: Scope, facts: dict[int, list[DeploymentFact]]
) -> dict[int, list[IncidentFact]]:
    query = select(incidents).where(
        incidents.c.service_id.in_(scope.service_ids),
        incidents.c.started_at >= scope.start,
        incidents.c.started_at < scope.end,
    )
    grouped: dict[int, list[IncidentFact]] = {}
    by_service: dict[int, _LoadedDeployments] = {}
    for row in connection.execute(query):
        loaded = by_service.get(row.service_id)
        if loaded is None:  # once per service, not once per incident
            loaded = by_service[row.service_id] = _LoadedDeployments(facts.get(row.service_id, []))
        grouped.setdefault(row.service_id, []).append(
            IncidentFact(
                id=row.id,
                service="",
                external_id=row.external_id,
                started_at=row.started_at,
                resolved_at=row.resolved_at,
                title=row.title,
                linked_deployment_id=_incident_link(connection, row, loaded),
                change_caused=row.change_caused,
                severity=row.severity,
                caused_by_sha=row.caused_by_sha,
            )
        )
    return grouped


class _LoadedDeployments:
    """One service's loaded deployments, looked up the ways an incident names its cause.

    Dictionaries, not a scan of the deployments per incident: a service with thousands of
    deployments and incidents in the period would otherwise cost their product. Where several
    deployments match, the first loaded wins, as the scan it replaces returned.
    """

    def __init__(self, facts: list[DeploymentFact]) -> None:
        self.by_id = {fact.id: fact for fact in facts}
        self._by_external_id: dict[str, int] = {}
        self._by_sha: dict[str, int] = {}
        for fact in facts:
            self._by_external_id.setdefault(fact.external_id, fact.id)
            self._by_sha.setdefault(fact.sha, fact.id)
        self._longest_sha = max((len(fact.sha) for fact in facts), default=0)

    def named(self, external_id: str) -> int | None:
        return self._by_external_id.get(external_id)

    def of_version(self, sha: str) -> int | None:
        """The deployment whose version is `sha`, or starts with it when abbreviated."""
        if len(sha) < _SHORTEST_NAMED_SHA or len(sha) >= self._longest_sha:
            return self._by_sha.get(sha)  # no prefix match possible: only an equal sha
        return next((fact.id for fact in self.by_id.values() if fact.sha.startswith(sha)), None)


def _incident_link(connection: Connection, row: Any, loaded: _LoadedDeployments) -> int | None:
    """Resolve what an incident names (deployment id, version, shipped commit) to a deployment."""
    if row.caused_by_deployment:
        named = loaded.named(row.caused_by_deployment)
        if named is not None:
            return named
    if row.caused_by_sha:
        return _deployment_shipping(connection, row.caused_by_sha, loaded)
    return None


def _deployment_shipping(
    connection: Connection, sha: str, loaded: _LoadedDeployments
) -> int | None:
    """The loaded deployment whose version is, or which shipped, the named commit."""
    version = loaded.of_version(sha)
    if version is not None:
        return version
    abbreviated = len(sha) >= _SHORTEST_NAMED_SHA
    named = commits.c.sha.startswith(sha, autoescape=True) if abbreviated else commits.c.sha == sha
    query = (
        select(shipped.c.deployment_id)
        .join(commits, commits.c.id == shipped.c.commit_id)
        .where(named)
    )
    for (deployment_id,) in connection.execute(query):
        if deployment_id in loaded.by_id:
            return int(deployment_id)
    return None


def _period_counts(connection: Connection, scope: Scope) -> tuple[dict[int, int], dict[int, int]]:
    """Per service, of the period's deployments to the environments: the failed or cancelled
    attempts, and those whose version is not among the known commits (one statement for both)."""
    failed = func.sum(case((deployments.c.status.in_(["failure", "cancelled"]), 1), else_=0))
    missing = func.sum(case((deployments.c.version_missing, 1), else_=0))
    query = (
        select(deployments.c.service_id, failed, missing)
        .where(scope.in_period())
        .group_by(deployments.c.service_id)
    )
    attempts: dict[int, int] = {}
    versions: dict[int, int] = {}
    for service_id, failed_count, missing_count in connection.execute(query):
        attempts[service_id] = int(failed_count)
        versions[service_id] = int(missing_count)
    return attempts, versions


def _version_notes(missing: int) -> tuple[str, ...]:
    if not missing:
        return ()
    return (
        f"{missing} deployment(s) name a version that is not among the known commits, so "
        "their changes are not counted; ingest the repository that holds them "
        "(dorameter ingest git PATH).",
    )
