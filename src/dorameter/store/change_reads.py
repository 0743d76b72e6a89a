"""Load the commits that deployments shipped, with what lead time and failures need of them.

One query reads every shipped commit of the deployments in reach (all services at once), joined
to the pull request it came from: the pull request whose merge commit it is (merge or squash),
or one with a commit of the same author time and subject under another sha (a rebase). Their
lead time starts at the pull request's earliest commit (metrics.md, change lead time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from dorameter.model import ChangeFact
from dorameter.store.rows import driver_rows
from dorameter.store.schema import (
    commits,
    deployments,
    from_micros,
    pull_request_commits,
    pull_requests,
    repositories,
    shipped,
)
from dorameter.store.writes import batched


def load_changes(
    connection: Connection, in_reach: ColumnElement[bool], environments: Sequence[str]
) -> dict[int, list[ChangeFact]]:
    """Changes shipped by the deployments `in_reach` selects, grouped by service id."""
    rows = [_ShippedRow._make(row) for row in driver_rows(connection, _shipped_query(in_reach))]
    reverted = _reverted_deployments(connection, rows, environments)
    starts = _missing_starts(connection, rows)
    grouped: dict[int, dict[tuple[int, str], ChangeFact]] = {}
    for row in rows:
        is_merge = " " in row.parents
        change = ChangeFact(
            deployment_id=row.deployment_id,
            sha=row.sha,
            author_time=from_micros(row.author_time),
            subject=row.subject,
            is_merge=is_merge,
            reverted_deployment_id=reverted.get((row.service_id, row.repository_id, row.reverts))
            if row.reverts
            else None,
            before_tracking=bool(row.before_tracking),
            pr_start_time=None if is_merge else _pr_start(row, starts),
        )
        grouped.setdefault(row.service_id, {})[(row.deployment_id, row.sha)] = change
    return {service: list(changes.values()) for service, changes in grouped.items()}


def _pr_start(row: _ShippedRow, starts: dict[str, datetime]) -> datetime | None:
    """When the pull request a commit came from began (None: it came from none)."""
    if row.pull_request is None:
        return None
    return from_micros(row.start) if row.start is not None else starts.get(row.pull_request)


class _ShippedRow(NamedTuple):
    """One row of the shipped-commits query, times in epoch microseconds."""

    deployment_id: int
    service_id: int
    repository_id: int
    sha: str
    author_time: int
    subject: str
    parents: str
    reverts: str | None
    before_tracking: int | bool
    pull_request: str | None
    start: int | None


def _shipped_query(in_reach: ColumnElement[bool]) -> Select[Any]:
    merged = pull_requests.alias("merged_pr")
    rebased_commit = pull_request_commits.alias("rebased_commit")
    rebased = pull_requests.alias("rebased_pr")
    return (
        select(
            shipped.c.deployment_id,
            deployments.c.service_id,
            commits.c.repository_id,
            commits.c.sha,
            commits.c.author_time,
            commits.c.subject,
            commits.c.parents,
            commits.c.reverts,
            shipped.c.before_tracking,
            func.coalesce(merged.c.external_id, rebased.c.external_id).label("pull_request"),
            func.coalesce(merged.c.first_commit_at, rebased.c.first_commit_at).label("start"),
        )
        .select_from(deployments)
        .join(shipped, shipped.c.deployment_id == deployments.c.id)
        .join(commits, commits.c.id == shipped.c.commit_id)
        .outerjoin(
            merged,
            and_(
                merged.c.repository_id == commits.c.repository_id,
                merged.c.merge_commit_sha == commits.c.sha,
            ),
        )
        .outerjoin(
            rebased_commit,
            and_(
                merged.c.id.is_(None),
                rebased_commit.c.author_time == commits.c.author_time,
                rebased_commit.c.subject == commits.c.subject,
                rebased_commit.c.sha != commits.c.sha,
            ),
        )
        .outerjoin(
            rebased,
            and_(
                rebased.c.external_id == rebased_commit.c.pull_request,
                rebased.c.repository_id == commits.c.repository_id,
            ),
        )
        .where(in_reach)
    )


def _reverted_deployments(
    connection: Connection, rows: Iterable[Any], environments: Sequence[str]
) -> dict[tuple[int, int, str], int]:
    """(service, repository, reverted sha) -> the production deployment that shipped it.

    A revert may undo a commit shipped long before the loaded window; that deployment still
    makes the revert a remediation (rework), so it is looked up, not taken from the loaded rows.
    """
    wanted: dict[int, set[str]] = {}
    for row in rows:
        if row.reverts:
            wanted.setdefault(row.repository_id, set()).add(row.reverts)
    found: dict[tuple[int, int, str], int] = {}
    for repository_id, shas in wanted.items():
        for chunk in batched(sorted(shas), 500):
            query = (
                select(deployments.c.service_id, commits.c.sha, func.min(shipped.c.deployment_id))
                .select_from(commits)
                .join(shipped, shipped.c.commit_id == commits.c.id)
                .join(deployments, deployments.c.id == shipped.c.deployment_id)
                .where(
                    commits.c.repository_id == repository_id,  # the unique index's prefix
                    commits.c.sha.in_(chunk),
                    deployments.c.status == "success",
                    deployments.c.environment.in_(environments),
                )
                .group_by(deployments.c.service_id, commits.c.sha)
            )
            for service_id, sha, deployment_id in connection.execute(query):
                found[(service_id, repository_id, sha)] = int(deployment_id)
    return found


def _missing_starts(connection: Connection, rows: Iterable[Any]) -> dict[str, datetime]:
    """The earliest commit of pull requests that did not record their first commit time."""
    owners = sorted({row.pull_request for row in rows if row.pull_request and row.start is None})
    starts: dict[str, datetime] = {}
    for chunk in batched(owners, 500):
        query = (
            select(
                pull_request_commits.c.pull_request, func.min(pull_request_commits.c.author_time)
            )
            .where(pull_request_commits.c.pull_request.in_(chunk))
            .group_by(pull_request_commits.c.pull_request)
        )
        starts.update({owner: first for owner, first in connection.execute(query)})
    return starts


def repositories_with_pull_requests(
    connection: Connection, repository_ids: Iterable[int]
) -> set[int]:
    """The given repositories that have at least one pull request (one seek each, one query)."""
    found: set[int] = set()
    for chunk in batched(sorted(set(repository_ids)), 500):
        query = select(repositories.c.id).where(
            repositories.c.id.in_(chunk),
            exists().where(pull_requests.c.repository_id == repositories.c.id),
        )
        found.update(connection.execute(query).scalars())
    return found
