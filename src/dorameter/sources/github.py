"""The GitHub source: one repository's history through GitHub's APIs, as batches of records.

GraphQL for pull requests (with commits, reviews, labels), releases and tags; REST for commits
of the default branch, deployments and their statuses, workflow runs and issues. Every reader
resumes from the position the sync stored after the last page it committed; later runs read
only what changed (see docs/github-gitlab.md for each resource's rule).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

import httpx

from dorameter.errors import ApiNotFound
from dorameter.model import Deployment, DeploymentStatus, PipelineRun
from dorameter.sources.fields import Fields, api_time, maybe_time
from dorameter.sources.github_graphql import GitHubGraphQL
from dorameter.sources.github_objects import (
    commit_from_github,
    decisive_status,
    deployment_from_github,
    deployment_from_github_run,
    incident_from_github,
    pipeline_run_from_github,
    workflow_name,
)
from dorameter.sources.http import ApiAccess, ApiClient, RetryPolicy, WaitNotice
from dorameter.sources.listing import (
    branch_commits,
    from_history_start,
    resume_pages,
    unless_disabled,
)
from dorameter.sources.platform import (
    COPY_MARK,
    Batch,
    DeploymentKind,
    Records,
    RepositoryPlan,
    Resource,
)

PUBLIC_API = "https://api.github.com"
TOKEN_ENV = "GITHUB_TOKEN"
PAGE = 100
RERUN_MARGIN = timedelta(hours=6)  # runs re-read before the last window: late re-runs
OPEN_FOR = timedelta(days=7)  # deployments and runs unfinished this long are not followed


def github_access(token_env: str = TOKEN_ENV) -> ApiAccess:
    return ApiAccess(
        platform="GitHub",
        token_hint=f"set {token_env} to a valid, unexpired token",
        scope_hint=(
            "the token needs read access to the repository: a classic token the repo scope, "
            "a fine-grained one read access to contents, pull requests, deployments, actions "
            "and issues"
        ),
    )


def github_api(
    api_url: str,
    token: str | None,
    *,
    token_env: str = TOKEN_ENV,
    transport: httpx.BaseTransport | None = None,
    on_wait: WaitNotice | None = None,
    sleep: Callable[[float], None] | None = None,
    policy: RetryPolicy | None = None,
) -> ApiClient:
    """An API client for github.com or a GitHub Enterprise Server (https://HOST/api/v3)."""
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "dorameter",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    client = httpx.Client(
        base_url=api_url.rstrip("/") + "/",
        headers=headers,
        transport=transport,
        timeout=httpx.Timeout(60.0, connect=15.0),
    )
    extra: dict[str, Any] = {"sleep": sleep} if sleep else {}
    return ApiClient(client, github_access(token_env), on_wait=on_wait, policy=policy, **extra)


def graphql_url(api_url: str) -> str:
    """github.com: /graphql beside the REST root; Enterprise Server: /api/graphql for /api/v3."""
    root = api_url.rstrip("/")
    if root.endswith("/api/v3"):
        return root.removesuffix("/v3") + "/graphql"
    return root + "/graphql"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GitHubSource:
    """Reads repositories through one GitHub API client."""

    platform = "github"

    def __init__(
        self,
        api: ApiClient,
        api_url: str = PUBLIC_API,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.api = api
        self.graphql = GitHubGraphQL(api, graphql_url(api_url))
        self.clock = clock
        self._branches: dict[str, str] = {}

    def read(self, plan: RepositoryPlan, resource: Resource, position: Any) -> Iterator[Batch]:
        """Batches of one resource after `position` (all again when --since asks for more)."""
        readers = {
            Resource.COMMITS: self._commits,
            Resource.PULL_REQUESTS: self.graphql.pull_requests,
            Resource.DEPLOYMENTS: self._deployments,
            Resource.PIPELINES: self._pipelines,
            Resource.RELEASES: self.graphql.releases,
            Resource.TAGS: self.graphql.tags,
            Resource.INCIDENTS: self._incidents,
        }
        return from_history_start(plan, position, readers[resource])

    def repositories(self, pattern: str) -> list[str]:
        """owner/name of an owner's repositories matching a glob (not archived, not forks)."""
        owner = pattern.split("/", 1)[0]
        try:
            pages = list(self.api.pages(f"orgs/{owner}/repos", {"per_page": PAGE, "type": "all"}))
        except ApiNotFound:
            pages = list(self.api.pages(f"users/{owner}/repos", {"per_page": PAGE}))
        names = [
            str(repo["full_name"])
            for page in pages
            for repo in page.data
            if not repo.get("archived") and not repo.get("fork")
        ]
        return sorted(name for name in names if fnmatchcase(name.lower(), pattern.lower()))

    def default_branch(self, repository: str) -> str:
        """The repository's default branch (and a clear 404 when it does not exist)."""
        if repository not in self._branches:
            data = self.api.get(f"repos/{repository}").data
            self._branches[repository] = Fields(data, "GitHub repository").text("default_branch")
        return self._branches[repository]

    # -- commits of the default branch ---------------------------------------------------------

    def _commits(self, plan: RepositoryPlan, position: dict[str, Any]) -> Iterator[Batch]:
        """Commits of the default branch, newest first, down to the tip seen last time."""
        branch = self.default_branch(plan.repository)
        params = {"sha": branch, "per_page": PAGE, "since": _iso(plan.since - plan.commit_horizon)}
        return branch_commits(
            self.api,
            (f"repos/{plan.repository}/commits", params),
            branch,
            position,
            lambda item: commit_from_github(item, plan.repository),
        )

    # -- deployments (REST) --------------------------------------------------------------------

    def _deployments(self, plan: RepositoryPlan, position: dict[str, Any]) -> Iterator[Batch]:
        """Deployments created since the last run (their ids only grow), each with the status
        that settles it; those still in progress last time are looked at again."""
        seen = int(position.get("max_id", 0))
        resume = position.get("resume") or {}
        highest, pending = int(resume.get("max_id", seen)), list(resume.get("open", []))
        etag = resume.get("etag")
        url = f"repos/{plan.repository}/deployments"
        for page in resume_pages(self.api, url, {"per_page": PAGE}, position, position.get("etag")):
            if page.not_modified:
                break
            etag = etag or page.etag
            items = [
                item
                for item in page.data
                if int(item["id"]) > seen and api_time(item["created_at"]) >= plan.since
            ]
            found = self._settled(plan, items)
            pending = _followed(pending, found)
            highest = max([highest, *(int(item["id"]) for item in items)])
            if len(items) < len(page.data) or not page.next_url:
                yield Batch(Records(deployments=tuple(found)), None, len(items))
                break
            resumed = {"next": page.next_url, "max_id": highest, "open": pending, "etag": etag}
            yield Batch(
                Records(deployments=tuple(found)), position | {"resume": resumed}, len(items)
            )
        again = [
            self.api.get(f"repos/{plan.repository}/deployments/{entry['id']}").data
            for entry in position.get("open", [])
            if api_time(entry["created"]) > self.clock() - OPEN_FOR
        ]
        found = self._settled(plan, again)
        pending = _followed(pending, found)
        state = {"max_id": highest, "open": pending, "etag": etag or position.get("etag")}
        yield Batch(Records(deployments=tuple(found)), state, len(found))

    def _settled(self, plan: RepositoryPlan, items: list[dict[str, Any]]) -> list[Deployment]:
        """Deployments to an environment the rules name, each with its statuses read, for
        each service it belongs to."""
        found = []
        for item in items:
            services = plan.assign(DeploymentKind.ENVIRONMENTS, str(item.get("environment")))
            if not services:
                continue
            statuses = self.api.get(
                f"repos/{plan.repository}/deployments/{item['id']}/statuses", {"per_page": PAGE}
            ).data
            deployment = deployment_from_github(item, decisive_status(statuses), plan.repository)
            found += [service.apply(deployment) for service in services]
        return found

    # -- workflow runs (REST) ------------------------------------------------------------------

    def _pipelines(self, plan: RepositoryPlan, position: dict[str, Any]) -> Iterator[Batch]:
        """Workflow runs, newest first, created since the window the last run left: the oldest
        run then unfinished (or the newest run), less a margin for late re-runs."""
        window = maybe_time(position.get("window")) or plan.since
        resume = position.get("resume") or {}
        marks: list[str] = list(resume.get("marks", []))
        url = f"repos/{plan.repository}/actions/runs"
        for page in resume_pages(self.api, url, {"per_page": PAGE}, position, None):
            listed = page.data["workflow_runs"]
            runs = [run for run in listed if api_time(run["created_at"]) >= window]
            marks = _window_marks(marks, runs, self.clock() - OPEN_FOR)
            records = self._run_records(plan, runs)
            if len(runs) < len(listed) or not page.next_url:
                bound = min(map(api_time, marks)) - RERUN_MARGIN if marks else window
                yield Batch(records, {"window": bound.isoformat()}, len(runs))
                return
            resumed = {"next": page.next_url, "marks": marks}
            yield Batch(records, position | {"resume": resumed}, len(runs))

    def _run_records(self, plan: RepositoryPlan, runs: list[dict[str, Any]]) -> Records:
        """Each run's attempts (earlier ones fetched), and the runs that deploy."""
        pipeline_runs: list[PipelineRun] = []
        deployments: list[Deployment] = []
        for run in runs:
            pipeline_runs.append(pipeline_run_from_github(run, plan.repository))
            for attempt in range(1, int(run.get("run_attempt") or 1)):
                earlier = f"repos/{plan.repository}/actions/runs/{run['id']}/attempts/{attempt}"
                pipeline_runs.append(
                    pipeline_run_from_github(self.api.get(earlier).data, plan.repository)
                )
            services = plan.assign(DeploymentKind.WORKFLOW, workflow_name(run))
            if services:
                deployment = deployment_from_github_run(run, plan.repository, "production")
                deployments += [service.apply(deployment) for service in services]
        return Records(pipeline_runs=tuple(pipeline_runs), deployments=tuple(deployments))

    # -- incidents (REST issues) ---------------------------------------------------------------

    def _incidents(self, plan: RepositoryPlan, position: dict[str, Any]) -> Iterator[Batch]:
        """Issues with an incident label, updated since the last run."""
        since = str(position.get("updated") or _iso(plan.since))
        newest = since
        url = f"repos/{plan.repository}/issues"
        for label in plan.incidents.labels:
            params = {"state": "all", "labels": label, "since": since, "per_page": PAGE}
            for page in unless_disabled(self.api.pages(url, params), 410):
                found = [
                    incident
                    for issue in page.data
                    if (
                        incident := incident_from_github(
                            issue, plan.incidents, plan.repository, plan.service
                        )
                    )
                ]
                newest = max([newest, *(str(issue["updated_at"]) for issue in page.data)])
                yield Batch(Records(incidents=tuple(found)), None, len(page.data))
        yield Batch(position={"updated": newest})


def _followed(pending: list[dict[str, Any]], found: list[Deployment]) -> list[dict[str, Any]]:
    """The deployments a later run looks at again: those pending, and those of `found` still in
    progress (once each, though several services may have one of them)."""
    entries = {entry["id"]: entry for entry in pending}
    for item in found:
        if item.status is DeploymentStatus.IN_PROGRESS:
            entry = _open_entry(item)
            entries.setdefault(entry["id"], entry)
    return list(entries.values())


def _open_entry(deployment: Deployment) -> dict[str, Any]:
    """What a later run needs to look at a deployment again: its id and when it started."""
    own = deployment.external_id.rsplit("/", 1)[-1]
    identifier = int(own.split(COPY_MARK, 1)[0])  # a further service's copy: "<id>#<service>"
    return {
        "id": identifier,
        "created": (deployment.started_at or deployment.finished_at).isoformat(),
    }


def _window_marks(marks: list[str], runs: list[dict[str, Any]], stale: datetime) -> list[str]:
    """Creation times that bound the next run's window: the newest run of all (the first one
    listed), and every run not finished yet (unless stuck since before `stale`)."""
    unfinished = [
        run["created_at"]
        for run in runs
        if run.get("status") != "completed" and api_time(run["created_at"]) > stale
    ]
    newest = [] if marks else [run["created_at"] for run in runs[:1]]
    return sorted({api_time(text).isoformat() for text in [*marks, *unfinished, *newest]})
