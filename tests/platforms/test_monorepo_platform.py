"""Monorepo services on GitHub and GitLab: each service defined by paths takes the platform
deployments its own definitions match ([[services]] deployments), ships only the commits under
its paths, and re-syncs or changed definitions neither double nor lose a deployment.

Times are hours after T0; every lead time below is worked out by hand from the histories.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from dorameter.config import Settings, load_settings
from dorameter.git_deployments import GitIngestOptions
from dorameter.ingest import ingest_git
from dorameter.model import Period
from dorameter.report import ServiceReport, build_report
from dorameter.sources import git
from dorameter.sources.gitlab import GitLabSource, gitlab_api
from dorameter.sources.platform import PlatformSource
from dorameter.store import Store
from dorameter.store.schema import deployments, services
from dorameter.sync import SyncReport, SyncRequest, plan_repositories, sync_repositories
from tests.git.gitrepo import GitRepo
from tests.platforms.fake_github import T0, FakeGitHub, FakeRepository, at, rest_commit, sha
from tests.platforms.fake_gitlab import FakeGitLab, FakeProject
from tests.platforms.github_support import SINCE, source_for

HOUR = 3600.0
PERIOD = Period(T0 - timedelta(days=10), T0 + timedelta(hours=1))

# One history for both platforms: a root, then commits to search, web, docs, search, web.
COMMITS = (
    ("root", -100.0, "README.md"),
    ("s1", -50.0, "services/search/a.py"),
    ("w1", -40.0, "services/web/a.js"),
    ("d1", -30.0, "docs/guide.md"),
    ("s2", -20.0, "services/search/b.py"),
    ("w2", -10.0, "services/web/b.js"),
)

GITHUB_TOML = """
[[repositories]]
github = "acme/mono"
service = "mono"
deployments = ["workflow:Deploy*"]

[[services]]
name = "search"
repository = "acme/mono"
paths = ["services/search"]
deployments = ["workflow:Deploy search"]

[[services]]
name = "web"
repository = "acme/mono"
paths = ["services/web"]
team = "front"
deployments = ["workflow:Deploy web"]
"""

GITLAB_TOML = """
[environments]
production = ["production", "*-production"]
staging = ["*-staging"]

[[repositories]]
gitlab = "shop/mono"
service = "mono"

[[services]]
name = "search"
repository = "shop/mono"
paths = ["services/search"]
deployments = ["environments:search-*"]

[[services]]
name = "web"
repository = "shop/mono"
paths = ["services/web"]
deployments = ["environments:web-*"]
"""


def settings_from(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "dorameter.toml"
    path.write_text(text)
    return load_settings(path, environ={})


def sync(
    store: Store,
    settings: Settings,
    source: PlatformSource,
    since: datetime = SINCE,
) -> SyncReport:
    """A sync as `dorameter ingest PLATFORM` runs it: targets planned from the settings."""
    request = SyncRequest(source.platform, since=since)
    targets = plan_repositories(settings, request, lambda pattern: [], T0)
    [report] = sync_repositories(store, settings, source, targets)
    return report


def give_files(store: Store, repository: str, commits: Any = COMMITS) -> None:
    """The changed files of the commits, as `dorameter ingest git CLONE` stores them."""
    repository_id = store.ensure_repository(repository)
    store.set_commit_paths(repository_id, [(sha(name), (path,)) for name, _, path in commits])


def report(store: Store, settings: Settings) -> dict[str, ServiceReport]:
    store.attribute_pending(settings.backfill_horizon)
    found = build_report(store, settings, PERIOD, ["search", "web", "mono"]).services
    return {item.service: item for item in found}


def figures(service: ServiceReport) -> tuple[int, int, float | None]:
    """Deployment count, lead time sample count and median lead time in hours."""
    lead = service.lead_time.summary
    median = None if lead.median_seconds is None else lead.median_seconds / HOUR
    return service.deployment_frequency.count, lead.count, median


def stored(store: Store) -> list[tuple[str, str]]:
    """(external id, service) of every stored deployment."""
    query = select(deployments.c.external_id, services.c.name).join(
        services, services.c.id == deployments.c.service_id
    )
    with store.engine.connect() as connection:
        return sorted((external_id, name) for external_id, name in connection.execute(query))


def github_monorepo(fake: FakeGitHub) -> FakeRepository:
    repo = fake.repository("acme/mono")
    previous: tuple[str, ...] = ()
    for name, hours, _ in COMMITS:
        repo.add_commit(name, previous, hours)
        previous = (name,)
    repo.add_run(1, "Deploy search", sha("s1"), -48)
    repo.add_run(4, "Deploy docs", sha("d1"), -29)  # no path service's: the repository's
    repo.add_run(5, "CI", sha("w2"), -9.5)  # no deployment at all
    repo.add_run(2, "Deploy web", sha("w2"), -8)
    repo.add_run(3, "Deploy search", sha("w2"), -5)
    return repo


def test_github_workflows_deploy_each_path_service_and_ship_only_its_commits(
    store: Store, tmp_path: Path
) -> None:
    fake = FakeGitHub()
    github_monorepo(fake)
    settings = settings_from(tmp_path, GITHUB_TOML)

    first = sync(store, settings, source_for(fake))
    give_files(store, "acme/mono")
    found = report(store, settings)

    assert first.counts.deployments.added == 4
    assert stored(store) == [
        ("github:acme/mono/actions/runs/1", "search"),
        ("github:acme/mono/actions/runs/2", "web"),
        ("github:acme/mono/actions/runs/3", "search"),
        ("github:acme/mono/actions/runs/4", "mono"),
    ]
    # Runs finish 0.25 h after they start. search: run 1 ships s1 (-50 -> -47.75: 2.25 h);
    # run 3 ships s2 (-20 -> -4.75: 15.25 h), not the web or docs commits it also passed.
    assert figures(found["search"]) == (2, 2, pytest.approx(8.75))
    # web: run 2 (its first) ships w1 (32.25 h) and w2 (2.25 h).
    assert figures(found["web"]) == (1, 2, pytest.approx(17.25))
    # mono, the repository's service, keeps "Deploy docs" and spans the whole repository:
    # root 71.25 h, s1 21.25 h, w1 11.25 h, d1 1.25 h.
    assert figures(found["mono"]) == (1, 4, pytest.approx(16.25))
    assert store.service_teams()["web"] == "front"


def test_a_second_github_sync_changes_nothing(store: Store, tmp_path: Path) -> None:
    fake = FakeGitHub()
    github_monorepo(fake)
    settings = settings_from(tmp_path, GITHUB_TOML)
    sync(store, settings, source_for(fake))
    give_files(store, "acme/mono")
    before = report(store, settings)
    rows = stored(store)

    again = sync(store, settings, source_for(fake))

    assert again.counts.deployments.added == again.counts.deployments.updated == 0
    assert again.attributed == 0
    assert stored(store) == rows
    after = report(store, settings)
    for name in ("search", "web", "mono"):
        assert figures(after[name]) == figures(before[name])


def test_a_deployment_several_path_services_claim_counts_for_each(
    store: Store, tmp_path: Path
) -> None:
    fake = FakeGitHub()
    repo = github_monorepo(fake)
    repo.add_run(6, "Deploy all", sha("w2"), -2)
    both = GITHUB_TOML.replace(
        '"workflow:Deploy search"]', '"workflow:Deploy search", "workflow:Deploy all"]'
    )
    both = both.replace('"workflow:Deploy web"]', '"workflow:Deploy web", "workflow:Deploy all"]')
    settings = settings_from(tmp_path, both)

    sync(store, settings, source_for(fake))
    give_files(store, "acme/mono")
    found = report(store, settings)

    # The first service by name keeps the platform's id; the other gets its own copy.
    assert [row for row in stored(store) if "/runs/6" in row[0]] == [
        ("github:acme/mono/actions/runs/6", "search"),
        ("github:acme/mono/actions/runs/6#web", "web"),
    ]
    # Each counts it, and each copy ships nothing new: search and web deployed w2 before.
    assert figures(found["search"]) == (3, 2, pytest.approx(8.75))
    assert figures(found["web"]) == (2, 2, pytest.approx(17.25))


RULES_TOML = """
[[repositories]]
github = "acme/mono"
service = "mono"
deployments = ["workflow:Deploy*"]

[[services]]
name = "search"
repository = "acme/mono"
paths = ["services/search"]
deployments = [{search}]

[[services]]
name = "web"
repository = "acme/mono"
paths = ["services/web"]
deployments = [{web}]
"""
CHANGING = (
    ("root", -100.0, "README.md"),
    ("s1", -60.0, "services/search/a.py"),
    ("w1", -50.0, "services/web/a.js"),
    ("s2", -40.0, "services/search/b.py"),
    ("w2", -30.0, "services/web/b.js"),
)


def rules(search: str, web: str) -> str:
    return RULES_TOML.format(search=search, web=web)


def test_changed_definitions_move_a_deployment_read_again_and_never_double_it(
    store: Store, tmp_path: Path
) -> None:
    fake = FakeGitHub()
    repo = fake.repository("acme/mono")
    previous: tuple[str, ...] = ()
    for name, hours, _ in CHANGING:
        repo.add_commit(name, previous, hours)
        previous = (name,)
    repo.add_run(1, "Deploy all", sha("w1"), -45)
    repo.add_run(2, "Deploy web", sha("w2"), -25)
    repo.add_run(3, "Deploy search", sha("w2"), -4)
    alone = rules('"workflow:Deploy search"', '"workflow:Deploy web"')
    together = rules(
        '"workflow:Deploy search", "workflow:Deploy all"',
        '"workflow:Deploy web", "workflow:Deploy all"',
    )
    sync(store, settings_from(tmp_path, alone), source_for(fake))
    give_files(store, "acme/mono", CHANGING)
    assert ("github:acme/mono/actions/runs/1", "mono") in stored(store)

    # A later run reads only what is new (run 1 is long finished): what was stored stays.
    settings = settings_from(tmp_path, together)
    sync(store, settings, source_for(fake))
    assert ("github:acme/mono/actions/runs/1", "mono") in stored(store)

    # An earlier --since reads everything again: run 1 moves to search (same id) and web gets
    # its copy; mono no longer has it.
    sync(store, settings, source_for(fake), since=SINCE - timedelta(days=1))
    assert [row for row in stored(store) if "/runs/1" in row[0]] == [
        ("github:acme/mono/actions/runs/1", "search"),
        ("github:acme/mono/actions/runs/1#web", "web"),
    ]
    found = report(store, settings)
    assert figures(found["mono"])[0] == 0
    # search: run 1 ships s1 (-60 -> -44.75: 15.25 h), run 3 ships s2 (36.25 h).
    assert figures(found["search"]) == (2, 2, pytest.approx(25.75))
    # web: run 1 ships w1 (5.25 h), run 2 ships w2 (5.25 h).
    assert figures(found["web"]) == (2, 2, pytest.approx(5.25))

    # web stops claiming "Deploy all": read again, its copy goes, and run 2 ships w1 too.
    narrower = rules('"workflow:Deploy search", "workflow:Deploy all"', '"workflow:Deploy web"')
    settings = settings_from(tmp_path, narrower)
    sync(store, settings, source_for(fake), since=SINCE - timedelta(days=2))
    assert [row for row in stored(store) if "/runs/1" in row[0]] == [
        ("github:acme/mono/actions/runs/1", "search")
    ]
    found = report(store, settings)
    assert figures(found["search"]) == (2, 2, pytest.approx(25.75))
    # web: run 2 ships w1 (-50 -> -24.75: 25.25 h) and w2 (5.25 h).
    assert figures(found["web"]) == (1, 2, pytest.approx(15.25))
    rows = stored(store)

    again = sync(store, settings, source_for(fake), since=SINCE - timedelta(days=2))

    assert again.counts.deployments.added == again.counts.deployments.updated == 0
    assert stored(store) == rows


def gitlab_monorepo(fake: FakeGitLab) -> FakeProject:
    project = fake.project("shop/mono")
    previous: tuple[str, ...] = ()
    for name, hours, _ in COMMITS:
        project.add_commit(name, previous, hours, name)
        previous = (name,)
    project.add_deployment(1, sha("s1"), "search-production", "success", -48)
    project.add_deployment(2, sha("d1"), "production", "success", -29)  # the repository's
    project.add_deployment(3, sha("w2"), "web-production", "success", -8)
    project.add_deployment(4, sha("w2"), "search-staging", "success", -6)
    project.add_deployment(5, sha("w2"), "search-production", "success", -5)
    project.add_deployment(6, sha("w2"), "docs-preview", "success", -4)  # environments: mono's
    return project


def gitlab_source(fake: FakeGitLab) -> GitLabSource:
    transport = httpx.MockTransport(fake.handle)
    return GitLabSource(
        gitlab_api("https://gitlab.example/api/v4", "glpat-secret", transport=transport)
    )


def test_gitlab_environments_deploy_each_path_service(store: Store, tmp_path: Path) -> None:
    fake = FakeGitLab()
    gitlab_monorepo(fake)
    settings = settings_from(tmp_path, GITLAB_TOML)

    first = sync(store, settings, gitlab_source(fake))
    give_files(store, "shop/mono")
    found = report(store, settings)

    assert first.counts.deployments.added == 6
    assert stored(store) == [
        ("gitlab:shop/mono/deployments/1", "search"),
        ("gitlab:shop/mono/deployments/2", "mono"),
        ("gitlab:shop/mono/deployments/3", "web"),
        ("gitlab:shop/mono/deployments/4", "search"),
        ("gitlab:shop/mono/deployments/5", "search"),
        ("gitlab:shop/mono/deployments/6", "mono"),
    ]
    # search: deployment 1 ships s1 (2 h), 5 ships s2 (15 h); the staging one does not count.
    assert figures(found["search"]) == (2, 2, pytest.approx(8.5))
    # web: deployment 3 ships w1 (32 h) and w2 (2 h).
    assert figures(found["web"]) == (1, 2, pytest.approx(17))
    # mono: its production deployment ships root 71 h, s1 21 h, w1 11 h, d1 1 h.
    assert figures(found["mono"]) == (1, 4, pytest.approx(16))

    rows = stored(store)
    again = sync(store, settings, gitlab_source(fake))

    assert again.counts.deployments.added == again.counts.deployments.updated == 0
    assert stored(store) == rows
    assert figures(report(store, settings)["search"]) == (2, 2, pytest.approx(8.5))


def test_a_clone_ingested_first_gives_the_files_and_no_deployments_of_its_own(
    store: Store, tmp_path: Path
) -> None:
    clone = GitRepo.create(tmp_path / "mono")
    for name, hours, path in COMMITS:
        clone.commit(name, author_date=at(hours), files={path: f"{name}\n"})
    # A version tag would deploy every path service in git; these deploy from GitHub instead.
    clone.tag("v1.0.0", annotated=True, date=at(-7))
    fake = FakeGitHub()
    repo = fake.repository("acme/mono")
    for commit in git.read_commits(clone.path, "acme/mono"):
        hours = (commit.author_time - T0) / timedelta(hours=1)
        repo.commits.append(rest_commit(commit.sha, list(commit.parents), hours, commit.subject))
    repo.commits.sort(key=lambda item: item["commit"]["author"]["date"], reverse=True)
    shas = {commit.subject: commit.sha for commit in git.read_commits(clone.path, "acme/mono")}
    repo.add_run(1, "Deploy search", shas["s1"], -48)
    repo.add_run(2, "Deploy web", shas["w2"], -8)
    repo.add_run(3, "Deploy search", shas["w2"], -5)
    settings = settings_from(tmp_path, GITHUB_TOML)

    ingested = ingest_git(store, settings, GitIngestOptions(clone.path, service="acme/mono"))
    sync(store, settings, source_for(fake))
    found = report(store, settings)

    assert ingested.deployments_matched == 0
    assert ingested.notes == ()
    assert figures(found["search"]) == (2, 2, pytest.approx(8.75))
    assert figures(found["web"]) == (1, 2, pytest.approx(17.25))


def test_a_deployment_in_progress_for_two_services_is_looked_at_again_once(
    store: Store, tmp_path: Path
) -> None:
    fake = FakeGitHub()
    repo = github_monorepo(fake)
    repo.add_deployment(9, sha("w2"), "production", [("queued", -2), ("in_progress", -1.9)])
    both = GITHUB_TOML.replace(
        '"workflow:Deploy search"]', '"workflow:Deploy search", "environments:production"]'
    ).replace('"workflow:Deploy web"]', '"workflow:Deploy web", "environments:production"]')
    settings = settings_from(tmp_path, both)
    sync(store, settings, source_for(fake))
    give_files(store, "acme/mono")
    assert [row for row in stored(store) if "/deployments/" in row[0]] == [
        ("github:acme/mono/deployments/9", "search"),
        ("github:acme/mono/deployments/9#web", "web"),
    ]

    repo.statuses[9].insert(0, {"id": 999, "state": "success", "created_at": at(-1.5)})
    fake.requests.clear()
    again = sync(store, settings, source_for(fake))

    assert again.counts.deployments.updated == 2  # both services' records of it finished
    assert fake.counts()["GET /repos/acme/mono/deployments/N"] == 1
    assert fake.counts()["GET /repos/acme/mono/deployments/N/statuses"] == 1
    found = report(store, settings)
    # Deployment 9 counts for both (it ships nothing new: each deployed w2 before).
    assert figures(found["search"]) == (3, 2, pytest.approx(8.75))
    assert figures(found["web"]) == (2, 2, pytest.approx(17.25))
