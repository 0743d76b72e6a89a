"""GitHub sync through httpx.MockTransport on the fake API: what lands in the store, lead time
with merge-commit, squash and rebase merges, incremental runs and their request counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from dorameter.model import Period
from dorameter.report import build_report
from dorameter.store import Store
from dorameter.store.schema import pull_requests
from tests.platforms.fake_github import T0, FakeGitHub, at, pull_node, sha
from tests.platforms.github_support import SETTINGS, source_for, sync, three_merge_styles

HOUR = 3600.0


@pytest.fixture
def fake() -> FakeGitHub:
    github = FakeGitHub()
    three_merge_styles(github)
    return github


def test_squash_rebase_and_merge_commit_pull_requests_feed_lead_time(
    store: Store, fake: FakeGitHub
) -> None:
    report = sync(store, source_for(fake))

    assert report.counts.commits_added == 7  # A b1 b2 M1 S R1 R2
    assert report.counts.pull_requests.added == 3
    assert report.counts.pull_request_commits_added == 6
    assert report.counts.reviews.added == 1
    assert report.counts.deployments.added == 2
    assert report.attributed == 2
    period = Period(T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    [shop] = build_report(store, SETTINGS, period, ["shop"]).services
    lead = shop.lead_time
    # b1 50 h and b2 40 h from their own author times; S 30 h from squashed s1; R1 and R2
    # 18 h from rebased r1; M1 is a merge and no change of its own.
    assert lead.summary.count == 5
    assert lead.merges == 1
    assert lead.from_pr_start == 3
    assert lead.summary.median_seconds == 30 * HOUR
    assert shop.deployment_frequency.count == 1


def test_a_second_run_with_nothing_new_costs_few_requests_and_changes_nothing(
    store: Store, fake: FakeGitHub
) -> None:
    sync(store, source_for(fake))
    fake.requests.clear()

    again = sync(store, source_for(fake))

    assert again.counts.commits_added == 0
    assert again.counts.pull_requests.added == again.counts.pull_requests.updated == 0
    assert again.counts.deployments.added == again.counts.deployments.updated == 0
    # repository, commits (304), one page of pull requests, deployments (304), workflow runs,
    # one issues listing per incident label
    assert sorted(fake.requests) == sorted(
        [
            "GET /repos/acme/shop",
            "GET /repos/acme/shop/commits",
            "POST graphql:PullRequests",
            "GET /repos/acme/shop/deployments",
            "GET /repos/acme/shop/actions/runs",
            "GET /repos/acme/shop/issues",
        ]
    )


def test_later_runs_read_only_what_changed(store: Store, fake: FakeGitHub) -> None:
    sync(store, source_for(fake))
    repo = fake.repositories["acme/shop"]
    repo.add_commit("C", ("R2",), 1, "Add c (#4)")
    repo.add_pull(4, created=0.5, merged=1, merge_commit=sha("C"), commits=[(sha("c1"), 0.5, "c")])
    repo.pulls[0]["updatedAt"] = at(1.5)  # a late comment on #1 updates it
    repo.add_deployment(3, sha("C"), "production", [("success", 2)])
    fake.requests.clear()

    later = sync(store, source_for(fake))

    assert later.counts.commits_added == 1
    assert later.counts.pull_requests.added == 1
    # #4, the updated #1, and #3 whose last update is the stored bound (inclusive); not #2
    assert later.read["pull_requests"] == 3
    assert later.counts.pull_requests.updated == 1
    assert later.counts.deployments.added == 1
    assert fake.counts()["GET /repos/acme/shop/deployments/N/statuses"] == 1


def test_a_repository_another_process_is_syncing_is_left_alone(
    store: Store, fake: FakeGitHub, store_url: str
) -> None:
    from dorameter.errors import AlreadyRunning
    from dorameter.store import open_store

    other = open_store(store_url)  # like another worker: its own connections
    try:
        with other.exclusive("github:acme/shop"), pytest.raises(AlreadyRunning):
            sync(store, source_for(fake))
        assert fake.requests == []  # nothing was read while the other held it
    finally:
        other.close()
    assert sync(store, source_for(fake)).counts.pull_requests.added == 3


def pull_states(store: Store) -> list[tuple[int, str, bool]]:
    """(number, state, has a merge time) of every stored pull request."""
    with store.engine.connect() as connection:
        query = select(pull_requests.c.number, pull_requests.c.state, pull_requests.c.merged_at)
        found = connection.execute(query.order_by(pull_requests.c.number))
        return [(number, state, merged_at is not None) for number, state, merged_at in found]


def test_open_and_closed_pull_requests_are_read_and_updated_when_they_merge_or_close(
    store: Store, fake: FakeGitHub
) -> None:
    repo = fake.repository("acme/shop")
    repo.add_pull(4, created=-200, commits=[(sha("o4"), -210, "Old work")])
    repo.add_pull(5, created=-2, commits=[(sha("o5"), -2, "New work")])
    repo.add_pull(6, created=-100, closed=-1, commits=[(sha("o6"), -100, "Abandoned")])
    repo.add_pull(7, created=-100, commits=[(sha("o7"), -120, "Slow work")], title="Migrate")
    sync(store, source_for(fake))
    assert pull_states(store) == [
        (1, "merged", True),
        (2, "merged", True),
        (3, "merged", True),
        (4, "open", False),
        (5, "open", False),
        (6, "closed", False),
        (7, "open", False),
    ]
    day = Period(T0 - timedelta(hours=24), T0 + timedelta(hours=1))
    [shop] = build_report(store, SETTINGS, day, ["shop"]).services
    trunk = shop.diagnosis.trunk
    assert shop.diagnosis.pull_requests == 3  # stages and batch sizes: merged PRs only
    assert (trunk.long_lived, trunk.long_lived_merged, trunk.open_at_end) == (2, 0, 3)
    assert [age.pull_request.number for age in trunk.long_lived_open] == [4, 7]  # 211 h, 121 h
    assert (
        "2 still open: #4 Change 4 (8.8 d), #7 Migrate (5 d)."
        in shop.diagnosis.findings[-1].message
    )

    # #4 merges and #5 is closed unmerged; the next run reads both again and updates them
    repo.pulls[3] = pull_node(
        4, created=-200, merged=2, merge_commit=sha("M4"), commits=[(sha("o4"), -210, "Old work")]
    )
    repo.pulls[4] = pull_node(5, created=-2, closed=2, commits=[(sha("o5"), -2, "New work")])
    later = sync(store, source_for(fake))

    assert later.counts.pull_requests.updated == 2 and later.counts.pull_requests.added == 0
    assert pull_states(store)[3:5] == [(4, "merged", True), (5, "closed", False)]
    longer = Period(T0 - timedelta(hours=24), T0 + timedelta(hours=3))
    [shop] = build_report(store, SETTINGS, longer, ["shop"]).services
    trunk = shop.diagnosis.trunk
    assert shop.diagnosis.pull_requests == 4
    assert (trunk.long_lived, trunk.long_lived_merged, trunk.open_at_end) == (2, 1, 1)
    assert [age.pull_request.number for age in trunk.long_lived_open] == [7]
