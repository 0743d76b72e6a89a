"""GitHub GraphQL: pull requests, releases and tags, and their nodes -> model objects.

GraphQL brings a page of 50 pull requests with their commits, reviews, labels and ready-for-
review time in one request, where REST needs three requests per pull request; releases with the
commit their tag points at; tags with their dates. Nodes are reshaped into the REST objects
github_objects converts, so one set of rules applies to the API sync and to webhooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from dorameter.errors import ApiError, ApiNotFound, ApiUnavailable
from dorameter.model import Deployment, PullRequest, PullRequestCommit, Review
from dorameter.sources import github_queries as queries
from dorameter.sources.fields import Fields, api_time, maybe_time
from dorameter.sources.github_objects import (
    deployment_from_github_release,
    deployment_from_github_tag,
    pull_request_commit_from_github,
    pull_request_from_github,
    review_from_github,
)
from dorameter.sources.http import ApiClient
from dorameter.sources.platform import (
    Batch,
    DeploymentKind,
    Records,
    RepositoryPlan,
    merge_deployment,
)


def actor_login(node: Any) -> str | None:
    """GraphQL names apps without REST's "[bot]" suffix; add it so bot patterns match both."""
    if not isinstance(node, Mapping) or not isinstance(node.get("login"), str):
        return None
    login = str(node["login"])
    return f"{login}[bot]" if node.get("__typename") == "Bot" else login


def _user(node: Any) -> dict[str, str] | None:
    login = actor_login(node)
    return None if login is None else {"login": login}


def pull_request_from_node(node: Mapping[str, Any], repository: str) -> PullRequest:
    """A pull request node, with its ready-for-review time and earliest commit when known."""
    fields = Fields(node, "GitHub pull request")
    rest = {
        "number": node.get("number"),
        "title": node.get("title"),
        "html_url": node.get("url"),
        "state": "open" if node.get("state") == "OPEN" else "closed",
        "draft": node.get("isDraft"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "merged_at": node.get("mergedAt"),
        "closed_at": node.get("closedAt"),
        "merge_commit_sha": fields.get("mergeCommit.oid"),
        "base": {"ref": node.get("baseRefName")},
        "head": {"ref": node.get("headRefName")},
        "additions": node.get("additions"),
        "deletions": node.get("deletions"),
        "changed_files": node.get("changedFiles"),
        "labels": fields.get("labels.nodes", []),
        "user": _user(node.get("author")),
    }
    pull_request = pull_request_from_github(rest, repository)
    ready = fields.get("timelineItems.nodes", [])
    ready_at = Fields(ready[0], "GitHub ready event").instant("createdAt") if ready else None
    return replace(pull_request, ready_at=ready_at)


def commits_from_nodes(
    nodes: list[Mapping[str, Any]], pull_request: str
) -> list[PullRequestCommit]:
    return [
        pull_request_commit_from_github(
            {
                "sha": Fields(node, "GitHub commit").get("commit.oid"),
                "commit": {
                    "author": {"date": Fields(node, "GitHub commit").get("commit.authoredDate")},
                    "message": Fields(node, "GitHub commit").get("commit.messageHeadline", ""),
                },
            },
            pull_request,
        )
        for node in nodes
    ]


def reviews_from_nodes(nodes: list[Mapping[str, Any]], pull_request: str) -> list[Review]:
    reviews = (
        review_from_github(
            {
                "id": node.get("databaseId"),
                "state": node.get("state"),
                "submitted_at": node.get("submittedAt"),
                "user": _user(node.get("author")),
            },
            pull_request,
        )
        for node in nodes
    )
    return [review for review in reviews if review is not None]


def first_commit_at(commits: list[PullRequestCommit]) -> datetime | None:
    return min((commit.author_time for commit in commits), default=None)


def release_from_node(node: Mapping[str, Any]) -> dict[str, Any]:
    """A release node as the REST object deployment_from_github_release reads."""
    return {
        "id": node.get("databaseId"),
        "tag_name": node.get("tagName"),
        "draft": node.get("isDraft"),
        "prerelease": node.get("isPrerelease"),
        "created_at": node.get("createdAt"),
        "published_at": node.get("publishedAt"),
    }


def tag_from_node(node: Mapping[str, Any]) -> tuple[str, str, datetime] | None:
    """(name, commit sha, tagged at) of a tag ref: the tagger date of an annotated tag, the
    commit date of a lightweight one; None for a tag of something other than a commit."""
    fields = Fields(node, "GitHub tag")
    target = fields.require("target")
    if target.get("__typename") == "Commit":
        return (
            fields.text("name"),
            fields.text("target.oid"),
            fields.instant("target.committedDate"),
        )
    if target.get("__typename") == "Tag" and fields.get("target.target.__typename") == "Commit":
        when = fields.first_instant("target.tagger.date", "target.target.committedDate")
        return fields.text("name"), fields.text("target.target.oid"), when
    return None


def tag_commit_date(node: Mapping[str, Any]) -> datetime | None:
    """The date GitHub orders tags by (their commit's), to stop reading at old ones."""
    fields = Fields(node, "GitHub tag")
    for path in ("target.committedDate", "target.target.committedDate"):
        if fields.get(path):
            return fields.instant(path)
    return None


LATE_MARGIN = timedelta(days=7)  # releases published and tags pushed after their date


class GitHubGraphQL:
    """The GitHub source's GraphQL readers: pull requests, releases, tags."""

    def __init__(self, api: ApiClient, endpoint: str) -> None:
        self.api = api
        self.endpoint = endpoint

    def _query(self, query: str, variables: Mapping[str, Any]) -> Any:
        """The query's data; GraphQL's own rate limit (200 with RATE_LIMITED) is waited out."""
        for _ in range(self.api.policy.rate_limit_waits + 1):
            answer = self.api.post(self.endpoint, {"query": query, "variables": variables})
            body = Fields(answer.data, "GitHub GraphQL answer")
            errors = body.get("errors")
            if not errors:
                return body.require("data")
            first = errors[0] if isinstance(errors, list) and isinstance(errors[0], Mapping) else {}
            message = first.get("message", errors)
            if first.get("type") == "NOT_FOUND":
                raise ApiNotFound(f"GitHub: {message}: check the repository name and --api-url")
            if first.get("type") != "RATE_LIMITED":
                raise ApiError(f"GitHub GraphQL refused the query: {message}")
            self.api.wait_for_reset(answer.headers)
        raise ApiUnavailable(
            "GitHub kept refusing GraphQL queries for its rate limit: run again later; "
            "everything stored so far is kept"
        )

    def _connection(self, query: str, path: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = Fields(
            self._query(query, variables), "GitHub GraphQL answer"
        ).require(path)
        return found

    def pull_requests(self, plan: RepositoryPlan, position: dict[str, Any]) -> Iterator[Batch]:
        """Pull requests by latest update, newest first, down to the first one not updated
        since the last run (or older than --since on a first run)."""
        owner, name = plan.repository.split("/", 1)
        stop = maybe_time(position.get("updated")) or plan.since
        resume = position.get("resume") or {}
        after, newest = resume.get("after"), resume.get("updated")
        while True:
            variables = {"owner": owner, "name": name, "first": queries.PULL_REQUEST_PAGE}
            connection = self._connection(
                queries.PULL_REQUESTS, "repository.pullRequests", variables | {"after": after}
            )
            nodes = connection["nodes"]
            fresh = [node for node in nodes if api_time(node["updatedAt"]) >= stop]
            if newest is None and nodes:
                newest = api_time(nodes[0]["updatedAt"]).isoformat()
            records = self._pull_request_records(plan, fresh)
            after = connection["pageInfo"]["endCursor"]
            if len(fresh) < len(nodes) or not connection["pageInfo"]["hasNextPage"]:
                yield Batch(records, {"updated": newest or position.get("updated")}, len(fresh))
                return
            resumed = {"after": after, "updated": newest}
            yield Batch(records, position | {"resume": resumed}, len(fresh))

    def _pull_request_records(self, plan: RepositoryPlan, nodes: list[dict[str, Any]]) -> Records:
        pull_requests, commits, reviews = [], [], []
        for node in nodes:
            pull_request = pull_request_from_node(node, plan.repository)
            owner = pull_request.external_id
            own_commits = commits_from_nodes(self._all(node, "commits", plan), owner)
            reviews += reviews_from_nodes(self._all(node, "reviews", plan), owner)
            first = first_commit_at(own_commits)
            pull_requests.append(replace(pull_request, first_commit_at=first))
            commits += own_commits
        merges = [
            service.apply(merge)
            for pull_request in pull_requests
            if (merge := merge_deployment(pull_request, "production"))
            for service in plan.assign(DeploymentKind.BRANCH, pull_request.base_branch or "")
        ]
        return Records(
            pull_requests=tuple(pull_requests),
            pull_request_commits=tuple(commits),
            reviews=tuple(reviews),
            deployments=tuple(merges),
        )

    def _all(self, node: Mapping[str, Any], key: str, plan: RepositoryPlan) -> list[Any]:
        """A pull request's commits or reviews, with further pages when the first is full."""
        query = queries.MORE_COMMITS if key == "commits" else queries.MORE_REVIEWS
        connection = node[key]
        found = list(connection["nodes"])
        owner, name = plan.repository.split("/", 1)
        while connection["pageInfo"]["hasNextPage"]:
            variables = {"owner": owner, "name": name, "number": node["number"]}
            after = connection["pageInfo"]["endCursor"]
            connection = self._connection(
                query, f"repository.pullRequest.{key}", variables | {"after": after}
            )
            found += connection["nodes"]
        return found

    def releases(self, plan: RepositoryPlan, position: dict[str, Any]) -> Iterator[Batch]:
        """Releases created since the last run's newest, less a week for late publication."""
        newest = maybe_time(position.get("created"))
        stop = newest - LATE_MARGIN if newest else plan.since
        found: list[Deployment] = []
        for node in self._newest_first(queries.RELEASES, "releases", plan, stop, _release_date):
            newest = max(newest or _release_date(node), _release_date(node))
            sha = Fields(node, "GitHub release").get("tagCommit.oid")
            release = release_from_node(node)
            if sha is not None and (
                deployment := deployment_from_github_release(
                    release, sha, plan.repository, "production"
                )
            ):
                services = plan.assign(DeploymentKind.RELEASES, deployment.ref or "")
                found += [service.apply(deployment) for service in services]
        created = newest.isoformat() if newest else None
        yield Batch(Records(deployments=tuple(found)), {"created": created}, len(found))

    def tags(self, plan: RepositoryPlan, position: dict[str, Any]) -> Iterator[Batch]:
        """Tags matching a tags rule, dated since the last run's newest less a week."""
        newest = maybe_time(position.get("tagged"))
        stop = newest - LATE_MARGIN if newest else plan.since
        found: list[Deployment] = []
        for node in self._newest_first(queries.TAGS, "refs", plan, stop, tag_commit_date):
            tag = tag_from_node(node)
            if tag is None or tag[2] < stop:
                continue
            name, sha, tagged_at = tag
            newest = max(newest or tagged_at, tagged_at)
            if services := plan.assign(DeploymentKind.TAGS, name):
                deployment = deployment_from_github_tag(
                    name, sha, tagged_at, plan.repository, "production"
                )
                found += [service.apply(deployment) for service in services]
        tagged = newest.isoformat() if newest else None
        yield Batch(Records(deployments=tuple(found)), {"tagged": tagged}, len(found))

    def _newest_first(
        self,
        query: str,
        key: str,
        plan: RepositoryPlan,
        stop: datetime,
        date_of: Callable[[Mapping[str, Any]], datetime | None],
    ) -> Iterator[dict[str, Any]]:
        """Nodes of a connection ordered newest first, until one is dated before `stop`."""
        owner, name = plan.repository.split("/", 1)
        after = None
        while True:
            variables = {"owner": owner, "name": name, "first": queries.PAGE, "after": after}
            connection = self._connection(query, f"repository.{key}", variables)
            for node in connection["nodes"]:
                date = date_of(node)
                if date is not None and date < stop:
                    return
                yield node
            if not connection["pageInfo"]["hasNextPage"]:
                return
            after = connection["pageInfo"]["endCursor"]


def _release_date(node: Mapping[str, Any]) -> datetime:
    return api_time(str(node["createdAt"]))
