"""Idempotent writes of the flow data: pull requests, their commits and reviews, CI runs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Engine

from dorameter.model import PipelineRun, PullRequest, PullRequestCommit, Review
from dorameter.store.bulk import insert_ignoring_duplicates
from dorameter.store.schema import pipeline_runs, pull_requests, reviews, to_micros
from dorameter.store.writes import NameIds, UpsertCounts, batched, optional_micros, upsert_rows


class FlowWrites:
    """Mixin for Store: pull requests, reviews and pipeline runs, keyed by external ids."""

    engine: Engine

    def upsert_pull_requests(self, items: Iterable[PullRequest]) -> UpsertCounts:
        """Insert new pull requests and update changed ones."""
        total = UpsertCounts()
        for chunk in batched(items, 1000):
            with self.engine.begin() as connection:
                names = NameIds(self.engine, connection)
                rows = [_pull_request_row(names, item) for item in chunk]
                total += upsert_rows(connection, pull_requests, rows, ())
        return total

    def insert_pull_request_commits(self, items: Iterable[PullRequestCommit]) -> int:
        """Store the commits of pull requests (they never change); returns how many were new."""
        added = 0
        for chunk in batched(items):
            rows = [
                (item.pull_request, item.sha, to_micros(item.author_time), item.subject)
                for item in chunk
            ]
            with self.engine.begin() as connection:
                added += insert_ignoring_duplicates(
                    connection,
                    "pull_request_commits",
                    ("pull_request", "sha", "author_time", "subject"),
                    rows,
                    ("pull_request", "sha"),
                )
        return added

    def upsert_reviews(self, items: Iterable[Review]) -> UpsertCounts:
        """Insert new reviews and update changed ones (a review can be dismissed later)."""
        total = UpsertCounts()
        for chunk in batched(items, 1000):
            rows = [
                {
                    "external_id": item.external_id,
                    "source": item.source,
                    "pull_request": item.pull_request,
                    "reviewer": item.reviewer,
                    "state": item.state.value,
                    "submitted_at": to_micros(item.submitted_at),
                }
                for item in chunk
            ]
            with self.engine.begin() as connection:
                total += upsert_rows(connection, reviews, rows, ())
        return total

    def upsert_pipeline_runs(self, items: Iterable[PipelineRun]) -> UpsertCounts:
        """Insert new CI runs and update changed ones (a run moves from queued to finished)."""
        total = UpsertCounts()
        for chunk in batched(items, 1000):
            with self.engine.begin() as connection:
                names = NameIds(self.engine, connection)
                rows = [_pipeline_row(names, item) for item in chunk]
                total += upsert_rows(connection, pipeline_runs, rows, ())
        return total


def _pull_request_row(names: NameIds, item: PullRequest) -> dict[str, Any]:
    return {
        "external_id": item.external_id,
        "source": item.source,
        "repository_id": names.repository(item.repository),
        "number": item.number,
        "title": item.title,
        "author": item.author,
        "state": item.state,
        "draft": item.draft,
        "created_at": to_micros(item.created_at),
        "ready_at": optional_micros(item.ready_at),
        "merged_at": optional_micros(item.merged_at),
        "closed_at": optional_micros(item.closed_at),
        "merge_commit_sha": item.merge_commit_sha,
        "base_branch": item.base_branch,
        "head_branch": item.head_branch,
        "additions": item.additions,
        "deletions": item.deletions,
        "changed_files": item.changed_files,
        "labels": json.dumps(list(item.labels)),
        "first_commit_at": optional_micros(item.first_commit_at),
        "url": item.url,
        "updated_at": optional_micros(item.updated_at),
    }


def _pipeline_row(names: NameIds, item: PipelineRun) -> dict[str, Any]:
    return {
        "external_id": item.external_id,
        "source": item.source,
        "repository_id": names.repository(item.repository),
        "name": item.name,
        "sha": item.sha,
        "branch": item.branch,
        "event": item.event,
        "outcome": item.outcome.value,
        "attempt": item.attempt,
        "created_at": to_micros(item.created_at),
        "started_at": optional_micros(item.started_at),
        "finished_at": optional_micros(item.finished_at),
        "url": item.url,
    }
