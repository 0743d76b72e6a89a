"""Load what the metrics of one service need for a period, as model facts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection, Engine

from dorameter.model import ChangeFact, DeliveryData, DeploymentFact, IncidentFact, Period
from dorameter.store.pr_links import ShippedCommit, has_pull_requests, pull_request_starts
from dorameter.store.schema import commits, deployments, incidents, services, shipped, to_micros
from dorameter.store.writes import batched

# Deployments this long before the period are loaded too: failure and fix rules look back.
_LOOKBACK = timedelta(days=1)
# An incident may name a commit by an abbreviated sha this long or longer (git's default).
_SHORTEST_NAMED_SHA = 7


class ReadQueries:
    """Mixin for Store: read model facts for reports."""

    engine: Engine

    def service_names(self) -> list[str]:
        """Every service that has a deployment or an incident, by name."""
        with self.engine.connect() as connection:
            return list(
                connection.execute(select(services.c.name).order_by(services.c.name)).scalars()
            )

    def environment_names(self) -> list[str]:
        """Every environment any deployment went to."""
        query = select(deployments.c.environment).distinct().order_by(deployments.c.environment)
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

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
        with self.engine.connect() as connection:
            service_id = connection.execute(
                select(services.c.id).where(services.c.name == service)
            ).scalar()
            if service_id is None:
                return DeliveryData(service, (), (), ())
            facts = tuple(
                replace(fact, service=service)
                for fact in _deployments(connection, service_id, environments, period, window)
            )
            by_id = {fact.id: fact for fact in facts}
            changes = _changes(connection, by_id)
            found = tuple(
                replace(incident, service=service)
                for incident in _incidents(connection, service_id, period, window, by_id)
            )
            failed = _failed_attempts(connection, service_id, environments, period)
            notes = _version_notes(connection, service_id, environments, period)
            repository_ids = connection.execute(
                select(deployments.c.repository_id)
                .where(deployments.c.service_id == service_id)
                .where(deployments.c.repository_id.is_not(None))
                .distinct()
            ).scalars()
            with_prs = has_pull_requests(connection, repository_ids)
        return DeliveryData(service, facts, changes, found, failed, with_prs, notes)


def _deployment_columns() -> list[Any]:
    return [
        deployments.c.id,
        deployments.c.sha,
        deployments.c.finished_at,
        deployments.c.external_id,
        deployments.c.environment,
        (deployments.c.rollback | deployments.c.shipped_rollback).label("went_back"),
        deployments.c.rollback_base_id,
        deployments.c.fixes,
    ]


def _deployments(
    connection: Connection,
    service_id: int,
    environments: Sequence[str],
    period: Period,
    window: timedelta,
) -> tuple[DeploymentFact, ...]:
    """Successful deployments in reach of the period, rollbacks after it and their bases."""
    base = and_(
        deployments.c.service_id == service_id,
        deployments.c.environment.in_(environments),
        deployments.c.status == "success",
    )
    start = to_micros(period.since - window - _LOOKBACK)
    end = to_micros(period.until + window)
    in_reach = and_(deployments.c.finished_at >= start, deployments.c.finished_at < end)
    later_rollback = and_(
        deployments.c.finished_at >= end,
        deployments.c.rollback | deployments.c.shipped_rollback,
    )
    rows = list(
        connection.execute(
            select(*_deployment_columns()).where(base, or_(in_reach, later_rollback))
        ).all()
    )
    known = {row.id for row in rows}
    bases = {row.rollback_base_id for row in rows if row.rollback_base_id} - known
    for chunk in batched(sorted(bases), 500):
        rows += connection.execute(
            select(*_deployment_columns()).where(deployments.c.id.in_(chunk))
        ).all()
    fixes = _resolve_fixes(connection, [row.fixes for row in rows if row.fixes])
    facts = [_deployment_fact(row, fixes) for row in rows]
    return tuple(sorted(facts, key=lambda fact: (fact.finished_at, fact.id)))


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


def _deployment_fact(row: Any, fixes: dict[str, tuple[str, int]]) -> DeploymentFact:
    kind, target = fixes.get(row.fixes, ("", 0)) if row.fixes else ("", 0)
    return DeploymentFact(
        id=row.id,
        service="",
        environment=row.environment,
        sha=row.sha,
        finished_at=row.finished_at,
        external_id=row.external_id,
        rollback=bool(row.went_back),
        rollback_base_id=row.rollback_base_id,
        fixes_deployment_id=target if kind == "deployment" else None,
        fixes_incident_id=target if kind == "incident" else None,
    )


def _changes(connection: Connection, by_id: dict[int, DeploymentFact]) -> tuple[ChangeFact, ...]:
    """Commits shipped by the given deployments, with the deployment each revert undoes."""
    reverted_commit = commits.alias("reverted_commit")
    reverted_ship = shipped.alias("reverted_ship")
    query = (
        select(
            shipped.c.deployment_id,
            commits.c.sha,
            commits.c.author_time,
            commits.c.subject,
            commits.c.parents,
            commits.c.repository_id,
            shipped.c.before_tracking,
            reverted_ship.c.deployment_id.label("reverted_deployment"),
        )
        .select_from(shipped)
        .join(commits, commits.c.id == shipped.c.commit_id)
        .outerjoin(
            reverted_commit,
            and_(
                reverted_commit.c.repository_id == commits.c.repository_id,
                reverted_commit.c.sha == commits.c.reverts,
            ),
        )
        .outerjoin(reverted_ship, reverted_ship.c.commit_id == reverted_commit.c.id)
    )
    rows = [
        row
        for chunk in batched(sorted(by_id), 500)
        for row in connection.execute(query.where(shipped.c.deployment_id.in_(chunk)))
    ]
    chain = _same_chain(connection, {row.reverted_deployment for row in rows}, by_id)
    starts = pull_request_starts(
        connection,
        [
            ShippedCommit(row.repository_id, row.sha, row.author_time, row.subject)
            for row in rows
            if " " not in row.parents
        ],
    )
    changes: list[ChangeFact] = []
    for row in rows:
        reverted = row.reverted_deployment if row.reverted_deployment in chain else None
        changes.append(
            ChangeFact(
                deployment_id=row.deployment_id,
                sha=row.sha,
                author_time=row.author_time,
                subject=row.subject,
                is_merge=" " in row.parents,
                reverted_deployment_id=reverted,
                before_tracking=bool(row.before_tracking),
                pr_start_time=starts.get((row.repository_id, row.sha)),
            )
        )
    return _one_per_commit(changes)


def _same_chain(
    connection: Connection, candidates: set[Any], by_id: dict[int, DeploymentFact]
) -> set[int]:
    """The deployments among `candidates` that belong to the loaded service and environments.

    A revert may undo a commit shipped long before the loaded window; that deployment is not
    loaded but still makes the revert a remediation (rework).
    """
    known = {candidate for candidate in candidates if candidate in by_id}
    unknown = sorted(candidate for candidate in candidates - known if candidate is not None)
    if not unknown or not by_id:
        return known
    sample = next(iter(by_id.values()))
    service_id = connection.execute(
        select(deployments.c.service_id).where(deployments.c.id == sample.id)
    ).scalar_one()
    environments = {fact.environment for fact in by_id.values()}
    for chunk in batched(unknown, 500):
        known.update(
            connection.execute(
                select(deployments.c.id).where(
                    deployments.c.id.in_(chunk),
                    deployments.c.service_id == service_id,
                    deployments.c.environment.in_(environments),
                    deployments.c.status == "success",
                )
            ).scalars()
        )
    return known


def _one_per_commit(changes: Iterable[ChangeFact]) -> tuple[ChangeFact, ...]:
    """A reverted commit shipped to several environments yields several join rows; keep one."""
    unique: dict[tuple[int, str], ChangeFact] = {}
    for change in changes:
        key = (change.deployment_id, change.sha)
        if key not in unique or change.reverted_deployment_id is not None:
            unique[key] = change
    return tuple(unique.values())


def _incidents(
    connection: Connection,
    service_id: int,
    period: Period,
    window: timedelta,
    by_id: dict[int, DeploymentFact],
) -> tuple[IncidentFact, ...]:
    start = to_micros(period.since - window - _LOOKBACK)
    end = to_micros(period.until + window)
    rows = connection.execute(
        select(incidents).where(
            incidents.c.service_id == service_id,
            incidents.c.started_at >= start,
            incidents.c.started_at < end,
        )
    ).all()
    links = _incident_links(connection, rows, by_id)
    return tuple(
        IncidentFact(
            id=row.id,
            service="",
            external_id=row.external_id,
            started_at=row.started_at,
            resolved_at=row.resolved_at,
            title=row.title,
            linked_deployment_id=links.get(row.id),
            change_caused=row.change_caused,
        )
        for row in rows
    )


def _incident_links(
    connection: Connection, rows: Sequence[Any], by_id: dict[int, DeploymentFact]
) -> dict[int, int]:
    """Resolve what an incident names (deployment id, version, shipped commit) to a deployment."""
    by_external = {fact.external_id: fact.id for fact in by_id.values()}
    links: dict[int, int] = {}
    for row in rows:
        if row.caused_by_deployment and row.caused_by_deployment in by_external:
            links[row.id] = by_external[row.caused_by_deployment]
        elif row.caused_by_sha:
            found = _deployment_shipping(connection, row.caused_by_sha, by_id)
            if found is not None:
                links[row.id] = found
    return links


def _deployment_shipping(
    connection: Connection, sha: str, by_id: dict[int, DeploymentFact]
) -> int | None:
    """The loaded deployment whose version is, or which shipped, the named commit."""
    abbreviated = len(sha) >= _SHORTEST_NAMED_SHA
    for fact in by_id.values():
        if fact.sha == sha or (abbreviated and fact.sha.startswith(sha)):
            return fact.id
    named = commits.c.sha.startswith(sha, autoescape=True) if abbreviated else commits.c.sha == sha
    query = (
        select(shipped.c.deployment_id)
        .join(commits, commits.c.id == shipped.c.commit_id)
        .where(named)
    )
    for (deployment_id,) in connection.execute(query):
        if deployment_id in by_id:
            return int(deployment_id)
    return None


def _failed_attempts(
    connection: Connection, service_id: int, environments: Sequence[str], period: Period
) -> int:
    query = select(func.count()).where(
        deployments.c.service_id == service_id,
        deployments.c.environment.in_(environments),
        deployments.c.status.in_(["failure", "cancelled"]),
        deployments.c.finished_at >= to_micros(period.since),
        deployments.c.finished_at < to_micros(period.until),
    )
    return int(connection.execute(query).scalar_one())


def _version_notes(
    connection: Connection, service_id: int, environments: Sequence[str], period: Period
) -> tuple[str, ...]:
    query = select(func.count()).where(
        deployments.c.service_id == service_id,
        deployments.c.environment.in_(environments),
        deployments.c.version_missing,
        deployments.c.finished_at >= to_micros(period.since),
        deployments.c.finished_at < to_micros(period.until),
    )
    missing = int(connection.execute(query).scalar_one())
    if not missing:
        return ()
    return (
        f"{missing} deployment(s) name a version that is not among the known commits, so "
        "their changes are not counted; ingest the repository that holds them "
        "(dorameter ingest git PATH).",
    )
