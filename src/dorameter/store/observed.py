"""Writes of records reported by events, which may arrive late, twice or out of order.

Each record carries when its source reported it (`observed_at`, a PR's `updated_at`) or a
state that only moves forward (a finished run, a dismissed review). A report that is older than
what is stored changes nothing, except that the earliest known start of an incident or pull
request is kept. So any order of the same events ends in the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from dorameter.model import (
    Deployment,
    DeploymentStatus,
    Incident,
    PipelineOutcome,
    PipelineRun,
    PullRequest,
    Review,
    ReviewState,
)
from dorameter.store.flow import _pipeline_row, _pull_request_row
from dorameter.store.schema import (
    deployments,
    incidents,
    pipeline_runs,
    pull_requests,
    reviews,
    to_micros,
)
from dorameter.store.writes import (
    _DEPLOYMENT_FACTS,
    _INCIDENT_OPTIONAL,
    NameIds,
    UpsertCounts,
    _deployment_row,
    _incident_row,
    optional_micros,
    upsert_rows,
)

T = TypeVar("T")
Key = tuple[Any, ...]


def _time_key(moment: datetime | None) -> int:
    return -1 if moment is None else to_micros(moment)  # never reported: older than anything


def _deployment_key(status: str, moment: datetime | None) -> Key:
    # A finished deployment outranks a running one reported at the same instant.
    return (_time_key(moment), status != DeploymentStatus.IN_PROGRESS)


def _incident_key(resolved: bool, moment: datetime | None) -> Key:
    return (_time_key(moment), resolved)


def _run_key(outcome: str, finished_at: datetime | None) -> Key:
    return (outcome != PipelineOutcome.IN_PROGRESS, _time_key(finished_at))


def _review_key(state: str) -> Key:
    return (state == ReviewState.DISMISSED,)  # a dismissal is final


class ObservedWrites:
    """Mixin for Store: order-independent upserts of records reported by events."""

    engine: Engine

    def upsert_observed_deployments(self, items: Sequence[Deployment]) -> UpsertCounts:
        """Deployments reported by events; an older report never replaces a newer one."""
        with self.engine.begin() as connection:
            stored = _stored(connection, deployments, [item.external_id for item in items])
            fresh = _newest(
                items,
                lambda item: _deployment_key(item.status, item.observed_at),
                lambda row: _deployment_key(row.status, row.state_at),
                stored,
            )
            names = NameIds(self.engine, connection)
            rows = [
                _deployment_row(names, item) | {"state_at": optional_micros(item.observed_at)}
                for item in fresh
            ]
            return upsert_rows(connection, deployments, rows, _DEPLOYMENT_FACTS)

    def upsert_observed_incidents(self, items: Sequence[Incident]) -> UpsertCounts:
        """Incidents reported by events: the newest report's state, the earliest start."""
        with self.engine.begin() as connection:
            stored = _stored(connection, incidents, [item.external_id for item in items])
            starts = _earliest(items, stored, lambda item: item.started_at, "started_at")
            fresh = _newest(
                items,
                lambda item: _incident_key(item.resolved_at is not None, item.observed_at),
                lambda row: _incident_key(row.resolved_at is not None, row.state_at),
                stored,
            )
            names = NameIds(self.engine, connection)
            rows = [
                _incident_row(names, item)
                | {
                    "started_at": optional_micros(starts[item.external_id]),
                    "state_at": optional_micros(item.observed_at),
                }
                for item in fresh
            ]
            # Later reports often leave out the severity or cause an earlier one gave.
            keep = tuple(name for name in _INCIDENT_OPTIONAL if name != "resolved_at")
            counts = upsert_rows(connection, incidents, rows, (), keep)
            _lower_starts(connection, incidents, "started_at", starts, stored, fresh)
            return counts

    def upsert_observed_pull_requests(self, items: Sequence[PullRequest]) -> UpsertCounts:
        """Pull requests reported by events: the most recently updated wins."""
        with self.engine.begin() as connection:
            stored = _stored(connection, pull_requests, [item.external_id for item in items])
            starts = _earliest(items, stored, lambda item: item.created_at, "created_at")
            fresh = _newest(
                items,
                lambda item: (_time_key(item.updated_at),),
                lambda row: (_time_key(row.updated_at),),
                stored,
            )
            names = NameIds(self.engine, connection)
            rows = [
                _pull_request_row(names, item)
                | {"created_at": optional_micros(starts[item.external_id])}
                for item in fresh
            ]
            # Only some events say when a draft became ready; sizes come with the full object.
            keep = ("ready_at", "first_commit_at", "additions", "deletions", "changed_files")
            counts = upsert_rows(connection, pull_requests, rows, (), keep)
            _lower_starts(connection, pull_requests, "created_at", starts, stored, fresh)
            return counts

    def upsert_observed_reviews(self, items: Sequence[Review]) -> UpsertCounts:
        """Reviews reported by events: a dismissed review stays dismissed."""
        with self.engine.begin() as connection:
            stored = _stored(connection, reviews, [item.external_id for item in items])
            fresh = _newest(
                items,
                lambda item: _review_key(item.state),
                lambda row: _review_key(row.state),
                stored,
            )
            rows = [
                {
                    "external_id": item.external_id,
                    "source": item.source,
                    "pull_request": item.pull_request,
                    "reviewer": item.reviewer,
                    "state": item.state.value,
                    "submitted_at": optional_micros(item.submitted_at),
                }
                for item in fresh
            ]
            return upsert_rows(connection, reviews, rows, ())

    def upsert_observed_pipeline_runs(self, items: Sequence[PipelineRun]) -> UpsertCounts:
        """CI runs reported by events: a finished run never goes back to running."""
        with self.engine.begin() as connection:
            stored = _stored(connection, pipeline_runs, [item.external_id for item in items])
            fresh = _newest(
                items,
                lambda item: _run_key(item.outcome, item.finished_at),
                lambda row: _run_key(row.outcome, row.finished_at),
                stored,
            )
            names = NameIds(self.engine, connection)
            rows = [_pipeline_row(names, item) for item in fresh]
            return upsert_rows(connection, pipeline_runs, rows, ())


def _stored(connection: Connection, table: Any, ids: Sequence[str]) -> dict[str, Any]:
    """The stored rows with these external ids."""
    if not ids:
        return {}
    query = select(table).where(table.c.external_id.in_(sorted(set(ids))))
    return {row.external_id: row for row in connection.execute(query)}


def _newest(
    items: Sequence[T],
    item_key: Callable[[T], Hashable],
    row_key: Callable[[Any], Hashable],
    stored: dict[str, Any],
) -> list[T]:
    """Per external id, the item with the greatest key, if it is not older than the stored row.

    Equal keys: the later item wins (a redelivery or a correction carries the same key).
    """
    best: dict[str, T] = {}
    for item in items:
        external_id: str = getattr(item, "external_id")  # noqa: B009
        held = best.get(external_id)
        if held is None or item_key(item) >= item_key(held):  # type: ignore[operator]
            best[external_id] = item
    return [
        item
        for external_id, item in best.items()
        if external_id not in stored or item_key(item) >= row_key(stored[external_id])  # type: ignore[operator]
    ]


def _earliest(
    items: Sequence[T],
    stored: dict[str, Any],
    start: Callable[[T], datetime],
    column: str,
) -> dict[str, datetime]:
    """Per external id, the earliest start among the items and the stored row."""
    starts: dict[str, datetime] = {}
    for item in items:
        external_id: str = getattr(item, "external_id")  # noqa: B009
        moment = start(item)
        starts[external_id] = min(moment, starts.get(external_id, moment))
        if external_id in stored:
            starts[external_id] = min(starts[external_id], getattr(stored[external_id], column))
    return starts


def _lower_starts(
    connection: Connection,
    table: Any,
    column: str,
    starts: dict[str, datetime],
    stored: dict[str, Any],
    fresh: Sequence[Any],
) -> None:
    """Stored rows whose reports were all older still learn an earlier start."""
    written = {item.external_id for item in fresh}
    for external_id, row in stored.items():
        if external_id in written or starts[external_id] >= getattr(row, column):
            continue
        connection.execute(
            update(table)
            .where(table.c.id == row.id)
            .values({column: optional_micros(starts[external_id])})
        )
