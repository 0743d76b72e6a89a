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

from sqlalchemy import select
from sqlalchemy.engine import Connection

from dorameter.monorepo import PathPrefixes
from dorameter.store.schema import commits, pull_request_commits, service_paths
from dorameter.store.writes import batched


@dataclass
class PathOwnership:
    """Path prefixes of the reported services, and the changed files of the commits asked."""

    prefixes: dict[tuple[int, int], PathPrefixes]  # (service id, repository id) -> prefixes
    files: dict[tuple[int, str], tuple[str, ...]] = field(default_factory=dict)
    pr_commits: dict[str, list[str]] = field(default_factory=dict)  # open PR -> its shas

    @property
    def repositories(self) -> set[int]:
        return {repository for _, repository in self.prefixes}

    def owns(self, service_id: int, repository_id: int, shas: Iterable[str | None]) -> bool:
        """Whether the service owns an item of the repository that has these commits."""
        prefixes = self.prefixes.get((service_id, repository_id))
        if prefixes is None:
            return True  # the whole repository is the service
        return any(
            sha is not None and prefixes.touched(self.files.get((repository_id, sha), ()))
            for sha in shas
        )


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
    shas: dict[int, set[str]],
    open_pull_requests: list[str],
) -> None:
    """Fill in the changed files of the given commits (repository id -> shas) and the commits
    of the open pull requests, for the repositories that have path-defined services."""
    if not ownership.prefixes:
        return
    for chunk in batched(open_pull_requests, 500):
        query = select(pull_request_commits.c.pull_request, pull_request_commits.c.sha).where(
            pull_request_commits.c.pull_request.in_(chunk)
        )
        for pull_request, sha in connection.execute(query):
            ownership.pr_commits.setdefault(pull_request, []).append(sha)
    every = {sha for shas_of_pr in ownership.pr_commits.values() for sha in shas_of_pr}
    for repository_id in ownership.repositories:
        wanted = sorted(shas.get(repository_id, set()) | every)
        for chunk in batched(wanted, 500):
            query = select(commits.c.sha, commits.c.paths).where(
                commits.c.repository_id == repository_id,
                commits.c.sha.in_(chunk),
                commits.c.paths.is_not(None),
            )
            for sha, paths in connection.execute(query):
                ownership.files[(repository_id, sha)] = tuple(paths.split("\n")) if paths else ()
