"""Load what flow diagnosis needs, for all services of a report at once.

A service's pull requests are those merged in the period in a repository it deployed from. The
deploy stage ends at the first successful production deployment of the service that shipped the
PR's merge commit (pull_requests -> commits -> shipped -> deployments). A merged PR that no
deployment of a service shipped yet belongs to every service deploying from its repository,
with the deploy stage missing. CI runs are those created in the period in the same repositories.
Pull requests still open at the period's end (opened before it, merged or closed only after it,
or not yet) belong to every service deploying from their repository; only trunk flow reads them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection, Engine

from dorameter.flow_model import FlowData, OpenPullRequestFact, PullRequestFact, ReviewFact
from dorameter.model import Period, PipelineOutcome, PipelineRun
from dorameter.store.schema import (
    commits,
    deployments,
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
    shipped_by = _deployments_shipping(connection, rows, list(ids.values()), environments)
    found_reviews = _reviews(connection, [row.external_id for row in rows])
    open_rows = _open_pull_requests(connection, all_repositories, period)
    unknown_starts = [row.external_id for row in rows + open_rows if not row.first_commit_at]
    starts = _first_commits(connection, unknown_starts)
    runs = _pipeline_runs(connection, all_repositories, period)
    shipped_prs = {pull_request for pull_request, _ in shipped_by}
    by_repository: dict[int, list[Any]] = {}
    for row in rows:
        by_repository.setdefault(row.repository_id, []).append(row)
    open_by_repository: dict[int, list[Any]] = {}
    for row in open_rows:
        open_by_repository.setdefault(row.repository_id, []).append(row)
    by_id = {row.id: row for row in rows}
    shipped_for: dict[int, list[Any]] = {}
    for pull_request, shipping_service in shipped_by:
        shipped_for.setdefault(shipping_service, []).append(by_id[pull_request])
    position = {row.id: index for index, row in enumerate(rows)}
    runs_by_repository: dict[int, list[tuple[int, PipelineRun]]] = {}
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
                if row.id not in shipped_prs:  # shipped by another service: not this one's
                    candidates.setdefault(row.id, row)
        facts = [
            _fact(row, name, shipped_by.get((row.id, service_id)), found_reviews, starts)
            for row in sorted(candidates.values(), key=lambda row: position[row.id])
        ]
        own_runs = sorted(
            (item for repository in mine for item in runs_by_repository.get(repository, [])),
            key=lambda item: item[0],  # the query's order: creation time, then id
        )
        still_open = sorted(
            (row for repository in mine for row in open_by_repository.get(repository, [])),
            key=lambda row: (row.created_at, row.id),
        )
        open_facts = tuple(_open_fact(row, name, starts) for row in still_open)
        flows.append(FlowData(name, tuple(facts), tuple(run for _, run in own_runs), open_facts))
    return flows


def _service_ids(connection: Connection, names: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in batched(list(names), 500):
        query = select(services.c.name, services.c.id).where(services.c.name.in_(chunk))
        found.update({name: service_id for name, service_id in connection.execute(query)})
    return found


def _service_repositories(connection: Connection, service_ids: list[int]) -> dict[int, set[int]]:
    owned: dict[int, set[int]] = {}
    for chunk in batched(service_ids, 500):
        query = (
            select(deployments.c.service_id, deployments.c.repository_id)
            .where(deployments.c.service_id.in_(chunk), deployments.c.repository_id.is_not(None))
            .distinct()
        )
        for service_id, repository_id in connection.execute(query):
            owned.setdefault(service_id, set()).add(repository_id)
    return owned


def _merged_pull_requests(
    connection: Connection, repository_ids: list[int], period: Period
) -> list[Any]:
    rows: list[Any] = []
    for chunk in batched(repository_ids, 500):
        query = select(pull_requests).where(
            pull_requests.c.repository_id.in_(chunk),
            pull_requests.c.merged_at >= to_micros(period.since),
            pull_requests.c.merged_at < to_micros(period.until),
        )
        rows += connection.execute(query).all()
    return sorted(rows, key=lambda row: (row.merged_at, row.id))


def _open_pull_requests(
    connection: Connection, repository_ids: list[int], period: Period
) -> list[Any]:
    """Pull requests open at the period's end: opened before it and neither merged nor closed
    before it. Stored state "open" with no merge time, or a merge or close after the end (so
    a past period's figures stay put); a closed one without a close time is never open."""
    until = to_micros(period.until)
    rows: list[Any] = []
    for chunk in batched(repository_ids, 500):
        query = select(pull_requests).where(
            pull_requests.c.repository_id.in_(chunk),
            pull_requests.c.created_at < until,
            or_(pull_requests.c.merged_at.is_(None), pull_requests.c.merged_at >= until),
            or_(
                pull_requests.c.state == "open",
                pull_requests.c.merged_at >= until,
                pull_requests.c.closed_at >= until,
            ),
        )
        rows += connection.execute(query).all()
    return rows


def _deployments_shipping(
    connection: Connection, rows: list[Any], service_ids: list[int], environments: Sequence[str]
) -> dict[tuple[int, int], tuple[int, datetime]]:
    """(pull request id, service id) -> (deployment id, finish) of the first that shipped it.

    Two steps, from the pull requests outward, with the deployment filters applied here: given
    the service filter in SQL, SQLite starts from every deployment of the services instead.
    """
    merge_commits: dict[int, list[int]] = {}  # commit id -> pull request ids
    merged = [row.id for row in rows if row.merge_commit_sha]
    for chunk in batched(merged, 500):
        query = (
            select(pull_requests.c.id, commits.c.id.label("commit_id"))
            .select_from(pull_requests)
            .join(
                commits,
                and_(
                    commits.c.repository_id == pull_requests.c.repository_id,
                    commits.c.sha == pull_requests.c.merge_commit_sha,
                ),
            )
            .where(pull_requests.c.id.in_(chunk))
        )
        for pull_request_id, commit_id in connection.execute(query):
            merge_commits.setdefault(commit_id, []).append(pull_request_id)
    wanted_services, wanted_environments = set(service_ids), set(environments)
    found: dict[tuple[int, int], tuple[int, datetime]] = {}
    for chunk in batched(sorted(merge_commits), 500):
        query = (
            select(
                shipped.c.commit_id,
                deployments.c.id,
                deployments.c.service_id,
                deployments.c.environment,
                deployments.c.status,
                deployments.c.finished_at,
            )
            .select_from(shipped)
            .join(deployments, deployments.c.id == shipped.c.deployment_id)
            .where(shipped.c.commit_id.in_(chunk))
        )
        for row in connection.execute(query):
            if (
                row.service_id not in wanted_services
                or row.environment not in wanted_environments
                or row.status != "success"
            ):
                continue
            for pull_request_id in merge_commits[row.commit_id]:
                key = (pull_request_id, row.service_id)
                if key not in found or row.finished_at < found[key][1]:
                    found[key] = (row.id, row.finished_at)
    return found


def _reviews(connection: Connection, owners: list[str]) -> dict[str, list[ReviewFact]]:
    found: dict[str, list[ReviewFact]] = {}
    for chunk in batched(sorted(set(owners)), 500):
        query = (
            select(reviews.c.pull_request, reviews.c.reviewer, reviews.c.submitted_at)
            .where(reviews.c.pull_request.in_(chunk))
            .order_by(reviews.c.submitted_at, reviews.c.id)
        )
        for owner, reviewer, submitted_at in connection.execute(query):
            found.setdefault(owner, []).append(ReviewFact(reviewer, submitted_at))
    return found


def _first_commits(connection: Connection, owners: list[str]) -> dict[str, datetime]:
    starts: dict[str, datetime] = {}
    for chunk in batched(sorted(set(owners)), 500):
        query = (
            select(
                pull_request_commits.c.pull_request, func.min(pull_request_commits.c.author_time)
            )
            .where(pull_request_commits.c.pull_request.in_(chunk))
            .group_by(pull_request_commits.c.pull_request)
        )
        starts.update({owner: first for owner, first in connection.execute(query)})
    return starts


def _pipeline_runs(
    connection: Connection, repository_ids: list[int], period: Period
) -> list[tuple[int, PipelineRun]]:
    found: list[tuple[int, PipelineRun]] = []
    for chunk in batched(repository_ids, 500):
        query = (
            select(pipeline_runs, repositories.c.name.label("repository"))
            .join(repositories, repositories.c.id == pipeline_runs.c.repository_id)
            .where(
                pipeline_runs.c.repository_id.in_(chunk),
                pipeline_runs.c.created_at >= to_micros(period.since),
                pipeline_runs.c.created_at < to_micros(period.until),
            )
            .order_by(pipeline_runs.c.created_at, pipeline_runs.c.id)
        )
        for row in connection.execute(query):
            found.append((row.repository_id, _pipeline_run(row)))
    return found


def _pipeline_run(row: Any) -> PipelineRun:
    return PipelineRun(
        repository=row.repository,
        external_id=row.external_id,
        source=row.source,
        name=row.name,
        sha=row.sha,
        outcome=PipelineOutcome(row.outcome),
        created_at=row.created_at,
        branch=row.branch,
        event=row.event,
        attempt=row.attempt,
        started_at=row.started_at,
        finished_at=row.finished_at,
        url=row.url,
    )


def _fact(
    row: Any,
    service: str,
    deployment: tuple[int, datetime] | None,
    found_reviews: dict[str, list[ReviewFact]],
    starts: dict[str, datetime],
) -> PullRequestFact:
    return PullRequestFact(
        external_id=row.external_id,
        service=service,
        number=row.number,
        title=row.title,
        author=row.author,
        created_at=row.created_at,
        ready_at=row.ready_at or row.created_at,
        merged_at=row.merged_at,
        first_commit_at=row.first_commit_at or starts.get(row.external_id),
        deployed_at=deployment[1] if deployment else None,
        deployment_id=deployment[0] if deployment else None,
        reviews=tuple(found_reviews.get(row.external_id, ())),
        additions=row.additions,
        deletions=row.deletions,
        was_draft=bool(row.draft) or row.ready_at is not None,
        labels=tuple(json.loads(row.labels or "[]")),
        url=row.url,
    )


def _open_fact(row: Any, service: str, starts: dict[str, datetime]) -> OpenPullRequestFact:
    return OpenPullRequestFact(
        external_id=row.external_id,
        service=service,
        number=row.number,
        title=row.title,
        author=row.author,
        created_at=row.created_at,
        first_commit_at=row.first_commit_at or starts.get(row.external_id),
        draft=bool(row.draft),
        url=row.url,
    )
