"""Load what flow diagnosis needs, for all services of a report at once.

A service's pull requests are those merged in the period in a repository it deployed from. The
deploy stage ends at the first successful production deployment of the service that shipped the
PR's merge commit (pull_requests -> commits -> shipped -> deployments). A merged PR that no
deployment of a service shipped yet belongs to every service deploying from its repository,
with the deploy stage missing. CI runs are those created in the period in the same repositories.
In a monorepo, a path-defined service owns only what touched its paths (flow_paths.py).
Pull requests still open at the period's end (opened before it, merged or closed only after it,
or not yet) belong to every service deploying from their repository; only trunk flow reads them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import and_, bindparam, func, or_, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from dorameter.flow_model import CiRun, FlowData, OpenPullRequestFact, PullRequestFact, ReviewFact
from dorameter.model import Period
from dorameter.store.flow_paths import PathOwnership, path_ownership, read_changed_files
from dorameter.store.rows import driver_rows
from dorameter.store.schema import (
    commits,
    deployments,
    from_micros,
    pipeline_runs,
    pull_request_commits,
    pull_requests,
    repositories,
    reviews,
    services,
    shipped,
    to_micros,
)
from dorameter.store.writes import batched


class FlowReads:
    """Mixin for Store: read the flow facts of services for reports."""

    engine: Engine

    def load_flows(
        self, names: Sequence[str], environments: Sequence[str], period: Period
    ) -> list[FlowData]:
        """Merged pull requests and CI runs of each named service in the period."""
        with self.engine.connect() as connection:
            return load_flows(connection, names, environments, period)


def load_flows(
    connection: Connection, names: Sequence[str], environments: Sequence[str], period: Period
) -> list[FlowData]:
    """Merged pull requests and CI runs of each named service in the period."""
    ids = _service_ids(connection, names)
    owned = _service_repositories(connection, list(ids.values()))
    all_repositories = sorted({repo for repos in owned.values() for repo in repos})
    rows = _merged_pull_requests(connection, all_repositories, period)
    service_ids = list(ids.values())
    shipped_by = _deployments_shipping(
        connection, all_repositories, period, service_ids, environments
    )
    open_rows = _open_pull_requests(connection, all_repositories, period)
    unknown_starts = [row.external_id for row in rows if not row.first_commit_at]
    unknown_starts += [row.external_id for row in open_rows if row.first_commit_at is None]
    starts = _first_commits(connection, unknown_starts)
    facts = _Facts(shipped_by, _reviews(connection, all_repositories, period), starts)
    runs = _pipeline_runs(connection, all_repositories, period)
    ownership = _ownership(connection, service_ids, period, open_rows)
    shipped_prs = {pull_request for pull_request, _ in shipped_by}
    by_repository: dict[int, list[_PullRequestRow]] = {}
    for row in rows:
        by_repository.setdefault(row.repository_id, []).append(row)
    open_by_repository: dict[int, list[_OpenPullRequestRow]] = {}
    for open_row in open_rows:
        open_by_repository.setdefault(open_row.repository_id, []).append(open_row)
    by_id = {row.id: row for row in rows}
    shipped_for: dict[int, list[_PullRequestRow]] = {}
    for pull_request, shipping_service in shipped_by:
        shipped_for.setdefault(shipping_service, []).append(by_id[pull_request])
    position = {row.id: index for index, row in enumerate(rows)}
    runs_by_repository: dict[int, list[tuple[int, CiRun]]] = {}
    for index, (repository, run) in enumerate(runs):
        runs_by_repository.setdefault(repository, []).append((index, run))
    flows = []
    for name in names:
        service_id = ids.get(name)
        if service_id is None:
            flows.append(FlowData(name))
            continue
        mine = owned.get(service_id, set())
        # Grouped by repository and by shipping service: linear in the rows, not services x rows.
        candidates = {row.id: row for row in shipped_for.get(service_id, [])}
        for repository in mine:
            for row in by_repository.get(repository, []):
                # Shipped by another service: not this one's; in a monorepo, by its paths.
                if row.id not in shipped_prs and ownership.owns(
                    service_id, repository, [row.merge_commit_sha]
                ):
                    candidates.setdefault(row.id, row)
        own_facts = [
            facts.fact(row, name, service_id)
            for row in sorted(candidates.values(), key=lambda row: position[row.id])
        ]
        own_runs = _own_runs(service_id, mine, runs_by_repository, ownership)
        still_open = sorted(
            (
                row
                for repository in mine
                for row in open_by_repository.get(repository, [])
                if ownership.owns(
                    service_id, repository, ownership.pr_commits.get(row.external_id, [])
                )
            ),
            key=lambda row: (row.created_at, row.id),
        )
        open_facts = tuple(_open_fact(row, name, starts) for row in still_open)
        flows.append(FlowData(name, tuple(own_facts), own_runs, open_facts))
    return flows


def _own_runs(
    service_id: int,
    repositories: set[int],
    runs_by_repository: dict[int, list[tuple[int, CiRun]]],
    ownership: PathOwnership,
) -> tuple[CiRun, ...]:
    """The service's CI runs in the query's order (creation time, then id).

    A repository the service spans whole gives all its runs, unchecked; with a single
    repository they are already in order (a report reads over 100,000 runs).
    """
    mine: list[tuple[int, CiRun]] = []
    for repository in repositories:
        found = runs_by_repository.get(repository, [])
        if ownership.spans(service_id, repository):
            mine += found
        else:
            mine += [
                item for item in found if ownership.owns(service_id, repository, [item[1].sha])
            ]
    if len(repositories) > 1:
        mine.sort(key=lambda item: item[0])
    return tuple(run for _, run in mine)


def _ownership(
    connection: Connection,
    service_ids: list[int],
    period: Period,
    open_rows: list[_OpenPullRequestRow],
) -> PathOwnership:
    """Path prefixes of monorepo services, with the changed files of the commits that place
    each pull request and CI run of their repositories (flow_paths.py)."""
    ownership = path_ownership(connection, service_ids)
    monorepos = ownership.repositories
    still_open = [row.external_id for row in open_rows if row.repository_id in monorepos]
    read_changed_files(connection, ownership, period, still_open)
    return ownership


def _service_ids(connection: Connection, names: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in batched(list(names), 500):
        query = select(services.c.name, services.c.id).where(services.c.name.in_(chunk))
        found.update({name: service_id for name, service_id in connection.execute(query)})
    return found


def _service_repositories(connection: Connection, service_ids: list[int]) -> dict[int, set[int]]:
    """The repositories each service deployed from (ever), by skip scan."""
    owned: dict[int, set[int]] = {}
    for chunk in batched(service_ids, 500):
        for service_id, repository_id in connection.execute(_REPOSITORIES, {"ids": chunk}):
            owned.setdefault(service_id, set()).add(repository_id)
    return owned


# SELECT DISTINCT service_id, repository_id FROM deployments WHERE service_id IN :ids, as a
# skip scan of the (service, repository) index: one seek per pair, instead of reading every
# deployment of the services (the whole table for a full report). min() skips NULL repositories.
_REPOSITORIES = text(
    """
    WITH RECURSIVE found(service_id, repository_id) AS (
        SELECT s.id, (SELECT min(d.repository_id) FROM deployments d WHERE d.service_id = s.id)
        FROM services s WHERE s.id IN :ids
        UNION ALL
        SELECT found.service_id, (
            SELECT min(d.repository_id) FROM deployments d
            WHERE d.service_id = found.service_id AND d.repository_id > found.repository_id
        )
        FROM found WHERE found.repository_id IS NOT NULL
    )
    SELECT service_id, repository_id FROM found WHERE repository_id IS NOT NULL
    """
).bindparams(bindparam("ids", expanding=True))


class _PullRequestRow(NamedTuple):
    """The columns of a merged pull request the diagnosis reads, times in epoch microseconds."""

    id: int
    external_id: str
    repository_id: int
    number: int
    title: str
    author: str
    created_at: int
    ready_at: int | None
    merged_at: int
    first_commit_at: int | None
    merge_commit_sha: str | None
    additions: int | None
    deletions: int | None
    draft: int | bool
    labels: str | None
    url: str | None


def _merged_in(repository_ids: list[int], period: Period) -> ColumnElement[bool]:
    return and_(
        pull_requests.c.repository_id.in_(repository_ids),
        pull_requests.c.merged_at >= to_micros(period.since),
        pull_requests.c.merged_at < to_micros(period.until),
    )


def _merged_pull_requests(
    connection: Connection, repository_ids: list[int], period: Period
) -> list[_PullRequestRow]:
    columns = [pull_requests.c[name] for name in _PullRequestRow._fields]
    rows: list[_PullRequestRow] = []
    for chunk in batched(repository_ids, 500):
        query = select(*columns).where(_merged_in(chunk, period))
        rows += [_PullRequestRow._make(row) for row in driver_rows(connection, query)]
    return sorted(rows, key=lambda row: (row.merged_at, row.id))


class _OpenPullRequestRow(NamedTuple):
    """The columns of a still-open pull request that trunk flow reads, times in epoch
    microseconds."""

    id: int
    external_id: str
    repository_id: int
    number: int
    title: str
    author: str
    created_at: int
    first_commit_at: int | None
    draft: int | bool
    url: str | None


def _open_pull_requests(
    connection: Connection, repository_ids: list[int], period: Period
) -> list[_OpenPullRequestRow]:
    """Pull requests open at the period's end: opened before it and neither merged nor closed
    before it. Stored state "open" with no merge time, or a merge or close after the end (so
    a past period's figures stay put); a closed one without a close time is never open."""
    until = to_micros(period.until)
    columns = [pull_requests.c[name] for name in _OpenPullRequestRow._fields]
    rows: list[_OpenPullRequestRow] = []
    for chunk in batched(repository_ids, 500):
        query = select(*columns).where(
            pull_requests.c.repository_id.in_(chunk),
            pull_requests.c.created_at < until,
            or_(pull_requests.c.merged_at.is_(None), pull_requests.c.merged_at >= until),
            or_(
                pull_requests.c.state == "open",
                pull_requests.c.merged_at >= until,
                pull_requests.c.closed_at >= until,
            ),
        )
        rows += [_OpenPullRequestRow._make(row) for row in driver_rows(connection, query)]
    return rows


def _deployments_shipping(
    connection: Connection,
    repository_ids: list[int],
    period: Period,
    service_ids: list[int],
    environments: Sequence[str],
) -> dict[tuple[int, int], tuple[int, int]]:
    """(pull request id, service id) -> (deployment id, finish in epoch microseconds) of the
    first successful deployment to the environments that shipped its merge commit.

    One join from the period's merged pull requests outward; the services are filtered here,
    not in SQL: given them, SQLite would start from every deployment of the services instead.
    Equal finishes go to the lower deployment id.
    """
    wanted_services = set(service_ids)
    found: dict[tuple[int, int], tuple[int, int]] = {}
    for chunk in batched(repository_ids, 500):
        query = (
            select(
                pull_requests.c.id,
                deployments.c.service_id,
                deployments.c.id,
                deployments.c.finished_at,
            )
            .select_from(pull_requests)
            .join(
                commits,
                and_(
                    commits.c.repository_id == pull_requests.c.repository_id,
                    commits.c.sha == pull_requests.c.merge_commit_sha,
                ),
            )
            .join(shipped, shipped.c.commit_id == commits.c.id)
            .join(deployments, deployments.c.id == shipped.c.deployment_id)
            .where(
                _merged_in(chunk, period),
                deployments.c.status == "success",
                deployments.c.environment.in_(environments),
            )
        )
        for pull_request_id, service_id, deployment_id, finished_at in driver_rows(
            connection, query
        ):
            if service_id not in wanted_services:
                continue
            key = (pull_request_id, service_id)
            known = found.get(key)
            if known is None or (finished_at, deployment_id) < (known[1], known[0]):
                found[key] = (deployment_id, finished_at)
    return found


def _reviews(
    connection: Connection, repository_ids: list[int], period: Period
) -> dict[int, list[ReviewFact]]:
    """The reviews of the period's merged pull requests, by pull request id, oldest first."""
    found: dict[int, list[ReviewFact]] = {}
    for chunk in batched(repository_ids, 500):
        query = (
            select(pull_requests.c.id, reviews.c.reviewer, reviews.c.submitted_at)
            .select_from(pull_requests)
            .join(reviews, reviews.c.pull_request == pull_requests.c.external_id)
            .where(_merged_in(chunk, period))
            .order_by(reviews.c.submitted_at, reviews.c.id)
        )
        for owner, reviewer, submitted_at in driver_rows(connection, query):
            review = ReviewFact(reviewer, submitted_at)
            known = found.get(owner)
            if known is None:
                found[owner] = [review]
            else:
                known.append(review)
    return found


def _first_commits(connection: Connection, owners: list[str]) -> dict[str, int]:
    """The earliest commit author time of each pull request, in epoch microseconds."""
    starts: dict[str, int] = {}
    for chunk in batched(sorted(set(owners)), 500):
        query = (
            select(
                pull_request_commits.c.pull_request, func.min(pull_request_commits.c.author_time)
            )
            .where(pull_request_commits.c.pull_request.in_(chunk))
            .group_by(pull_request_commits.c.pull_request)
        )
        starts.update({owner: first for owner, first in driver_rows(connection, query)})
    return starts


def _pipeline_runs(
    connection: Connection, repository_ids: list[int], period: Period
) -> list[tuple[int, CiRun]]:
    """(repository id, run) of the runs created in the period, by creation time then id."""
    found: list[tuple[int, CiRun]] = []
    for chunk in batched(repository_ids, 500):
        query = (
            select(
                pipeline_runs.c.repository_id,
                repositories.c.name,
                *(pipeline_runs.c[name] for name in CiRun._fields[1:]),
            )
            .join(repositories, repositories.c.id == pipeline_runs.c.repository_id)
            .where(
                pipeline_runs.c.repository_id.in_(chunk),
                pipeline_runs.c.created_at >= to_micros(period.since),
                pipeline_runs.c.created_at < to_micros(period.until),
            )
            .order_by(pipeline_runs.c.created_at, pipeline_runs.c.id)
        )
        found += [(row[0], CiRun._make(row[1:])) for row in driver_rows(connection, query)]
    return found


class _Facts:
    """Turns pull request rows into facts, converting each time once and each label list once."""

    def __init__(
        self,
        shipped_by: dict[tuple[int, int], tuple[int, int]],
        found_reviews: dict[int, list[ReviewFact]],
        starts: dict[str, int],
    ) -> None:
        self.shipped_by = shipped_by
        self.found_reviews = found_reviews
        self.starts = starts
        self._labels: dict[str, tuple[str, ...]] = {}  # few distinct lists, many PRs

    def fact(self, row: _PullRequestRow, service: str, service_id: int) -> PullRequestFact:
        deployment = self.shipped_by.get((row.id, service_id))
        return PullRequestFact(
            external_id=row.external_id,
            service=service,
            number=row.number,
            title=row.title,
            author=row.author,
            created_at=row.created_at,
            ready_at=row.ready_at or row.created_at,
            merged_at=row.merged_at,
            first_commit_at=row.first_commit_at or self.starts.get(row.external_id),
            deployed_at=deployment[1] if deployment else None,
            deployment_id=deployment[0] if deployment else None,
            reviews=tuple(self.found_reviews.get(row.id, ())),
            additions=row.additions,
            deletions=row.deletions,
            was_draft=bool(row.draft) or row.ready_at is not None,
            labels=self.labels(row.labels or "[]"),
            url=row.url,
        )

    def labels(self, text: str) -> tuple[str, ...]:
        found = self._labels.get(text)
        if found is None:
            found = self._labels[text] = tuple(json.loads(text))
        return found


def _open_fact(
    row: _OpenPullRequestRow, service: str, starts: dict[str, int]
) -> OpenPullRequestFact:
    start = row.first_commit_at if row.first_commit_at is not None else starts.get(row.external_id)
    return OpenPullRequestFact(
        external_id=row.external_id,
        service=service,
        number=row.number,
        title=row.title,
        author=row.author,
        created_at=from_micros(row.created_at),
        first_commit_at=from_micros(start) if start is not None else None,
        draft=bool(row.draft),
        url=row.url,
    )
