"""A small fake GitLab REST API (v4), in memory: projects addressed by their URL-encoded path,
updated_after filters, Link pagination, PRIVATE-TOKEN authentication."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.platforms.fake_api import FakeApi, Route
from tests.platforms.fake_github import at, sha


@dataclass
class FakeProject:
    """One project's data as GitLab's REST API returns it, newest first."""

    path: str
    default_branch: str = "main"
    commits: list[dict[str, Any]] = field(default_factory=list)
    merge_requests: list[dict[str, Any]] = field(default_factory=list)
    mr_commits: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    pipelines: list[dict[str, Any]] = field(default_factory=list)  # full objects
    releases: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)

    def add_commit(
        self,
        name: str,
        parents: tuple[str, ...],
        hours: float,
        subject: str,
        committed: float | None = None,
    ) -> str:
        self.commits.insert(
            0,
            {
                "id": sha(name),
                "title": subject,
                "message": subject + "\n",
                "author_name": "Ada",
                "author_email": "ada@example.com",
                "authored_date": at(hours),
                "committed_date": at(committed if committed is not None else hours),
                "parent_ids": [sha(parent) for parent in parents],
            },
        )
        return sha(name)

    def add_merge_request(
        self,
        iid: int,
        merged: float | None,
        commits: list[tuple[str, float, str]],
        merge_commit: str | None = None,
        squash_commit: str | None = None,
        notes: list[tuple[int, str, str, bool, float]] = (),  # type: ignore[assignment]
        closed: float | None = None,  # closed without merging (when not merged)
    ) -> dict[str, Any]:
        """A merge request: merged at `merged`, else closed at `closed`, else still open."""
        created = commits[0][1] + 1
        ended = merged if merged is not None else closed
        state = "merged" if merged is not None else "closed" if closed is not None else "opened"
        self.merge_requests.append(
            {
                "id": 1000 + iid,
                "iid": iid,
                "title": f"Change {iid}",
                "state": state,
                "created_at": at(created),
                "updated_at": at(ended if ended is not None else created),
                "merged_at": at(merged) if merged is not None else None,
                "closed_at": at(closed) if merged is None and closed is not None else None,
                "target_branch": self.default_branch,
                "source_branch": f"feature-{iid}",
                "author": {"username": "ada"},
                "labels": [],
                "draft": False,
                "merge_commit_sha": merge_commit,
                "squash_commit_sha": squash_commit,
                "changes_count": "2",
                "references": {"full": f"{self.path}!{iid}"},
                "web_url": f"https://gitlab.example/{self.path}/-/merge_requests/{iid}",
            }
        )
        self.mr_commits[iid] = [
            {"id": oid, "title": subject, "message": subject, "authored_date": at(hours)}
            for oid, hours, subject in reversed(commits)
        ]
        self.notes[iid] = [
            {
                "id": identifier,
                "body": body,
                "author": {"username": login},
                "system": system,
                "created_at": at(hours),
                "noteable_type": "MergeRequest",
            }
            for identifier, login, body, system, hours in notes
        ]
        return self.merge_requests[-1]

    def add_deployment(
        self, identifier: int, commit: str, environment: str, status: str, hours: float
    ) -> None:
        self.deployments.insert(
            0,
            {
                "id": identifier,
                "iid": identifier,
                "ref": self.default_branch,
                "sha": commit,
                "status": status,
                "created_at": at(hours - 0.2),
                "updated_at": at(hours),
                "environment": {"name": environment},
                "deployable": {"started_at": at(hours - 0.1), "finished_at": at(hours)},
            },
        )


class FakeGitLab(FakeApi):
    """The GitLab REST API over a set of FakeProject objects."""

    prefix = "/api/v4"

    def __init__(self, token: str | None = "glpat-secret", page_limit: int = 100) -> None:
        super().__init__(token, page_limit)
        self.projects: dict[str, FakeProject] = {}

    def project(self, path: str) -> FakeProject:
        return self.projects.setdefault(path, FakeProject(path))

    def authorized(self, request: httpx.Request) -> bool:
        return bool(request.headers.get("private-token") == self.token)

    def routes(self) -> list[Route]:
        project = r"/projects/(.+?)"
        return [
            (project + "/repository/commits", self._commits),
            (
                project + "/merge_requests",
                lambda q, p: (None, self._updated(q, self._get(p).merge_requests)),
            ),
            (
                project + r"/merge_requests/(\d+)/commits",
                lambda q, p, iid: (None, self._get(p).mr_commits[int(iid)]),
            ),
            (
                project + r"/merge_requests/(\d+)/notes",
                lambda q, p, iid: (None, self._get(p).notes[int(iid)]),
            ),
            (
                project + "/deployments",
                lambda q, p: (None, self._updated(q, self._get(p).deployments)),
            ),
            (
                project + "/pipelines",
                lambda q, p: (None, [_listed(x) for x in self._updated(q, self._get(p).pipelines)]),
            ),
            (project + r"/pipelines/(\d+)", self._pipeline),
            (project + "/releases", lambda q, p: (None, self._get(p).releases)),
            (project + "/repository/tags", lambda q, p: (None, self._get(p).tags)),
            (project + "/issues", self._issues),
            (r"/groups/(.+?)/projects", lambda q, group: (None, self._owned(group))),
            (project, lambda q, p: (self._info(p), None)),  # last: it matches any path
        ]

    def _get(self, path: str) -> FakeProject:
        return self.projects[path]

    def _info(self, path: str) -> dict[str, Any]:
        project = self._get(path)
        return {"path_with_namespace": path, "default_branch": project.default_branch}

    def _commits(self, query: dict[str, str], path: str) -> tuple[None, list[Any]]:
        since = query.get("since", "")
        return None, [c for c in self._get(path).commits if c["committed_date"] >= since]

    def _updated(self, query: dict[str, str], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        after = query.get("updated_after", "")
        chosen = [item for item in items if item["updated_at"] > after]
        return sorted(chosen, key=lambda item: item["updated_at"], reverse=True)

    def _pipeline(self, query: dict[str, str], path: str, identifier: str) -> tuple[Any, None]:
        [found] = [p for p in self._get(path).pipelines if p["id"] == int(identifier)]
        return found, None

    def _issues(self, query: dict[str, str], path: str) -> tuple[None, list[Any]]:
        issues = self._updated(query, self._get(path).issues)
        if "issue_type" in query:
            issues = [issue for issue in issues if issue.get("issue_type") == query["issue_type"]]
        if "labels" in query:
            issues = [issue for issue in issues if query["labels"] in issue["labels"]]
        return None, issues

    def _owned(self, group: str) -> list[Any]:
        found = [
            {"path_with_namespace": p} for p in sorted(self.projects) if p.startswith(group + "/")
        ]
        if not found:
            raise LookupError(group)
        return found


def _listed(pipeline: dict[str, Any]) -> dict[str, Any]:
    """A pipeline as listings show it: without start, finish or durations."""
    return {
        key: value
        for key, value in pipeline.items()
        if key not in ("started_at", "finished_at", "duration", "queued_duration")
    }


def gitlab_history(fake: FakeGitLab, path: str = "shop/api") -> FakeProject:
    """Three merge requests merged three ways, as in github_support.three_merge_styles: a merge
    commit (!1), a squash with a merge commit of its own (!2, GitLab's default), and a
    fast-forward rebase (!3, no merge commit at all). One production deployment at 0 h ships
    them; a pipeline each; an incident."""
    project = fake.project(path)
    project.add_commit("A", (), -100, "Initial")
    project.add_commit("b1", ("A",), -50, "Add b1")
    project.add_commit("b2", ("b1",), -40, "Add b2")
    project.add_commit("M1", ("A", "b2"), -10, "Merge branch 'feature-1' into 'main'")
    project.add_commit("S", ("M1",), -5, "Squashed change")
    project.add_commit("M2", ("M1", "S"), -5, "Merge branch 'feature-2' into 'main'")
    project.add_commit("R1", ("M2",), -18, "Add r1", committed=-3)
    project.add_commit("R2", ("R1",), -16, "Add r2", committed=-3)
    project.add_merge_request(
        1,
        -10,
        [(sha("b1"), -50, "Add b1"), (sha("b2"), -40, "Add b2")],
        merge_commit=sha("M1"),
        notes=[
            (1, "grace", "Looks good", False, -12),
            (2, "grace", "approved this merge request", True, -11),
            (3, "ada", "added 1 commit", True, -45),
        ],
    )
    project.add_merge_request(
        2,
        -5,
        [(sha("s1"), -30, "First part"), (sha("s2"), -20, "Second part")],
        merge_commit=sha("M2"),
        squash_commit=sha("S"),
    )
    project.add_merge_request(3, -3, [(sha("r1"), -18, "Add r1"), (sha("r2"), -16, "Add r2")])
    project.add_deployment(1, sha("A"), "production", "success", -90)
    project.add_deployment(2, sha("R2"), "production", "success", 0)
    project.add_deployment(3, sha("R2"), "review/feature-9", "success", 0.5)
    project.pipelines.append(
        {
            "id": 77,
            "iid": 7,
            "sha": sha("R2"),
            "ref": "main",
            "status": "success",
            "source": "push",
            "created_at": at(-2.0),
            "updated_at": at(-1.5),
            "started_at": at(-1.9),
            "finished_at": at(-1.5),
            "web_url": f"https://gitlab.example/{path}/-/pipelines/77",
        }
    )
    project.issues.append(
        {
            "iid": 4,
            "title": "Checkout down",
            "state": "closed",
            "created_at": at(1),
            "updated_at": at(2),
            "closed_at": at(2),
            "labels": ["severity::1"],
            "issue_type": "incident",
        }
    )
    return project
