"""Builders for GitHub sync tests: a repository history in the fake API, and a source on it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from dorameter.config import Settings
from dorameter.sources.github import GitHubSource, github_api
from dorameter.sources.http import RetryPolicy
from dorameter.sources.platform import RepositoryPlan, parse_deployment_spec
from dorameter.store import Store
from dorameter.sync import SyncReport, Target, sync_repositories
from tests.platforms.fake_github import T0, FakeGitHub, at, sha

REPOSITORY = "acme/shop"
SINCE = T0 - timedelta(days=30)
SETTINGS = Settings(database_url="unused")


class Waits:
    """Sleeps and wait messages recorded instead of waited."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        self.messages: list[str] = []


def source_for(fake: FakeGitHub, waits: Waits | None = None, **policy: Any) -> GitHubSource:
    """A GitHubSource on the fake through httpx.MockTransport; nothing really sleeps."""
    recorder = waits or Waits()
    api = github_api(
        "https://api.github.com",
        "secret-token",
        transport=httpx.MockTransport(fake.handle),
        on_wait=recorder.messages.append,
        sleep=recorder.slept.append,
        policy=RetryPolicy(**policy),
    )
    return GitHubSource(api, clock=lambda: T0 + timedelta(hours=3))


def plan_for(
    deployments: str = "environments",
    repository: str = REPOSITORY,
    service: str = "shop",
    **changes: Any,
) -> RepositoryPlan:
    options: dict[str, Any] = {
        "repository": repository,
        "service": service,
        "deployments": parse_deployment_spec(deployments),
        "since": SINCE,
    } | changes
    return RepositoryPlan(**options)


def sync(store: Store, source: GitHubSource, plan: RepositoryPlan | None = None) -> SyncReport:
    [report] = sync_repositories(store, SETTINGS, source, [Target(plan or plan_for())])
    return report


def three_merge_styles(fake: FakeGitHub) -> None:
    """Three pull requests merged three ways into main, then one production deployment.

    - #1 merge commit: b1 (-50 h) and b2 (-40 h) land as they are, joined by merge M1 (-10 h);
    - #2 squash: s1 (-30 h) and s2 (-20 h) become one new commit S (-5 h);
    - #3 rebase: r1 (-18 h) and r2 (-16 h) are rewritten as R1 and R2 (same author times and
      subjects, new shas, -3 h).
    A deployment of A at -90 h starts the chain; one of R2 at 0 h ships everything else.
    """
    repo = fake.repository(REPOSITORY)
    repo.add_commit("A", (), -100)
    repo.add_commit("b1", ("A",), -50, "Add b1")
    repo.add_commit("b2", ("b1",), -40, "Add b2")
    repo.add_commit("M1", ("A", "b2"), -10, "Merge pull request #1 from acme/feature-1")
    repo.add_commit("S", ("M1",), -5, "Squashed change (#2)")
    repo.commits.insert(0, _rebased(sha("R1"), sha("S"), -18, "Add r1"))
    repo.commits.insert(0, _rebased(sha("R2"), sha("R1"), -16, "Add r2"))
    repo.add_pull(
        1,
        merged=-10,
        merge_commit=sha("M1"),
        commits=[(sha("b1"), -50, "Add b1"), (sha("b2"), -40, "Add b2")],
        reviews=[(11, "grace", "APPROVED", -12)],
    )
    repo.add_pull(
        2,
        merged=-5,
        merge_commit=sha("S"),
        commits=[(sha("s1"), -30, "First part"), (sha("s2"), -20, "Second part")],
    )
    repo.add_pull(
        3,
        merged=-3,
        merge_commit=sha("R2"),
        commits=[(sha("r1"), -18, "Add r1"), (sha("r2"), -16, "Add r2")],
    )
    repo.add_deployment(1, sha("A"), "production", [("success", -90)])
    repo.add_deployment(2, sha("R2"), "production", [("in_progress", -0.5), ("success", 0)])


def _rebased(commit: str, parent: str, authored: float, subject: str) -> dict[str, Any]:
    """A rebased commit: the original author time, a new committer time (-3 h)."""
    return {
        "sha": commit,
        "commit": {
            "author": {"name": "Ada", "email": "ada@example.com", "date": at(authored)},
            "committer": {"name": "GitHub", "email": "noreply@github.com", "date": at(-3)},
            "message": subject,
        },
        "parents": [{"sha": parent}],
    }


def busy_history(fake: FakeGitHub, pulls: int, repository: str = REPOSITORY) -> None:
    """`pulls` squash-merged pull requests of three commits and two reviews (one by a bot),
    one CI run each, a production deployment (and its workflow run) every ten, an incident
    issue every fifty; all inside the last 30 days."""
    repo = fake.repository(repository)
    step = min(1.0, 600.0 / max(pulls, 1))
    start = -step * (pulls + 1)
    repo.add_commit("root", (), start - 1)
    previous = "root"
    for number in range(1, pulls + 1):
        merged = start + number * step
        name = f"S{number}"
        repo.add_commit(name, (previous,), merged, f"Change {number} (#{number})")
        previous = name
        repo.add_pull(
            number,
            created=merged - 3 * step,
            merged=merged,
            merge_commit=sha(name),
            commits=[
                (sha(f"{name}{part}"), merged - (3 - i) * step, f"part {part}")
                for i, part in enumerate("abc")
            ],
            reviews=[
                (number * 10, "renovate[bot]", "COMMENTED", merged - 2 * step),
                (number * 10 + 1, "grace", "APPROVED", merged - step),
            ],
            labels=("backend",),
        )
        repo.add_run(number, "CI", sha(name), merged)
        if number % 10 == 0:
            identifier = number // 10
            repo.add_deployment(
                identifier, sha(name), "production", [("success", merged + step / 2)]
            )
            repo.add_run(100_000 + number, "Deploy", sha(name), merged + step / 4)
        if number % 50 == 0:
            repo.issues.insert(0, incident_issue(number, merged + step, merged + 2 * step))


def incident_issue(number: int, opened: float, closed: float | None) -> dict[str, Any]:
    """An issue labelled incident as the REST issues API lists it."""
    return {
        "number": 10_000 + number,
        "title": f"Outage {number}",
        "state": "closed" if closed is not None else "open",
        "labels": [{"name": "incident"}, {"name": "sev2"}],
        "created_at": at(opened),
        "closed_at": at(closed) if closed is not None else None,
        "updated_at": at(closed if closed is not None else opened),
        "repository_url": f"https://api.github.com/repos/{REPOSITORY}",
    }
