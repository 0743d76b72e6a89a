"""Load the commits that deployments shipped, with what lead time and failures need of them.

One query reads every shipped commit of the deployments in reach (all services at once), joined
to the pull request it came from: the pull request whose merge commit it is (merge or squash),
or one with a commit of the same author time and subject under another sha (a rebase). Their
lead time starts at the pull request's earliest commit (metrics.md, change lead time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from dorameter.model import ChangeFact
from dorameter.store.rows import driver_rows
from dorameter.store.schema import (
    commits,
    deployments,
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
    rows = _resolve_rebased(connection, driver_rows(connection, _shipped_query(in_reach)))
    reverted = _reverted_deployments(connection, rows, environments)
    starts = _missing_starts(connection, rows)
    grouped: dict[int, dict[tuple[int, str], ChangeFact]] = {}
    # The driver's tuples unpacked and the facts built by position: a large report reads
    # 150,000 of these rows, and a named tuple plus keyword arguments cost about 2 us a row.
    for (
        deployment_id,
        service_id,
        repository_id,
        sha,
        author_time,
        subject,
        merge,
        reverts,
        before_tracking,
        pull_request,
        start,
        _rebased,
    ) in rows:
        is_merge = bool(merge)
        if is_merge or pull_request is None:
            pr_start = None  # a merge is not a change; without a pull request, no PR start
        elif start is not None:
            pr_start = start
        else:
            pr_start = starts.get(pull_request)
        change = ChangeFact(
            deployment_id,
            sha,
            author_time,
            subject,
            is_merge,
            reverted.get((service_id, repository_id, reverts)) if reverts else None,
            bool(before_tracking),
            pr_start,
        )
        own = grouped.get(service_id)
        if own is None:
            own = grouped[service_id] = {}
        own[(deployment_id, sha)] = change
    return {service: list(changes.values()) for service, changes in grouped.items()}


# The columns of the shipped-commits query, in order (times in epoch microseconds):
# deployment_id, service_id, repository_id, sha, author_time, subject, is_merge, reverts,
# before_tracking, pull_request (external id or None), start (its first commit time or None),
# rebased (whether pull_request came from a rebased copy, still to be checked: see below).
_REPOSITORY, _REVERTS, _PULL_REQUEST, _START, _REBASED = 2, 7, 9, 10, 11


def _shipped_query(in_reach: ColumnElement[bool]) -> Select[Any]:
    """The shipped commits, each with the pull request whose merge commit it is, or else the
    pull request holding a copy of it under another sha (rebased), unchecked.

    The rebased copy's pull request must be of the same repository, and its first commit time
    is wanted; joining `pull_requests` a second time for that made PostgreSQL hash the whole
    table for rows that almost never need it (0.09 s of a 0.72 s statement on the large demo),
    so `_resolve_rebased` looks those few up afterwards.
    """
    merged = pull_requests.alias("merged_pr")
    rebased_commit = pull_request_commits.alias("rebased_commit")
    return (
        select(
            shipped.c.deployment_id,
            deployments.c.service_id,
            commits.c.repository_id,
            commits.c.sha,
            commits.c.author_time,
            commits.c.subject,
            commits.c.parents.contains(" ").label("is_merge"),  # a flag, not the parents text
            commits.c.reverts,
            shipped.c.before_tracking,
            func.coalesce(merged.c.external_id, rebased_commit.c.pull_request).label(
                "pull_request"
            ),
            merged.c.first_commit_at.label("start"),
            rebased_commit.c.pull_request.is_not(None).label("rebased"),
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
        .where(in_reach)
    )


def _resolve_rebased(connection: Connection, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows whose pull request came from a rebased copy, checked: a pull request of another
    repository is none (a fork's copy of the same commit), one of the same repository brings
    its first commit time. Other rows are returned as they are, not copied."""
    rebased = [index for index, row in enumerate(rows) if row[_REBASED]]
    if not rebased:
        return rows
    wanted = sorted({rows[index][_PULL_REQUEST] for index in rebased})
    owners: dict[str, tuple[int, int | None]] = {}
    for chunk in batched(wanted, 500):
        query = select(
            pull_requests.c.external_id,
            pull_requests.c.repository_id,
            pull_requests.c.first_commit_at,
        ).where(pull_requests.c.external_id.in_(chunk))
        owners.update(
            {
                owner: (repository, start)
                for owner, repository, start in driver_rows(connection, query)
            }
        )
    for index in rebased:
        row = rows[index]
        repository, start = owners.get(row[_PULL_REQUEST], (None, None))
        if repository == row[_REPOSITORY]:
            rows[index] = (*row[:_PULL_REQUEST], row[_PULL_REQUEST], start, True)
        else:
            rows[index] = (*row[:_PULL_REQUEST], None, None, True)
    return rows


def _reverted_deployments(
    connection: Connection, rows: Iterable[tuple[Any, ...]], environments: Sequence[str]
) -> dict[tuple[int, int, str], int]:
    """(service, repository, reverted sha) -> the production deployment that shipped it.

    A revert may undo a commit shipped long before the loaded window; that deployment still
    makes the revert a remediation (rework), so it is looked up, not taken from the loaded rows.
    One statement per 500 shas, each repository's shas under its own term (the unique index's
    prefix), instead of one statement per repository: a hundred repositories with reverts cost
    a hundred statements (0.2 s on PostgreSQL) where one takes a quarter of that. A row-value
    `(repository_id, sha) IN (...)` would be shorter, but SQLite scans for it.
    """
    wanted = sorted({(row[_REPOSITORY], row[_REVERTS]) for row in rows if row[_REVERTS]})
    found: dict[tuple[int, int, str], int] = {}
    for chunk in batched(wanted, 500):
        shas: dict[int, list[str]] = {}
        for repository_id, sha in chunk:
            shas.setdefault(repository_id, []).append(sha)
        query = (
            select(
                deployments.c.service_id,
                commits.c.repository_id,
                commits.c.sha,
                func.min(shipped.c.deployment_id),
            )
            .select_from(commits)
            .join(shipped, shipped.c.commit_id == commits.c.id)
            .join(deployments, deployments.c.id == shipped.c.deployment_id)
            .where(
                or_(
                    *(
                        and_(commits.c.repository_id == repository_id, commits.c.sha.in_(named))
                        for repository_id, named in shas.items()
                    )
                ),
                deployments.c.status == "success",
                deployments.c.environment.in_(environments),
            )
            .group_by(deployments.c.service_id, commits.c.repository_id, commits.c.sha)
        )
        for service_id, repository_id, sha, deployment_id in connection.execute(query):
            found[(service_id, repository_id, sha)] = int(deployment_id)
    return found


def _missing_starts(connection: Connection, rows: Iterable[tuple[Any, ...]]) -> dict[str, int]:
    """The earliest commit (epoch microseconds) of pull requests that did not record their
    first commit time."""
    owners = sorted(
        {row[_PULL_REQUEST] for row in rows if row[_PULL_REQUEST] and row[_START] is None}
    )
    starts: dict[str, int] = {}
    for chunk in batched(owners, 500):
        query = (
            select(
                pull_request_commits.c.pull_request, func.min(pull_request_commits.c.author_time)
            )
            .where(pull_request_commits.c.pull_request.in_(chunk))
            .group_by(pull_request_commits.c.pull_request)
        )
        starts.update({owner: first for owner, first in driver_rows(connection, query)})
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
