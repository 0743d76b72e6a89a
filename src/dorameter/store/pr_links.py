"""Link shipped commits to the pull requests they came from, for lead time's start.

Squash and rebase merges put new commits on the deployed branch; their lead time starts at the
pull request's earliest commit (metrics.md, change lead time). A shipped commit belongs to a
pull request when it is the pull request's merge commit (merge or squash), or when it has the
author time and subject of one of the pull request's commits under another sha (a rebase).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from dorameter.store.schema import pull_request_commits, pull_requests, to_micros
from dorameter.store.writes import batched


@dataclass(frozen=True)
class ShippedCommit:
    """What identifies a shipped commit for matching."""

    repository_id: int
    sha: str
    author_time: datetime
    subject: str


def has_pull_requests(connection: Connection, repository_ids: Iterable[int]) -> bool:
    """Whether any pull request of these repositories is known."""
    ids = sorted(set(repository_ids))
    if not ids:
        return False
    query = select(pull_requests.c.id).where(pull_requests.c.repository_id.in_(ids)).limit(1)
    return connection.execute(query).first() is not None


def pull_request_starts(
    connection: Connection, shipped: Sequence[ShippedCommit]
) -> dict[tuple[int, str], datetime]:
    """(repository id, sha) -> earliest commit time of the pull request that commit merged."""
    owners = _by_merge_commit(connection, shipped)
    unmatched = [item for item in shipped if (item.repository_id, item.sha) not in owners]
    owners |= _by_rebased_commit(connection, unmatched)
    starts = _first_commit_times(connection, set(owners.values()))
    return {key: starts[owner] for key, owner in owners.items() if owner in starts}


def _by_merge_commit(
    connection: Connection, shipped: Sequence[ShippedCommit]
) -> dict[tuple[int, str], str]:
    owners: dict[tuple[int, str], str] = {}
    for repository_id in {item.repository_id for item in shipped}:
        shas = sorted({item.sha for item in shipped if item.repository_id == repository_id})
        for chunk in batched(shas, 500):
            query = select(pull_requests.c.merge_commit_sha, pull_requests.c.external_id).where(
                pull_requests.c.repository_id == repository_id,
                pull_requests.c.merge_commit_sha.in_(chunk),
            )
            for sha, owner in connection.execute(query):
                owners[(repository_id, sha)] = owner
    return owners


def _by_rebased_commit(
    connection: Connection, shipped: Sequence[ShippedCommit]
) -> dict[tuple[int, str], str]:
    wanted = {
        (item.repository_id, to_micros(item.author_time), item.subject): item.sha
        for item in shipped
    }
    owners: dict[tuple[int, str], str] = {}
    times = sorted({key[1] for key in wanted})
    for chunk in batched(times, 500):
        query = (
            select(
                pull_requests.c.repository_id,
                pull_request_commits.c.author_time,
                pull_request_commits.c.subject,
                pull_request_commits.c.sha,
                pull_requests.c.external_id,
            )
            .join(pull_requests, pull_requests.c.external_id == pull_request_commits.c.pull_request)
            .where(pull_request_commits.c.author_time.in_(chunk))
        )
        for repository_id, author_time, subject, sha, owner in connection.execute(query):
            shipped_sha = wanted.get((repository_id, to_micros(author_time), subject))
            if shipped_sha is not None and shipped_sha != sha:
                owners[(repository_id, shipped_sha)] = owner
    return owners


def _first_commit_times(connection: Connection, owners: set[str]) -> dict[str, datetime]:
    """Each pull request's earliest commit: its recorded first commit, else its commits' min."""
    starts: dict[str, datetime] = {}
    for chunk in batched(sorted(owners), 500):
        recorded = select(pull_requests.c.external_id, pull_requests.c.first_commit_at).where(
            pull_requests.c.external_id.in_(chunk)
        )
        for owner, first in connection.execute(recorded):
            if first is not None:
                starts[owner] = first
        earliest = (
            select(
                pull_request_commits.c.pull_request, func.min(pull_request_commits.c.author_time)
            )
            .where(pull_request_commits.c.pull_request.in_(chunk))
            .group_by(pull_request_commits.c.pull_request)
        )
        for owner, first in connection.execute(earliest):
            moment = first
            if owner not in starts or moment < starts[owner]:
                starts[owner] = moment
    return starts
