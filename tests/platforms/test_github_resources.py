"""Each GitHub resource and deployment definition through the fake API: workflow runs, releases,
tags, merges to a branch, deployments settled later, incidents, large pull requests."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from dorameter.errors import ApiNotFound
from dorameter.model import BotRules
from dorameter.store import Store
from dorameter.store.schema import deployments, incidents, pipeline_runs, pull_requests, reviews
from dorameter.sync import Target, sync_repositories
from tests.platforms.fake_github import T0, FakeGitHub, at, sha
from tests.platforms.github_support import (
    SETTINGS,
    SINCE,
    Waits,
    busy_history,
    plan_for,
    source_for,
    sync,
    three_merge_styles,
)


def rows(store: Store, table: Any, *columns: str) -> list[tuple[Any, ...]]:
    with store.engine.connect() as connection:
        query = select(*(table.c[name] for name in columns)).order_by(
            *(table.c[n] for n in columns)
        )
        return [tuple(row) for row in connection.execute(query)]


@pytest.fixture
def fake() -> FakeGitHub:
    github = FakeGitHub()
    three_merge_styles(github)
    return github


def test_workflow_runs_are_pipeline_runs_and_deploy_when_their_name_matches(
    store: Store, fake: FakeGitHub
) -> None:
    repo = fake.repositories["acme/shop"]
    repo.add_run(1, "CI", sha("R2"), -2.0, conclusion="failure", run_attempt=2)
    repo.attempts[(1, 1)] = repo.runs[0] | {"run_attempt": 1, "conclusion": "failure"}
    repo.add_run(2, "Deploy production", sha("R2"), -1.0)
    repo.add_run(3, "Deploy production", sha("S"), -4.0, conclusion="cancelled")
    repo.add_run(4, "Deploy production", sha("R2"), -0.5, status="in_progress", conclusion=None)

    report = sync(store, source_for(fake), plan_for("workflow:deploy*@production"))

    assert report.counts.pipeline_runs.added == 5  # run 1 with its first attempt, runs 2 to 4
    assert rows(store, pipeline_runs, "external_id", "outcome", "attempt")[:2] == [
        ("github:acme/shop/actions/runs/1/attempts/1", "failure", 1),
        ("github:acme/shop/actions/runs/1/attempts/2", "failure", 2),
    ]
    assert rows(store, deployments, "external_id", "status", "environment") == [
        ("github:acme/shop/actions/runs/2", "success", "production"),
        ("github:acme/shop/actions/runs/3", "cancelled", "production"),
        ("github:acme/shop/actions/runs/4", "in_progress", "production"),
    ]

    repo.runs[0] |= {"status": "completed", "conclusion": "success", "updated_at": at(0.1)}
    again = sync(store, source_for(fake), plan_for("workflow:deploy*@production"))
    assert again.counts.deployments.updated == 1  # the run that was still deploying finished
    assert ("github:acme/shop/actions/runs/4", "success") in rows(
        store, deployments, "external_id", "status"
    )


def test_releases_and_tags_deploy_the_commit_their_tag_names(
    store: Store, fake: FakeGitHub
) -> None:
    repo = fake.repositories["acme/shop"]
    repo.releases = [
        release(7, "v1.1.0", sha("R2"), -1),
        release(6, "v1.1.0-rc1", sha("S"), -4, prerelease=True),
        release(5, "v1.0.0", sha("M1"), -9),
        release(4, "v0.1.0", sha("A"), -24 * 60),  # before --since
    ]
    repo.tags = [
        lightweight("v1.1.0", sha("R2"), -2),
        annotated("deploy-7", sha("S"), tagged=-4.5, committed=-5),
        lightweight("v1.0.0", sha("M1"), -10),
        lightweight("v0.0.1", sha("A"), -24 * 60),
    ]

    sync(store, source_for(fake), plan_for("releases@production,tags:deploy-*@staging"))

    assert rows(store, deployments, "external_id", "sha", "environment", "ref") == [
        ("github:acme/shop/releases/5", sha("M1"), "production", "v1.0.0"),
        ("github:acme/shop/releases/7", sha("R2"), "production", "v1.1.0"),
        ("github:acme/shop/tags/deploy-7", sha("S"), "staging", "deploy-7"),
    ]
    tagged = rows(store, deployments, "ref", "finished_at")
    assert ("deploy-7", T0 - timedelta(hours=4.5)) in tagged  # the tagger date


def test_default_tags_are_version_tags(store: Store, fake: FakeGitHub) -> None:
    repo = fake.repositories["acme/shop"]
    repo.tags = [lightweight("v2.0.0", sha("R2"), -2), lightweight("v2.0.0-rc1", sha("S"), -4)]
    sync(store, source_for(fake), plan_for("tags"))
    assert rows(store, deployments, "ref") == [("v2.0.0",)]


def test_every_merge_into_a_branch_can_be_a_deployment(store: Store, fake: FakeGitHub) -> None:
    fake.repositories["acme/shop"].add_pull(9, merged=-1, merge_commit=sha("x"), base="release")
    sync(store, source_for(fake), plan_for("branch:main@production"))
    assert rows(store, deployments, "external_id", "sha") == [
        ("github:acme/shop/merges/1", sha("M1")),
        ("github:acme/shop/merges/2", sha("S")),
        ("github:acme/shop/merges/3", sha("R2")),
    ]


def test_environment_patterns_and_deployments_settled_on_a_later_run(
    store: Store, fake: FakeGitHub
) -> None:
    repo = fake.repositories["acme/shop"]
    repo.add_deployment(3, sha("R2"), "staging", [("success", 0.5)])
    repo.add_deployment(4, sha("R2"), "prod-eu", [("queued", 1), ("in_progress", 1.1)])

    sync(store, source_for(fake), plan_for("environments:prod*"))
    assert rows(store, deployments, "external_id", "status") == [
        ("github:acme/shop/deployments/1", "success"),
        ("github:acme/shop/deployments/2", "success"),
        ("github:acme/shop/deployments/4", "in_progress"),
    ]

    repo.statuses[4].insert(0, {"id": 499, "state": "failure", "created_at": at(1.5)})
    fake.requests.clear()
    again = sync(store, source_for(fake), plan_for("environments:prod*"))

    assert again.counts.deployments.updated == 1
    assert ("github:acme/shop/deployments/4", "failure") in rows(
        store, deployments, "external_id", "status"
    )
    assert fake.counts()["GET /repos/acme/shop/deployments/N"] == 1  # looked at again
    assert fake.counts()["GET /repos/acme/shop/deployments/N/statuses"] == 1


def test_incident_issues_by_label(store: Store) -> None:
    fake = FakeGitHub()
    busy_history(fake, pulls=100)
    report = sync(store, source_for(fake))

    assert report.counts.incidents.added == 2
    assert rows(store, incidents, "external_id", "severity") == [
        ("github:acme/shop/issues/10050", "2"),
        ("github:acme/shop/issues/10100", "2"),
    ]


def test_large_pull_requests_read_every_commit_and_review(store: Store, fake: FakeGitHub) -> None:
    repo = fake.repositories["acme/shop"]
    many = [(sha(f"big{i}"), -60 + i / 10, f"step {i}") for i in range(150)]
    opinions = [(1000 + i, f"reviewer{i}", "COMMENTED", -2 + i / 100) for i in range(60)]
    repo.add_pull(10, created=-61, commits=many, reviews=opinions)

    report = sync(store, source_for(fake))

    assert report.counts.pull_request_commits_added == 6 + 150
    assert report.counts.reviews.added == 1 + 60
    assert fake.counts()["POST graphql:PullRequestCommits"] == 1
    assert fake.counts()["POST graphql:PullRequestReviews"] == 1
    [(first,)] = [
        row[1:] for row in rows(store, pull_requests, "number", "first_commit_at") if row[0] == 10
    ]
    assert first == T0 - timedelta(hours=60)


def test_drafts_ready_times_bots_and_labels(store: Store, fake: FakeGitHub) -> None:
    repo = fake.repositories["acme/shop"]
    repo.add_pull(11, created=-30, draft=False, ready=-20, labels=("hotfix",))
    repo.add_pull(12, author="dependabot", bot_author=True, created=-8, draft=True)

    sync(store, source_for(fake))

    found = {
        row[0]: row[1:]
        for row in rows(store, pull_requests, "number", "ready_at", "draft", "author", "labels")
    }
    assert found[11] == (T0 - timedelta(hours=20), False, "ada", '["hotfix"]')
    assert found[12] == (None, True, "dependabot[bot]", "[]")
    assert BotRules().is_bot("dependabot[bot]") and not BotRules().is_bot("grace")
    assert rows(store, reviews, "reviewer", "state") == [("grace", "approved")]


def test_an_earlier_since_reads_the_older_history_again(store: Store, fake: FakeGitHub) -> None:
    repo = fake.repositories["acme/shop"]
    repo.add_pull(20, created=-24 * 40, updated=-24 * 39, merged=-24 * 39)  # 39 days ago
    sync(store, source_for(fake))
    assert 20 not in [row[0] for row in rows(store, pull_requests, "number")]

    sync(store, source_for(fake), plan_for(since=SINCE - timedelta(days=15)))

    assert 20 in [row[0] for row in rows(store, pull_requests, "number")]


def test_a_missing_repository_says_what_to_check(store: Store, fake: FakeGitHub) -> None:
    expected = re.escape("GitHub has nothing at https://api.github.com/repos/acme/nope,")
    with pytest.raises(ApiNotFound, match=expected):
        sync(store, source_for(fake), plan_for(repository="acme/nope"))


def test_repositories_matching_a_pattern(fake: FakeGitHub) -> None:
    fake.repository("acme/shop-web")
    fake.repository("acme/billing")
    fake.repository("ada/dotfiles")
    fake.owners["ada"] = "user"
    source = source_for(fake)
    assert source.repositories("acme/shop*") == ["acme/shop", "acme/shop-web"]
    assert source.repositories("ada/*") == ["ada/dotfiles"]


def test_rate_limited_graphql_waits_and_goes_on(store: Store, fake: FakeGitHub) -> None:
    limited = {"n": 0}

    def secondary(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and limited["n"] < 2:
            limited["n"] += 1
            return httpx.Response(
                403, json={"message": "secondary rate limit"}, headers={"Retry-After": "30"}
            )
        return None

    fake.fail(secondary)
    waits = Waits()
    report = sync(store, source_for(fake, waits))

    assert report.counts.pull_requests.added == 3
    assert waits.slept == [30.0, 30.0]
    assert waits.messages[0].startswith("GitHub rate limit reached: waiting 30 s")


def release(
    identifier: int, tag: str, commit: str, hours: float, prerelease: bool = False
) -> dict[str, Any]:
    return {
        "databaseId": identifier,
        "tagName": tag,
        "isDraft": False,
        "isPrerelease": prerelease,
        "createdAt": at(hours - 0.1),
        "publishedAt": at(hours),
        "tagCommit": {"oid": commit},
    }


def lightweight(name: str, commit: str, hours: float) -> dict[str, Any]:
    return {
        "name": name,
        "target": {"__typename": "Commit", "oid": commit, "committedDate": at(hours)},
    }


def annotated(name: str, commit: str, tagged: float, committed: float) -> dict[str, Any]:
    return {
        "name": name,
        "target": {
            "__typename": "Tag",
            "oid": sha(f"tag-{name}"),
            "tagger": {"date": at(tagged)},
            "target": {"__typename": "Commit", "oid": commit, "committedDate": at(committed)},
        },
    }


def test_a_repository_with_issues_turned_off_has_no_incidents(
    store: Store, fake: FakeGitHub
) -> None:
    def gone(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/issues"):
            return httpx.Response(410, json={"message": "Issues are disabled for this repo"})
        return None

    fake.fail(gone)
    report = sync(store, source_for(fake))
    assert report.counts.incidents.added == 0
    assert report.counts.pull_requests.added == 3


def test_a_repository_the_token_cannot_read_does_not_stop_the_others(
    store: Store, fake: FakeGitHub
) -> None:
    busy_history(fake, pulls=10, repository="acme/billing")
    targets = [
        Target(plan_for()),
        Target(plan_for(repository="acme/secret")),
        Target(plan_for(repository="acme/billing", service="billing")),
    ]
    reports = sync_repositories(store, SETTINGS, source_for(fake), targets)

    assert [report.error is None for report in reports] == [True, False, True]
    assert "GitHub has nothing at https://api.github.com/repos/acme/secret" in str(reports[1].error)
    assert reports[2].counts.pull_requests.added == 10


def test_graphql_rate_limited_answers_wait_for_the_reset(store: Store, fake: FakeGitHub) -> None:
    answered = {"n": 0}

    def limited(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and answered["n"] == 0:
            answered["n"] += 1
            reset = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(2_000_000_000)}
            error = {"type": "RATE_LIMITED", "message": "API rate limit exceeded"}
            return httpx.Response(200, json={"errors": [error]}, headers=reset)
        return None

    fake.fail(limited)
    waits = Waits()
    report = sync(store, source_for(fake, waits))

    assert report.counts.pull_requests.added == 3
    assert len(waits.slept) == 1 and waits.slept[0] > 0
    assert waits.messages[0].startswith("GitHub rate limit reached: waiting")
