"""Which pull requests and CI runs of a monorepo belong to which of its path-defined services.

A service that spans a whole repository owns every pull request and CI run there. A service
defined by path prefixes owns those whose commits changed a file under its paths: a CI run by
the commit it ran on, a merged pull request by its merge commit (when no deployment shipped it
yet; shipped ones belong to the service that shipped them), an open one by any of its known
commits. What cannot be placed (a commit whose changed files were never read) belongs to none
of them: counting every open pull request of a monorepo for each of its services would be worse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select, union
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from dorameter.model import Period
from dorameter.monorepo import PathPrefixes
from dorameter.store.rows import driver_rows
from dorameter.store.schema import (
    commits,
    pipeline_runs,
    pull_request_commits,
    pull_requests,
    service_paths,
    to_micros,
)
from dorameter.store.writes import batched


@dataclass
class PathOwnership:
    """Path prefixes of the reported services, and the changed files of the commits asked."""

    prefixes: dict[tuple[int, int], PathPrefixes]  # (service id, repository id) -> prefixes
    files: dict[tuple[int, str], tuple[str, ...]] = field(default_factory=dict)
    pr_commits: dict[str, list[str]] = field(default_factory=dict)  # open PR -> its shas
    _touched: dict[tuple[int, int, str], bool] = field(default_factory=dict, repr=False)

    @property
    def repositories(self) -> set[int]:
        return {repository for _, repository in self.prefixes}

    def spans(self, service_id: int, repository_id: int) -> bool:
        """Whether the service is the whole repository (owns everything in it)."""
        return (service_id, repository_id) not in self.prefixes

    def owns(self, service_id: int, repository_id: int, shas: Iterable[str | None]) -> bool:
        """Whether the service owns an item of the repository that has these commits."""
        prefixes = self.prefixes.get((service_id, repository_id))
        if prefixes is None:
            return True  # the whole repository is the service
        return any(
            sha is not None and self._touches(service_id, repository_id, sha, prefixes)
            for sha in shas
        )

    def _touches(
        self, service_id: int, repository_id: int, sha: str, prefixes: PathPrefixes
    ) -> bool:
        """Whether the commit changed a file under the service's prefixes, remembered: a
        commit usually has several CI runs (one per pipeline), each asked about."""
        key = (service_id, repository_id, sha)
        known = self._touched.get(key)
        if known is None:
            known = self._touched[key] = prefixes.touched(self.files.get((repository_id, sha), ()))
        return known


def path_ownership(connection: Connection, service_ids: list[int]) -> PathOwnership:
    """The path prefixes of the given services (none for services spanning whole repositories)."""
    found: dict[tuple[int, int], PathPrefixes] = {}
    for chunk in batched(service_ids, 500):
        query = select(
            service_paths.c.service_id, service_paths.c.repository_id, service_paths.c.prefixes
        ).where(service_paths.c.service_id.in_(chunk))
        for service_id, repository_id, stored in connection.execute(query):
            found[(service_id, repository_id)] = PathPrefixes.from_stored(stored)
    return PathOwnership(found)


def read_changed_files(
    connection: Connection,
    ownership: PathOwnership,
    period: Period,
    open_pull_requests: list[str],
) -> None:
    """Fill in the changed files of the commits that place items in the repositories that
    have path-defined services: those CI runs of the period ran on, the merge commits of the
    pull requests merged in it, and the commits of the given open pull requests.

    The runs' and merge commits' shas are chosen in SQL (one statement per repository), not
    sent back as lists of a few thousand shas in chunks of 500.
    """
    if not ownership.prefixes:
        return
    for chunk in batched(open_pull_requests, 500):
        query = select(pull_request_commits.c.pull_request, pull_request_commits.c.sha).where(
            pull_request_commits.c.pull_request.in_(chunk)
        )
        for pull_request, sha in driver_rows(connection, query):
            ownership.pr_commits.setdefault(pull_request, []).append(sha)
    every = sorted({sha for shas_of_pr in ownership.pr_commits.values() for sha in shas_of_pr})
    since, until = to_micros(period.since), to_micros(period.until)
    for repository_id in ownership.repositories:
        placing = union(
            select(pipeline_runs.c.sha).where(
                pipeline_runs.c.repository_id == repository_id,
                pipeline_runs.c.created_at >= since,
                pipeline_runs.c.created_at < until,
            ),
            select(pull_requests.c.merge_commit_sha).where(
                pull_requests.c.repository_id == repository_id,
                pull_requests.c.merged_at >= since,
                pull_requests.c.merged_at < until,
                pull_requests.c.merge_commit_sha.is_not(None),
            ),
        )
        _read_paths(connection, ownership, repository_id, commits.c.sha.in_(placing))
        for chunk in batched(every, 500):
            _read_paths(connection, ownership, repository_id, commits.c.sha.in_(chunk))


def _read_paths(
    connection: Connection,
    ownership: PathOwnership,
    repository_id: int,
    named: ColumnElement[bool],
) -> None:
    query = select(commits.c.sha, commits.c.paths).where(
        commits.c.repository_id == repository_id, named, commits.c.paths.is_not(None)
    )
    for sha, paths in driver_rows(connection, query):
        ownership.files[(repository_id, sha)] = tuple(paths.split("\n")) if paths else ()
