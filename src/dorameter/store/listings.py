"""Rows for the read API and CSV export: deployments, changes, pull requests and incidents.

Each listing is filtered by period, services and environments and paged by limit and offset;
rows are plain JSON-ready dicts (times as ISO 8601 in UTC), newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from dorameter.model import Period
from dorameter.store.schema import (
    commits,
    deployments,
    incidents,
    pull_requests,
    raw_events,
    repositories,
    service_paths,
    services,
    shipped,
    to_micros,
)


class Listing(StrEnum):
    """The tables the read API lists."""

    DEPLOYMENTS = "deployments"
    CHANGES = "changes"
    PULL_REQUESTS = "pull_requests"
    INCIDENTS = "incidents"


@dataclass(frozen=True)
class ListQuery:
    """Which rows: a period, services (None: all), environments (None: all), one page."""

    period: Period
    services: tuple[str, ...] | None = None
    environments: tuple[str, ...] | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class Page:
    """One page of rows, how many match in all, and the columns (known even without rows)."""

    rows: list[dict[str, Any]]
    total: int
    columns: tuple[str, ...]


def list_rows(engine: Engine, listing: Listing, query: ListQuery) -> Page:
    """One page of a listing, newest first."""
    selection, order = _SELECTIONS[listing](query)
    with engine.connect() as connection:
        total = connection.execute(
            select(func.count()).select_from(selection.subquery())
        ).scalar_one()
        page = selection.order_by(*order).limit(query.limit).offset(query.offset)
        rows = [
            {key: _plain(value) for key, value in row._mapping.items()}
            for row in connection.execute(page)
        ]
    return Page(rows, int(total), tuple(selection.selected_columns.keys()))


def data_version(engine: Engine) -> tuple[int, ...]:
    """Changes whenever deliveries are added or updated: the largest ids and latest states."""
    parts: list[Any] = [
        func.max(table.c.id)
        for table in (deployments, incidents, commits, pull_requests, raw_events)
    ]
    parts += [func.max(deployments.c.state_at), func.max(incidents.c.state_at)]
    parts += [func.max(pull_requests.c.updated_at)]
    parts += [func.count(services.c.id), func.count(services.c.team)]
    with engine.connect() as connection:
        values = [connection.execute(select(part)).scalar() for part in parts]
    return tuple(_number(value) for value in values)


def _number(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return to_micros(value)
    return int(value)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def _between(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= to_micros(period.since), column < to_micros(period.until))


def _scope(query: ListQuery, environment: bool = True) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.services is not None:
        conditions.append(services.c.name.in_(query.services))
    if environment and query.environments is not None:
        conditions.append(deployments.c.environment.in_(query.environments))
    return conditions


def _deployments(query: ListQuery) -> tuple[Select[Any], list[Any]]:
    selection = (
        select(
            deployments.c.external_id.label("id"),
            services.c.name.label("service"),
            deployments.c.environment,
            deployments.c.sha,
            deployments.c.ref,
            deployments.c.status,
            deployments.c.started_at,
            deployments.c.finished_at,
            deployments.c.rollback,
            deployments.c.fixes,
            deployments.c.source,
        )
        .join(services, services.c.id == deployments.c.service_id)
        .where(_between(deployments.c.finished_at, query.period), *_scope(query))
    )
    return selection, [deployments.c.finished_at.desc(), deployments.c.id.desc()]


def _changes(query: ListQuery) -> tuple[Select[Any], list[Any]]:
    selection = (
        select(
            commits.c.sha,
            services.c.name.label("service"),
            deployments.c.environment,
            deployments.c.external_id.label("deployment"),
            commits.c.author_name.label("author"),
            commits.c.author_time.label("committed_at"),
            deployments.c.finished_at.label("deployed_at"),
            commits.c.subject,
            commits.c.additions,
            commits.c.deletions,
        )
        .select_from(shipped)
        .join(commits, commits.c.id == shipped.c.commit_id)
        .join(deployments, deployments.c.id == shipped.c.deployment_id)
        .join(services, services.c.id == deployments.c.service_id)
        .where(_between(deployments.c.finished_at, query.period), *_scope(query))
    )
    return selection, [deployments.c.finished_at.desc(), commits.c.id.desc()]


def _pull_requests(query: ListQuery) -> tuple[Select[Any], list[Any]]:
    selection = (
        select(
            pull_requests.c.external_id.label("id"),
            repositories.c.name.label("repository"),
            pull_requests.c.number,
            pull_requests.c.title,
            pull_requests.c.author,
            pull_requests.c.state,
            pull_requests.c.created_at,
            pull_requests.c.merged_at,
            pull_requests.c.additions,
            pull_requests.c.deletions,
            pull_requests.c.changed_files,
            pull_requests.c.url,
        )
        .join(repositories, repositories.c.id == pull_requests.c.repository_id)
        .where(_between(pull_requests.c.created_at, query.period))
    )
    if query.services is not None:
        selection = selection.where(_pull_request_of(query.services))
    return selection, [pull_requests.c.created_at.desc(), pull_requests.c.id.desc()]


def _pull_request_of(names: Sequence[str]) -> ColumnElement[bool]:
    """A pull request belongs to the services deployed from its repository; in a monorepo, to
    the path-defined services that shipped its merge commit (flow_paths.py)."""
    listed = services.c.name.in_(names)
    path_defined = (
        select(service_paths.c.service_id)
        .where(
            service_paths.c.service_id == deployments.c.service_id,
            service_paths.c.repository_id == deployments.c.repository_id,
        )
        .exists()
    )
    whole_repository = (
        select(deployments.c.repository_id)
        .join(services, services.c.id == deployments.c.service_id)
        .where(listed, ~path_defined)
    )
    shipped_merge = (
        select(shipped.c.commit_id)
        .join(commits, commits.c.id == shipped.c.commit_id)
        .join(deployments, deployments.c.id == shipped.c.deployment_id)
        .join(services, services.c.id == deployments.c.service_id)
        .where(
            listed,
            commits.c.repository_id == pull_requests.c.repository_id,
            commits.c.sha == pull_requests.c.merge_commit_sha,
        )
        .exists()
    )
    return or_(pull_requests.c.repository_id.in_(whole_repository), shipped_merge)


def _incidents(query: ListQuery) -> tuple[Select[Any], list[Any]]:
    selection = (
        select(
            incidents.c.external_id.label("id"),
            services.c.name.label("service"),
            incidents.c.title,
            incidents.c.severity,
            incidents.c.started_at,
            incidents.c.resolved_at,
            incidents.c.caused_by_deployment,
            incidents.c.source,
        )
        .join(services, services.c.id == incidents.c.service_id)
        .where(_between(incidents.c.started_at, query.period), *_scope(query, environment=False))
    )
    return selection, [incidents.c.started_at.desc(), incidents.c.id.desc()]


_SELECTIONS = {
    Listing.DEPLOYMENTS: _deployments,
    Listing.CHANGES: _changes,
    Listing.PULL_REQUESTS: _pull_requests,
    Listing.INCIDENTS: _incidents,
}
