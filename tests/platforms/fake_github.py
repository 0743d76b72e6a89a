"""A small fake GitHub API (REST and the GraphQL queries dorameter sends), in memory.

Mounted with httpx.MockTransport, or served on 127.0.0.1 by fake_api.serve and reached through
--api-url as a GitHub Enterprise Server would be (REST under /api/v3, GraphQL at /api/graphql).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.platforms.fake_api import FakeApi, Route

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday


def at(hours: float) -> str:
    """GitHub's time format, `hours` after T0."""
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


@dataclass
class FakeRepository:
    """One repository's data, newest first where GitHub lists newest first."""

    full_name: str
    default_branch: str = "main"
    commits: list[dict[str, Any]] = field(default_factory=list)  # REST objects, newest first
    pulls: list[dict[str, Any]] = field(default_factory=list)  # GraphQL nodes
    deployments: list[dict[str, Any]] = field(default_factory=list)  # REST, newest first
    statuses: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)  # REST, newest first
    attempts: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    releases: list[dict[str, Any]] = field(default_factory=list)  # GraphQL nodes
    tags: list[dict[str, Any]] = field(default_factory=list)  # GraphQL nodes
    issues: list[dict[str, Any]] = field(default_factory=list)  # REST

    # -- builders ------------------------------------------------------------------------------

    def add_commit(
        self, name: str, parents: tuple[str, ...], hours: float, subject: str | None = None
    ) -> str:
        """A commit on the default branch named `name` (its sha is sha(name)), newest first."""
        self.commits.insert(
            0, rest_commit(sha(name), [sha(p) for p in parents], hours, subject or name)
        )
        return sha(name)

    def add_pull(self, number: int, **options: Any) -> dict[str, Any]:
        node = pull_node(number, **options)
        self.pulls.append(node)
        return node

    def add_deployment(
        self, identifier: int, commit: str, environment: str, states: list[tuple[str, float]]
    ) -> None:
        created = states[0][1] - 0.1 if states else 0.0
        self.deployments.insert(
            0,
            {
                "id": identifier,
                "sha": commit,
                "ref": self.default_branch,
                "environment": environment,
                "created_at": at(created),
                "updated_at": at(states[-1][1] if states else created),
            },
        )
        self.statuses[identifier] = [
            {"id": identifier * 100 + index, "state": state, "created_at": at(hours)}
            for index, (state, hours) in reversed(list(enumerate(states)))
        ]

    def add_run(self, identifier: int, name: str, commit: str, hours: float, **extra: Any) -> None:
        run = {
            "id": identifier,
            "name": name,
            "path": f".github/workflows/{name.lower()}.yml",
            "workflow_id": 1,
            "head_sha": commit,
            "head_branch": self.default_branch,
            "event": "push",
            "status": "completed",
            "conclusion": "success",
            "run_attempt": 1,
            "created_at": at(hours),
            "run_started_at": at(hours + 0.05),
            "updated_at": at(hours + 0.25),
            "html_url": f"https://github.example/{self.full_name}/actions/runs/{identifier}",
        } | extra
        self.runs.insert(0, run)


def rest_commit(commit: str, parents: list[str], hours: float, subject: str) -> dict[str, Any]:
    return {
        "sha": commit,
        "commit": {
            "author": {"name": "Ada", "email": "ada@example.com", "date": at(hours)},
            "committer": {"name": "Ada", "email": "ada@example.com", "date": at(hours)},
            "message": subject,
        },
        "parents": [{"sha": parent} for parent in parents],
    }


def pull_node(
    number: int,
    *,
    title: str = "",
    author: str = "ada",
    created: float = -48.0,
    updated: float | None = None,
    merged: float | None = None,
    closed: float | None = None,  # closed without merging (ignored when merged)
    merge_commit: str | None = None,
    base: str = "main",
    draft: bool = False,
    ready: float | None = None,
    commits: list[tuple[str, float, str]] = (),  # type: ignore[assignment]
    reviews: list[tuple[int, str, str, float]] = (),  # type: ignore[assignment]
    labels: tuple[str, ...] = (),
    bot_author: bool = False,
) -> dict[str, Any]:
    """A pull request node as GitHub's GraphQL API returns it."""
    ended = merged if merged is not None else closed
    last = max([created, *(t for *_, t in reviews), ended if ended is not None else created])
    state = "MERGED" if merged is not None else "CLOSED" if closed is not None else "OPEN"
    return {
        "number": number,
        "title": title or f"Change {number}",
        "url": f"https://github.example/pull/{number}",
        "state": state,
        "isDraft": draft,
        "createdAt": at(created),
        "updatedAt": at(updated if updated is not None else last),
        "mergedAt": at(merged) if merged is not None else None,
        "closedAt": at(ended) if ended is not None else None,
        "baseRefName": base,
        "headRefName": f"feature-{number}",
        "additions": 10 * number,
        "deletions": number,
        "changedFiles": 2,
        "author": {"__typename": "Bot" if bot_author else "User", "login": author},
        "mergeCommit": {"oid": merge_commit} if merge_commit else None,
        "labels": {"nodes": [{"name": label} for label in labels]},
        "timelineItems": {"nodes": [{"createdAt": at(ready)}] if ready is not None else []},
        "commits": {
            "totalCount": len(commits),
            "nodes": [
                {"commit": {"oid": oid, "authoredDate": at(t), "messageHeadline": subject}}
                for oid, t, subject in commits
            ],
        },
        "reviews": {
            "nodes": [
                {
                    "databaseId": identifier,
                    "state": state,
                    "submittedAt": at(t),
                    "author": {"__typename": "User", "login": login},
                }
                for identifier, login, state, t in reviews
            ]
        },
    }


class FakeGitHub(FakeApi):
    """The GitHub API over a set of FakeRepository objects."""

    prefix = "/api/v3"  # an Enterprise Server's root; github.com's has none

    def __init__(self, token: str | None = "secret-token", page_limit: int = 100) -> None:
        super().__init__(token, page_limit)
        self.repositories: dict[str, FakeRepository] = {}
        self.owners: dict[str, str] = {}  # owner -> "org" or "user"

    def repository(self, full_name: str) -> FakeRepository:
        if full_name not in self.repositories:
            self.repositories[full_name] = FakeRepository(full_name)
            self.owners.setdefault(full_name.split("/", maxsplit=1)[0], "org")
        return self.repositories[full_name]

    def authorized(self, request: httpx.Request) -> bool:
        return bool(request.headers.get("authorization") == f"Bearer {self.token}")

    def label(self, request: httpx.Request) -> str:
        if request.method == "POST":
            match = re.search(r"query (\w+)", json.loads(request.content).get("query", ""))
            return f"POST graphql:{match.group(1) if match else '?'}"
        return super().label(request)

    def post(self, request: httpx.Request) -> httpx.Response:
        return self._graphql(json.loads(request.content))

    def wrap(self, request: httpx.Request, page: list[Any], total: int) -> Any:
        if self.path(request).endswith("/actions/runs"):
            return {"total_count": total, "workflow_runs": page}
        return page

    def routes(self) -> list[Route]:
        repo = r"/repos/([^/]+/[^/]+)"
        return [
            (repo, lambda q, name: (self._repo_info(name), None)),
            (repo + "/commits", self._commits),
            (repo + "/deployments", lambda q, name: (None, self.repositories[name].deployments)),
            (repo + r"/deployments/(\d+)", self._deployment),
            (repo + r"/deployments/(\d+)/statuses", self._statuses),
            (repo + "/actions/runs", lambda q, name: (None, self.repositories[name].runs)),
            (repo + r"/actions/runs/(\d+)/attempts/(\d+)", self._attempt),
            (repo + "/issues", self._issues),
            (r"/orgs/([^/]+)/repos", lambda q, owner: (None, self._owned(owner, "org"))),
            (r"/users/([^/]+)/repos", lambda q, owner: (None, self._owned(owner, "user"))),
        ]

    def _repo_info(self, name: str) -> dict[str, Any]:
        repository = self.repositories[name]
        return {"full_name": name, "default_branch": repository.default_branch}

    def _commits(self, query: dict[str, str], name: str) -> tuple[None, list[Any]]:
        commits = self.repositories[name].commits
        if "since" in query:
            commits = [c for c in commits if c["commit"]["committer"]["date"] >= query["since"]]
        return None, commits

    def _deployment(self, query: dict[str, str], name: str, number: str) -> tuple[Any, None]:
        found = [d for d in self.repositories[name].deployments if d["id"] == int(number)]
        return found[0], None

    def _statuses(self, query: dict[str, str], name: str, number: str) -> tuple[None, list[Any]]:
        return None, self.repositories[name].statuses[int(number)]

    def _attempt(self, query: dict[str, str], name: str, run: str, n: str) -> tuple[Any, None]:
        return self.repositories[name].attempts[(int(run), int(n))], None

    def _issues(self, query: dict[str, str], name: str) -> tuple[None, list[Any]]:
        issues = self.repositories[name].issues
        label = query.get("labels")
        found = [
            issue
            for issue in issues
            if (not label or label in [item["name"] for item in issue["labels"]])
            and issue["updated_at"] >= query.get("since", "")
        ]
        return None, found

    def _owned(self, owner: str, kind: str) -> list[Any]:
        if self.owners.get(owner) != kind:
            raise LookupError(owner)
        return [
            {"full_name": name, "archived": False, "fork": False}
            for name in sorted(self.repositories)
            if name.startswith(owner + "/")
        ]

    # -- GraphQL -------------------------------------------------------------------------------

    def _graphql(self, body: dict[str, Any]) -> httpx.Response:
        variables = body.get("variables", {})
        operation = re.search(r"query (\w+)", body["query"])
        name = f"{variables['owner']}/{variables['name']}"
        if name not in self.repositories:
            error = {"type": "NOT_FOUND", "message": f"Could not resolve to a Repository {name}"}
            return httpx.Response(200, json={"data": {"repository": None}, "errors": [error]})
        repository = self.repositories[name]
        kind = operation.group(1) if operation else ""
        answers: dict[str, Callable[[], Any]] = {
            "PullRequests": lambda: {"pullRequests": self._pulls(repository, variables)},
            "PullRequestCommits": lambda: self._more(repository, variables, "commits"),
            "PullRequestReviews": lambda: self._more(repository, variables, "reviews"),
            "Releases": lambda: {"releases": _connection(repository.releases, variables)},
            "Tags": lambda: {"refs": _connection(repository.tags, variables)},
        }
        data = answers[kind]()
        return httpx.Response(200, json={"data": {"repository": data}})

    def _pulls(self, repository: FakeRepository, variables: dict[str, Any]) -> dict[str, Any]:
        ordered = sorted(repository.pulls, key=lambda node: node["updatedAt"], reverse=True)
        connection = _connection(ordered, variables)
        connection["nodes"] = [
            node
            | {
                "commits": _connection(node["commits"]["nodes"], {"first": 100}),
                "reviews": _connection(node["reviews"]["nodes"], {"first": 50}),
            }
            for node in connection["nodes"]
        ]
        return connection

    def _more(self, repository: FakeRepository, variables: dict[str, Any], key: str) -> Any:
        [node] = [n for n in repository.pulls if n["number"] == variables["number"]]
        return {
            "pullRequest": {
                key: _connection(
                    node[key]["nodes"], variables | {"first": 100 if key == "commits" else 50}
                )
            }
        }


def _connection(nodes: list[Any], variables: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL connection page; cursors are offsets."""
    start = int(variables.get("after") or 0)
    end = start + int(variables["first"])
    return {
        "pageInfo": {"hasNextPage": end < len(nodes), "endCursor": str(end)},
        "nodes": nodes[start:end],
    }
