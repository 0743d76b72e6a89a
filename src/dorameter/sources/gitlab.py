"""The GitLab source: one project's history through GitLab's REST API (v4), as batches.

Merge requests by last update (with, for merged ones, their commits and notes: comments and
approvals), deployments by last update (their status and finish come in the listing), pipelines
by last update (finished ones read once in full for start and finish), releases, tags, commits
of the default branch and incident issues. Later runs ask only for what was updated since the
stored position (GitLab's updated_after filters), and resume after the last stored page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import quote

import httpx

from dorameter.errors import ApiNotFound
from dorameter.model import Deployment, Incident, PullRequest
from dorameter.sources.fields import Fields, api_time, maybe_time
from dorameter.sources.gitlab_objects import (
    commit_from_gitlab,
    deployment_from_gitlab,
    deployment_from_gitlab_release,
    deployment_from_gitlab_tag,
    incident_from_gitlab,
    merge_request_commit_from_gitlab,
    merge_request_from_gitlab,
    note_from_gitlab,
    pipeline_run_from_gitlab,
)
from dorameter.sources.http import ApiAccess, ApiClient, RetryPolicy, WaitNotice
from dorameter.sources.listing import (
    branch_commits,
    from_history_start,
    resume_pages,
    unless_disabled,
)
from dorameter.sources.platform import (
    Batch,
    DeploymentKind,
    Records,
    RepositoryPlan,
    Resource,
    merge_deployment,
)

PUBLIC_API = "https://gitlab.com/api/v4"
TOKEN_ENV = "GITLAB_TOKEN"
PAGE = 100
LATE_MARGIN = timedelta(days=7)  # releases and tags published after their date
_FINISHED = {"success", "failed", "canceled", "skipped"}


def gitlab_access(token_env: str = TOKEN_ENV) -> ApiAccess:
    return ApiAccess(
        platform="GitLab",
        token_hint=f"set {token_env} to a valid, unexpired personal, group or project token",
        scope_hint="the token needs the read_api scope and at least the Reporter role",
    )


def gitlab_api(
    api_url: str,
    token: str | None,
    *,
    token_env: str = TOKEN_ENV,
    transport: httpx.BaseTransport | None = None,
    on_wait: WaitNotice | None = None,
    sleep: Callable[[float], None] | None = None,
    policy: RetryPolicy | None = None,
) -> ApiClient:
    """An API client for gitlab.com or a self-managed GitLab (https://HOST/api/v4)."""
    headers = {"User-Agent": "dorameter"} | ({"PRIVATE-TOKEN": token} if token else {})
    client = httpx.Client(
        base_url=api_url.rstrip("/") + "/",
        headers=headers,
        transport=transport,
        timeout=httpx.Timeout(60.0, connect=15.0),
    )
    extra: dict[str, Any] = {"sleep": sleep} if sleep else {}
    access = gitlab_access(token_env)
    return ApiClient(client, access, on_wait=on_wait, policy=policy, **extra)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _after(moment: datetime) -> str:
    """GitLab's updated_after is exclusive: a second earlier, so nothing at the bound is lost."""
    return _iso(moment - timedelta(seconds=1))


def _project(path: str) -> str:
    return f"projects/{quote(path, safe='')}"


class GitLabSource:
    """Reads projects through one GitLab API client."""

    platform = "gitlab"

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self._branches: dict[str, str] = {}

    def read(self, plan: RepositoryPlan, resource: Resource, position: Any) -> Iterator[Batch]:
        """Batches of one resource after `position` (all again when --since asks for more)."""
        readers = {
            Resource.COMMITS: self._commits,
            Resource.PULL_REQUESTS: self._merge_requests,
            Resource.DEPLOYMENTS: self._deployments,
            Resource.PIPELINES: self._pipelines,
            Resource.RELEASES: self._releases,
            Resource.TAGS: self._tags,
            Resource.INCIDENTS: self._incidents,
        }
        return from_history_start(plan, position, readers[resource])

    def repositories(self, pattern: str) -> list[str]:
        """Paths of a group's projects (subgroups included) matching a glob, not archived."""
        group = pattern.rsplit("/", 1)[0]
        params = {"per_page": PAGE, "include_subgroups": "true", "archived": "false"}
        try:
            pages = list(self.api.pages(f"groups/{quote(group, safe='')}/projects", params))
        except ApiNotFound:
            pages = list(self.api.pages(f"users/{quote(group, safe='')}/projects", params))
        names = [str(project["path_with_namespace"]) for page in pages for project in page.data]
        return sorted(name for name in names if fnmatchcase(name.lower(), pattern.lower()))

    def default_branch(self, path: str) -> str:
        if path not in self._branches:
            data = self.api.get(_project(path)).data
            self._branches[path] = Fields(data, "GitLab project").text("default_branch")
        return self._branches[path]

    def _commits(self, plan: RepositoryPlan, position: dict[str, Any]) -> Iterator[Batch]:
        branch = self.default_branch(plan.repository)
        since = _iso(plan.since - plan.commit_horizon)
        params = {"ref_name": branch, "since": since, "per_page": PAGE}
        return branch_commits(
            self.api,
            (f"{_project(plan.repository)}/repository/commits", params),
            branch,
            position,
            lambda item: commit_from_gitlab(item, plan.repository),
        )

    def _updated(
        self, url: str, params: dict[str, Any], position: dict[str, Any], plan: RepositoryPlan
    ) -> Iterator[tuple[list[Any], dict[str, Any] | None]]:
        """Pages of a listing of things updated since the last run, newest update first, each
        with the position to store after it (the last one: the newest update seen)."""
        stop = maybe_time(position.get("updated")) or plan.since
        query = params | {"updated_after": _after(stop), "per_page": PAGE, "sort": "desc"}
        resume = position.get("resume") or {}
        newest = resume.get("updated")
        for page in resume_pages(self.api, url, query | {"order_by": "updated_at"}, position):
            items = list(page.data)
            if newest is None and items:
                newest = api_time(items[0]["updated_at"]).isoformat()
            if page.next_url:
                resumed = {"next": page.next_url, "updated": newest}
                yield items, position | {"resume": resumed}
            else:
                yield items, {"updated": newest or position.get("updated")}

    # -- merge requests --------------------------------------------------------------------

    def _merge_requests(self, plan: RepositoryPlan, position: dict[str, Any]) -> Iterator[Batch]:
        url = f"{_project(plan.repository)}/merge_requests"
        for items, state in self._updated(url, {"state": "all", "scope": "all"}, position, plan):
            merge_requests = [merge_request_from_gitlab(item, plan.repository) for item in items]
            yield Batch(self._merge_request_records(plan, merge_requests), state, len(items))

    def _merge_request_records(
        self, plan: RepositoryPlan, merge_requests: list[PullRequest]
    ) -> Records:
        """Commits and notes of the merged ones (what lead time and flow need), and merges."""
        commits, reviews, kept = [], [], []
        for mr in merge_requests:
            if mr.merged_at is None:
                kept.append(mr)
                continue
            base = f"{_project(plan.repository)}/merge_requests/{mr.number}"
            own = [
                merge_request_commit_from_gitlab(item, mr.external_id)
                for page in self.api.pages(f"{base}/commits", {"per_page": PAGE})
                for item in page.data
            ]
            notes = (
                note_from_gitlab(item, mr.external_id)
                for page in self.api.pages(f"{base}/notes", {"per_page": PAGE, "sort": "asc"})
                for item in page.data
            )
            reviews += [note for note in notes if note is not None]
            commits += own
            first = min((commit.author_time for commit in own), default=None)
            kept.append(replace(mr, first_commit_at=first))
        deployments = [
            service.apply(merge)
            for mr in kept
            if (merge := merge_deployment(mr, "production"))
            for service in plan.assign(DeploymentKind.BRANCH, mr.base_branch or "")
        ]
        return Records(
            pull_requests=tuple(kept),
            pull_request_commits=tuple(commits),
            reviews=tuple(reviews),
            deployments=tuple(deployments),
        )

    # -- deployments and pipelines ---------------------------------------------------------

    def _deployments(self, plan: RepositoryPlan, position: dict[str, Any]) -> Iterator[Batch]:
        url = f"{_project(plan.repository)}/deployments"
        for items, state in self._updated(url, {}, position, plan):
            found = [
                service.apply(deployment_from_gitlab(item, plan.repository))
                for item in items
                for service in plan.assign(DeploymentKind.ENVIRONMENTS, _environment(item))
            ]
            yield Batch(Records(deployments=tuple(found)), state, len(items))

    def _pipelines(self, plan: RepositoryPlan, position: dict[str, Any]) -> Iterator[Batch]:
        """Pipelines updated since the last run; a finished one is read in full once (the
        listing has no start or finish)."""
        url = f"{_project(plan.repository)}/pipelines"
        for items, state in self._updated(url, {}, position, plan):
            runs = [
                pipeline_run_from_gitlab(
                    self.api.get(f"{url}/{item['id']}").data
                    if item.get("status") in _FINISHED
                    else item,
                    plan.repository,
                )
                for item in items
            ]
            yield Batch(Records(pipeline_runs=tuple(runs)), state, len(items))

    # -- releases and tags -----------------------------------------------------------------

    def _releases(self, plan: RepositoryPlan, position: dict[str, Any]) -> Iterator[Batch]:
        """Releases created since the last run's newest, less a week for late publication."""
        params = {"order_by": "created_at", "sort": "desc", "per_page": PAGE}
        url = f"{_project(plan.repository)}/releases"
        found: list[Deployment] = []
        newest = maybe_time(position.get("created"))
        stop = newest - LATE_MARGIN if newest else plan.since
        for item in self._newest_first(url, params, stop, "created_at"):
            newest = max(newest or api_time(item["created_at"]), api_time(item["created_at"]))
            deployment = deployment_from_gitlab_release(item, "production", plan.repository)
            if deployment is not None:
                services = plan.assign(DeploymentKind.RELEASES, deployment.ref or "")
                found += [service.apply(deployment) for service in services]
        created = newest.isoformat() if newest else None
        yield Batch(Records(deployments=tuple(found)), {"created": created}, len(found))

    def _tags(self, plan: RepositoryPlan, position: dict[str, Any]) -> Iterator[Batch]:
        """Tags matching a tags rule, dated since the last run's newest less a week."""
        params = {"order_by": "updated", "sort": "desc", "per_page": PAGE}
        url = f"{_project(plan.repository)}/repository/tags"
        found: list[Deployment] = []
        newest = maybe_time(position.get("tagged"))
        stop = newest - LATE_MARGIN if newest else plan.since
        for item in self._newest_first(url, params, stop, "commit.committed_date"):
            deployment = deployment_from_gitlab_tag(item, "production", plan.repository)
            newest = max(newest or deployment.finished_at, deployment.finished_at)
            if deployment.finished_at >= stop:
                services = plan.assign(DeploymentKind.TAGS, str(item["name"]))
                found += [service.apply(deployment) for service in services]
        tagged = newest.isoformat() if newest else None
        yield Batch(Records(deployments=tuple(found)), {"tagged": tagged}, len(found))

    def _newest_first(
        self, url: str, params: dict[str, Any], stop: datetime, date_path: str
    ) -> Iterator[dict[str, Any]]:
        for page in self.api.pages(url, params):
            for item in page.data:
                if Fields(item, "GitLab item").instant(date_path) < stop:
                    return
                yield item

    # -- incidents -------------------------------------------------------------------------

    def _incidents(self, plan: RepositoryPlan, position: dict[str, Any]) -> Iterator[Batch]:
        """GitLab incidents and issues with an incident label, updated since the last run."""
        url = f"{_project(plan.repository)}/issues"
        stop = maybe_time(position.get("updated")) or plan.since
        newest = stop
        labels = ({"labels": label} for label in plan.incidents.labels)
        filters = [{"issue_type": "incident"}, *labels]
        for query in filters:
            params = query | {"scope": "all", "updated_after": _after(stop), "per_page": PAGE}
            for page in unless_disabled(self.api.pages(url, params), 403):
                found = [
                    incident
                    for item in page.data
                    if (
                        incident := incident_from_gitlab(
                            item, plan.incidents, plan.repository, plan.service
                        )
                    )
                ]
                newest = max([newest, *(api_time(item["updated_at"]) for item in page.data)])
                yield Batch(Records(incidents=tuple(_unique(found))), None, len(page.data))
        yield Batch(position={"updated": newest.isoformat()})


def _environment(deployment: dict[str, Any]) -> str:
    return str(Fields(deployment, "GitLab deployment").get("environment.name", ""))


def _unique(incidents: list[Incident]) -> list[Incident]:
    return list({incident.external_id: incident for incident in incidents}.values())
