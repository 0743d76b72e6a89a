"""Flow facts read from the store: merged PRs with their deployment, reviews and CI runs."""

from __future__ import annotations

from datetime import timedelta

from dorameter.model import (
    Period,
    PipelineOutcome,
    PipelineRun,
    PullRequestCommit,
    Review,
    ReviewState,
)
from dorameter.store import Store
from dorameter.timestamps import moment
from tests.store.store_support import REPOSITORY, T0, at, commit, deployment, feed, sha
from tests.store.test_store_flow import PERIOD, pull_request


def review(number: int, name: str, reviewer: str, hours: float) -> Review:
    return Review(
        f"test:{REPOSITORY}#{number}", name, "test", reviewer, ReviewState.COMMENTED, at(hours)
    )


def test_flow_facts_join_pull_requests_to_the_deployment_that_shipped_their_merge(
    store: Store,
) -> None:
    merge = commit("m", "a", hours=1, subject="Merge pull request #1")
    feed(
        store,
        [commit("a", hours=-30), merge],
        [deployment("d1", "a", -29), deployment("d2", "m", 3), deployment("d3", "m", 5)],
    )
    store.upsert_pull_requests(
        [
            pull_request(1, "m", ready_at=at(-18), additions=30, deletions=12),
            pull_request(2, "never-shipped", merged_at=at(2)),
            pull_request(3, "a", merged_at=T0 - timedelta(days=9)),  # before the period
            pull_request(4, None),  # still open
        ]
    )
    store.insert_pull_request_commits([PullRequestCommit("test:shop#1", sha("p1"), at(-22))])
    store.upsert_reviews([review(1, "r2", "grace", -10), review(1, "r1", "ci-helper[bot]", -17)])
    store.upsert_pipeline_runs(
        [
            PipelineRun(
                REPOSITORY, "run-1", "test", "ci", sha("m"), PipelineOutcome.SUCCESS, at(1)
            ),
            PipelineRun(
                REPOSITORY, "run-0", "test", "ci", sha("a"), PipelineOutcome.SUCCESS, at(-100)
            ),
        ]
    )

    (flow,) = store.load_flows(["shop"], ["production"], PERIOD)
    (unknown,) = store.load_flows(["nobody"], ["production"], PERIOD)

    first, second = flow.pull_requests
    assert (first.number, second.number) == (1, 2)
    assert (moment(first.created_at), moment(first.ready_at)) == (at(-20), at(-18))
    assert (moment(first.merged_at), first.was_draft) == (at(1), True)
    assert first.first_commit_at is not None and first.deployed_at is not None
    assert (moment(first.first_commit_at), moment(first.deployed_at)) == (at(-22), at(3))
    assert [(r.reviewer, moment(r.submitted_at)) for r in first.reviews] == [
        ("ci-helper[bot]", at(-17)),
        ("grace", at(-10)),
    ]
    assert (first.size, first.labels) == (42, ("backend", "small"))
    assert (second.deployed_at, second.deployment_id) == (None, None)
    assert moment(second.ready_at) == at(-20)
    assert [run.external_id for run in flow.pipeline_runs] == ["run-1"]
    assert unknown.pull_requests == () and unknown.pipeline_runs == ()


def test_pull_requests_still_open_at_the_period_end_are_read_for_trunk_flow(
    store: Store,
) -> None:
    # PERIOD ends 120 h after T0; a merge or close after that end leaves a PR open at it.
    feed(store, [commit("a", hours=-30)], [deployment("d1", "a", -29)])
    store.upsert_pull_requests(
        [
            pull_request(1, None, created_at=at(-40)),  # open; first commit from its commits
            pull_request(2, "a"),  # merged in the period: a merged PR, not an open one
            pull_request(3, "a", created_at=at(-30), merged_at=at(130)),  # merged after the end
            pull_request(4, None, state="closed", closed_at=at(10)),  # abandoned in the period
            pull_request(5, None, created_at=at(-10), state="closed", closed_at=at(200)),
            pull_request(6, None, created_at=at(125)),  # opened after the end
            pull_request(7, None, created_at=at(-5), draft=True, first_commit_at=at(-50)),
            pull_request(8, None, state="closed"),  # closed, no close time: never open
            pull_request(9, "a", merged_at=T0 - timedelta(days=9)),  # merged before the period
        ]
    )
    store.insert_pull_request_commits([PullRequestCommit("test:shop#1", sha("p1"), at(-44))])

    (flow,) = store.load_flows(["shop"], ["production"], PERIOD)

    assert [item.number for item in flow.pull_requests] == [2]
    assert [
        (item.number, item.created_at, item.first_commit_at, item.draft)
        for item in flow.open_pull_requests
    ] == [
        (1, at(-40), at(-44), False),
        (3, at(-30), None, False),
        (5, at(-10), None, False),
        (7, at(-5), at(-50), True),
    ]
    (earlier,) = store.load_flows(["shop"], ["production"], Period(at(-48), at(5)))
    # At 5 h #2 (merged at 1 h) had merged, and #4 (closed unmerged at 10 h) was still open.
    assert [item.number for item in earlier.pull_requests] == [2]
    assert [item.number for item in earlier.open_pull_requests] == [1, 3, 4, 5, 7]
