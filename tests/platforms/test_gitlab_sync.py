"""GitLab sync through httpx.MockTransport on the fake API, and `dorameter ingest gitlab` end to
end against the fake served on 127.0.0.1 through --api-url, as a self-managed GitLab."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from dorameter.model import Period
from dorameter.report import build_report
from dorameter.sources.gitlab import GitLabSource, gitlab_api
from dorameter.sources.platform import RepositoryPlan, parse_deployment_spec
from dorameter.store import Store, open_store
from dorameter.store.schema import deployments, incidents, pipeline_runs, pull_requests, reviews
from dorameter.sync import SyncReport, Target, sync_repositories
from tests.platforms.fake_api import serve
from tests.platforms.fake_github import T0, at, sha
from tests.platforms.fake_gitlab import FakeGitLab, gitlab_history
from tests.platforms.github_support import SETTINGS, SINCE

HOUR = 3600.0


def source_for(fake: FakeGitLab) -> GitLabSource:
    transport = httpx.MockTransport(fake.handle)
    return GitLabSource(
        gitlab_api("https://gitlab.example/api/v4", "glpat-secret", transport=transport)
    )


def sync(store: Store, fake: FakeGitLab, deployments: str = "environments") -> SyncReport:
    plan = RepositoryPlan("shop/api", "api", parse_deployment_spec(deployments), SINCE)
    [report] = sync_repositories(store, SETTINGS, source_for(fake), [Target(plan)])
    return report


def rows(store: Store, table: Any, *columns: str) -> list[tuple[Any, ...]]:
    with store.engine.connect() as connection:
        query = select(*(table.c[name] for name in columns)).order_by(
            *(table.c[n] for n in columns)
        )
        return [tuple(row) for row in connection.execute(query)]


@pytest.fixture
def fake() -> FakeGitLab:
    gitlab = FakeGitLab()
    gitlab_history(gitlab)
    return gitlab


def test_merge_commit_squash_and_fast_forward_merge_requests_feed_lead_time(
    store: Store, fake: FakeGitLab
) -> None:
    report = sync(store, fake)

    assert report.counts.commits_added == 8
    assert report.counts.pull_requests.added == 3
    assert report.counts.pull_request_commits_added == 6
    assert report.counts.deployments.added == 3
    assert rows(store, reviews, "reviewer", "state") == [
        ("grace", "approved"),
        ("grace", "commented"),
    ]
    assert rows(store, pipeline_runs, "external_id", "started_at", "finished_at") == [
        ("gitlab:shop/api/pipelines/77", T0 - timedelta(hours=1.9), T0 - timedelta(hours=1.5))
    ]
    assert rows(store, incidents, "external_id", "severity", "resolved_at") == [
        ("gitlab:shop/api/issues/4", "1", T0 + timedelta(hours=2))
    ]
    period = Period(T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    [api] = build_report(store, SETTINGS, period, ["api"]).services
    # b1 50 h, b2 40 h; S 30 h from the squashed s1; R1 and R2 18 h from r1 (matched by author
    # time and subject: a fast-forward leaves no merge commit); M1 and M2 are merges.
    assert api.lead_time.summary.count == 5
    assert api.lead_time.merges == 2
    assert api.lead_time.from_pr_start == 3
    assert api.lead_time.summary.median_seconds == 30 * HOUR


def test_later_runs_ask_only_for_what_was_updated(store: Store, fake: FakeGitLab) -> None:
    sync(store, fake)
    project = fake.projects["shop/api"]
    project.add_deployment(4, sha("R2"), "production", "failed", 3)
    project.deployments[-1] |= {"status": "success", "updated_at": at(4)}  # a status changed
    fake.requests.clear()

    later = sync(store, fake)

    assert later.counts.deployments.added == 1
    # only what was updated at the stored bound is read again (the bound is inclusive, so
    # nothing updated in that same second is lost): !3 and pipeline 77, once each
    assert later.read["pull_requests"] == 1
    assert later.counts.pull_requests.updated == later.counts.pipeline_runs.updated == 0
    assert fake.counts()["GET /projects/shop/api/merge_requests/N/commits"] == 1
    assert fake.counts()["GET /projects/shop/api/pipelines/N"] == 1
    assert ("gitlab:shop/api/deployments/4", "failure") in rows(
        store, deployments, "external_id", "status"
    )


def merge_request_states(store: Store) -> list[tuple[str, str, bool]]:
    """(external id, state, has a merge time) of every stored merge request."""
    found = rows(store, pull_requests, "external_id", "state", "merged_at")
    return [(external_id, state, merged is not None) for external_id, state, merged in found]


def test_open_and_closed_merge_requests_are_read_and_updated_when_they_merge_or_close(
    store: Store, fake: FakeGitLab
) -> None:
    project = fake.projects["shop/api"]
    old = project.add_merge_request(4, None, [(sha("o4"), -210, "Old work")])  # opened -209 h
    project.add_merge_request(5, None, [(sha("o5"), -100, "Abandoned")], closed=-1)
    young = project.add_merge_request(6, None, [(sha("o6"), -3, "New work")])
    first = sync(store, fake)

    assert first.counts.pull_requests.added == 6
    assert fake.counts()["GET /projects/shop/api/merge_requests/N/commits"] == 3  # merged ones
    assert merge_request_states(store)[3:] == [
        ("gitlab:shop/api!4", "open", False),
        ("gitlab:shop/api!5", "closed", False),
        ("gitlab:shop/api!6", "open", False),
    ]
    day = Period(T0 - timedelta(hours=24), T0 + timedelta(hours=1))
    [api] = build_report(store, SETTINGS, day, ["api"]).services
    trunk = api.diagnosis.trunk
    assert api.diagnosis.pull_requests == 3  # merged in the period
    assert (trunk.long_lived, trunk.open_at_end) == (1, 2)
    # GitLab's commits of an open merge request are not read: its age counts from its opening
    assert [(a.pull_request.number, a.age_seconds) for a in trunk.long_lived_open] == [
        (4, 210 * HOUR)
    ]

    old |= {
        "state": "merged",
        "merged_at": at(2),
        "updated_at": at(2),
        "merge_commit_sha": "f" * 40,
    }
    young |= {"state": "closed", "closed_at": at(2), "updated_at": at(2)}
    later = sync(store, fake)

    assert later.counts.pull_requests.updated == 2 and later.counts.pull_requests.added == 0
    assert merge_request_states(store)[3:] == [
        ("gitlab:shop/api!4", "merged", True),
        ("gitlab:shop/api!5", "closed", False),
        ("gitlab:shop/api!6", "closed", False),
    ]
    longer = Period(T0 - timedelta(hours=24), T0 + timedelta(hours=3))
    [api] = build_report(store, SETTINGS, longer, ["api"]).services
    trunk = api.diagnosis.trunk
    assert api.diagnosis.pull_requests == 4
    # !4's branch lived 212 h from its first commit (read now that it merged)
    assert (trunk.long_lived, trunk.long_lived_merged, trunk.open_at_end) == (1, 1, 0)
    assert trunk.branch_lifetime.count == 4


def test_releases_and_tags(store: Store, fake: FakeGitLab) -> None:
    project = fake.projects["shop/api"]
    project.releases = [
        {
            "tag_name": "v1.1",
            "created_at": at(-1),
            "released_at": at(-1),
            "commit": {"id": sha("R2")},
        },
        {
            "tag_name": "v1.0",
            "created_at": at(-24 * 60),
            "released_at": at(-24 * 60),
            "commit": {"id": sha("A")},
        },
    ]
    project.tags = [
        {
            "name": "deploy-2",
            "commit": {"id": sha("R2"), "committed_date": at(-3)},
            "created_at": at(-0.5),
        },
        {"name": "v1.1", "commit": {"id": sha("R2"), "committed_date": at(-3)}, "created_at": None},
    ]
    sync(store, fake, "releases,tags:deploy-*@staging")

    assert rows(store, deployments, "external_id", "environment", "finished_at") == [
        ("gitlab:shop/api/releases/v1.1", "production", T0 - timedelta(hours=1)),
        ("gitlab:shop/api/tags/deploy-2", "staging", T0 - timedelta(hours=0.5)),
    ]


def test_a_project_with_issues_turned_off_has_no_incidents(store: Store, fake: FakeGitLab) -> None:
    def forbidden(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/issues"):
            return httpx.Response(403, json={"message": "403 Forbidden"})
        return None

    fake.fail(forbidden)
    report = sync(store, fake)
    assert report.counts.incidents.added == 0
    assert report.counts.deployments.added == 3


def test_ingest_gitlab_against_a_self_managed_server(fake: FakeGitLab, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    fake.page_limit = 3  # listings of several pages over HTTP
    with serve(fake) as base:
        result = subprocess.run(  # noqa: PLW1510 - the test reads returncode
            [
                sys.executable,
                "-m",
                "dorameter",
                "ingest",
                "gitlab",
                "shop/*",
                "--api-url",
                base + "/api/v4",
                "--since",
                "2026-02-01",
                "--token-env",
                "MY_GITLAB",
                "--deployments",
                "environments:production",
                "--db",
                url,
            ],
            capture_output=True,
            text=True,
            env={"MY_GITLAB": "glpat-secret", "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    assert "GET /groups/shop/projects" in fake.requests
    assert "shop/api merge requests" not in result.stderr  # resources are named generically
    assert "shop/api pull requests: 3 read" in result.stderr
    assert "glpat-secret" not in result.stdout + result.stderr
    store = open_store(url)
    assert rows(store, deployments, "external_id") == [
        ("gitlab:shop/api/deployments/1",),
        ("gitlab:shop/api/deployments/2",),
    ]
