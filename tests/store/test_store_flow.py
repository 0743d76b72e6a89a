"""Pull requests, reviews and CI runs: idempotent writes, and PR-aware lead time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dorameter.config import Settings
from dorameter.model import (
    Period,
    PipelineOutcome,
    PipelineRun,
    PullRequest,
    PullRequestCommit,
    Review,
    ReviewState,
)
from dorameter.report import build_report
from dorameter.store import Store, open_store
from dorameter.store.schema import pipeline_runs, pull_requests, reviews
from tests.store.store_support import REPOSITORY, T0, at, commit, deployment, feed, sha

HOUR = 3600.0
PERIOD = Period(T0 - timedelta(days=2), T0 + timedelta(days=5))


def pull_request(number: int, merge_commit: str | None, **changes: object) -> PullRequest:
    fields: dict[str, object] = {
        "repository": REPOSITORY,
        "number": number,
        "external_id": f"test:{REPOSITORY}#{number}",
        "source": "test",
        "title": f"Change {number}",
        "author": "ada",
        "created_at": at(-20),
        "state": "merged" if merge_commit else "open",
        "merged_at": at(1) if merge_commit else None,
        "merge_commit_sha": sha(merge_commit) if merge_commit else None,
        "labels": ("backend", "small"),
    }
    fields.update(changes)
    return PullRequest(**fields)  # type: ignore[arg-type]


def count(store: Store, table: object) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_pull_requests_are_upserted_by_external_id(store: Store) -> None:
    first = store.upsert_pull_requests([pull_request(1, None), pull_request(2, "x")])
    again = store.upsert_pull_requests([pull_request(1, None), pull_request(2, "x")])
    merged = store.upsert_pull_requests([pull_request(1, "y")])

    assert (first.added, again.unchanged, merged.updated) == (2, 2, 1)
    assert count(store, pull_requests) == 2
    with store.engine.connect() as connection:
        row = connection.execute(
            select(pull_requests.c.state, pull_requests.c.labels, pull_requests.c.merged_at).where(
                pull_requests.c.number == 1
            )
        ).one()
    assert (row.state, row.labels, row.merged_at) == ("merged", '["backend", "small"]', at(1))


def test_a_review_may_arrive_before_its_pull_request_and_change_later(store: Store) -> None:
    review = Review("test:shop#9", "review-1", "test", "grace", ReviewState.APPROVED, at(2))
    assert store.upsert_reviews([review]).added == 1
    dismissed = Review("test:shop#9", "review-1", "test", "grace", ReviewState.DISMISSED, at(2))
    assert store.upsert_reviews([dismissed]).updated == 1
    assert store.upsert_reviews([dismissed]).unchanged == 1
    with store.engine.connect() as connection:
        assert connection.execute(select(reviews.c.state)).scalars().all() == ["dismissed"]


def test_pipeline_runs_move_from_queued_to_finished(store: Store) -> None:
    queued = PipelineRun(
        REPOSITORY, "run-1", "test", "ci", sha("a"), PipelineOutcome.IN_PROGRESS, at(0)
    )
    finished = PipelineRun(
        REPOSITORY,
        "run-1",
        "test",
        "ci",
        sha("a"),
        PipelineOutcome.FAILURE,
        at(0),
        started_at=at(0.1),
        finished_at=at(0.5),
    )
    assert store.upsert_pipeline_runs([queued]).added == 1
    assert store.upsert_pipeline_runs([finished]).updated == 1
    assert count(store, pipeline_runs) == 1


def test_pull_request_commits_are_stored_once(store: Store) -> None:
    item = PullRequestCommit("test:shop#1", sha("p1"), at(-10), "Work")
    assert store.insert_pull_request_commits([item, item]) == 1
    assert store.insert_pull_request_commits([item]) == 0


def lead_time(store: Store) -> dict[str, object]:
    report = build_report(store, Settings(database_url=""), PERIOD, ["shop"])
    service = report.services[0]
    return {
        "count": service.lead_time.summary.count,
        "median": service.lead_time.summary.median_seconds,
        "from_pr_start": service.lead_time.from_pr_start,
        "squash_note": any("squash" in note for note in service.notes),
    }


def test_a_squash_merge_starts_at_the_pull_requests_first_commit(store: Store) -> None:
    # The squash commit "s" is authored at merge time (1 h); its PR's commits began at -10 h.
    squash = commit("s", "a", hours=1, subject="Add search (#7)")
    feed(
        store,
        [commit("a", hours=-30), squash],
        [deployment("d1", "a", -29), deployment("d2", "s", 3)],
    )
    without = lead_time(store)
    store.upsert_pull_requests([pull_request(7, "s")])
    store.insert_pull_request_commits(
        [
            PullRequestCommit("test:shop#7", sha("p1"), at(-10), "Start search"),
            PullRequestCommit("test:shop#7", sha("p2"), at(-5), "Finish search"),
        ]
    )

    with_prs = lead_time(store)

    # d1 ships "a" 1 h after it was written. Without PR data the squash counts 2 h from the
    # squash (median 1.5 h) and a note says so; with it, 13 h from -10 h (median 7 h).
    assert without == {
        "count": 2,
        "median": pytest.approx(1.5 * HOUR),
        "from_pr_start": 0,
        "squash_note": True,
    }
    assert with_prs == {
        "count": 2,
        "median": pytest.approx(7 * HOUR),
        "from_pr_start": 1,
        "squash_note": False,
    }


FORK_PR = "test:fork/shop#9"


@pytest.mark.parametrize(
    ("owner", "first_commit_at", "copies", "median_hours", "from_pr_start"),
    [
        # GitHub's rebase merge rewrote p1 into r1 (same author time and subject, new sha):
        # r1 starts at the PR's recorded first commit (-12 h), 14 h to its deployment at 2 h;
        # with "a" (1 h) the median is 7.5 h.
        ("test:shop#8", at(-12), [("p1", -8, "Tune cache")], 7.5, 1),
        # No first commit recorded: from the PR's earliest commit (-16 h), 18 h; median 9.5 h.
        ("test:shop#8", None, [("p0", -16, "Start cache"), ("p1", -8, "Tune cache")], 9.5, 1),
        # A fork's pull request holds the copy: it did not deliver this repository's commit,
        # so r1 counts 10 h from its own author time (-8 h); median 5.5 h.
        (FORK_PR, at(-12), [("p1", -8, "Tune cache")], 5.5, 0),
    ],
    ids=["recorded start", "earliest commit", "fork"],
)
def test_a_rebased_commit_is_matched_by_author_time_and_subject_in_its_own_repository(
    store: Store,
    owner: str,
    first_commit_at: object,
    copies: list[tuple[str, float, str]],
    median_hours: float,
    from_pr_start: int,
) -> None:
    feed(
        store,
        [commit("a", hours=-30), commit("r1", "a", hours=-8, subject="Tune cache")],
        [deployment("d1", "a", -29), deployment("d2", "r1", 2)],
    )
    repository = "fork/shop" if owner == FORK_PR else REPOSITORY
    store.ensure_repository(repository)
    number = int(owner.rsplit("#", 1)[1])
    store.upsert_pull_requests(
        [
            pull_request(
                number,
                "other",
                repository=repository,
                external_id=owner,
                first_commit_at=first_commit_at,
            )
        ]
    )
    store.insert_pull_request_commits(
        [PullRequestCommit(owner, sha(name), at(hours), subject) for name, hours, subject in copies]
    )

    figures = lead_time(store)

    assert figures["median"] == pytest.approx(median_hours * HOUR)
    assert figures["from_pr_start"] == from_pr_start


def test_an_in_memory_store_reads_its_facts_in_one_thread() -> None:
    # An in-memory SQLite store gives each thread another (empty) database, so it must read
    # the delivery and flow facts in turn, and the figures must come out whole.
    memory = open_store("sqlite://")
    try:
        assert not memory.reads_concurrently
        feed(memory, [commit("a", hours=-30)], [deployment("d1", "a", -29)])
        memory.upsert_pull_requests([pull_request(7, "a")])
        assert lead_time(memory) == {
            "count": 1,
            "median": pytest.approx(1 * HOUR),
            "from_pr_start": 0,
            "squash_note": False,
        }
    finally:
        memory.close()


def test_only_a_postgresql_store_reads_its_flow_facts_beside_the_deliveries(
    store: Store, store_url: str
) -> None:
    # Side by side was measured faster on PostgreSQL and slower on SQLite (docs/scaling.md);
    # the figures themselves are the same either way (the other tests run on both).
    assert store.reads_concurrently == store_url.startswith("postgresql")
