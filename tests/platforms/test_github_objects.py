"""GitHub objects -> model objects, against every matching real payload in ../shared/fixtures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dorameter.errors import InvalidInput
from dorameter.model import (
    DeploymentStatus,
    IncidentRules,
    PipelineOutcome,
    ReviewState,
)
from dorameter.sources.github_objects import (
    commit_from_github,
    decisive_status,
    deployment_from_github,
    deployment_from_github_release,
    deployment_from_github_run,
    deployment_from_github_tag,
    incident_from_github,
    pipeline_run_from_github,
    pull_request_commit_from_github,
    pull_request_from_github,
    review_from_github,
)
from dorameter.sources.platform import merge_deployment
from tests.platforms.fixtures import GITHUB_REST, hook_examples, ids, load


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# --- pull requests ---------------------------------------------------------------------------

PR_HOOKS = hook_examples("pull_request") + hook_examples("pull_request_review")


@pytest.mark.parametrize("path", PR_HOOKS, ids=ids(PR_HOOKS))
def test_every_pull_request_webhook_converts(path: Path) -> None:
    raw = load(path)["pull_request"]
    pr = pull_request_from_github(raw)

    assert pr.repository == "Codertocat/Hello-World"
    assert pr.external_id == f"github:Codertocat/Hello-World#{raw['number']}"
    assert pr.created_at == utc(raw["created_at"])
    assert pr.author == raw["user"]["login"]
    assert pr.draft is raw["draft"]
    assert pr.state == raw["state"]  # none of the examples is merged
    assert pr.merged_at is None and pr.merge_commit_sha is None  # a test merge, never landed
    assert pr.base_branch == raw["base"]["ref"] and pr.head_branch == raw["head"]["ref"]
    assert pr.labels == tuple(label["name"] for label in raw["labels"])
    assert pr.additions == raw.get("additions") and pr.changed_files == raw.get("changed_files")


def test_rest_pull_request_with_size_and_merge() -> None:
    raw = load(GITHUB_REST / "pulls__get.pull-request.json")
    pr = pull_request_from_github(raw)

    assert pr.external_id == "github:octocat/Hello-World#1347"
    assert (pr.additions, pr.deletions, pr.changed_files) == (100, 3, 5)
    assert pr.state == "merged"  # merged_at is set in this example
    assert pr.merged_at == utc("2011-01-26T19:01:12Z")
    assert pr.merge_commit_sha == "e5bd3914e2e596debea16f433f57875b5b90bcd6"
    assert pr.labels == ("bug",)
    assert pr.url == "https://github.com/octocat/Hello-World/pull/1347"


def test_rest_pull_request_list_items_convert_without_size() -> None:
    for raw in load(GITHUB_REST / "pulls__list.pull-request-simple-items.json"):
        pr = pull_request_from_github(raw, "octocat/Hello-World")
        assert pr.number == 1347
        assert pr.additions is None  # list items carry no size


def test_a_merged_pull_request_built_from_the_closed_example() -> None:
    raw = load(hook_examples("pull_request")[0].parent / "closed.payload.json")["pull_request"]
    merged = raw | {
        "merged": True,
        "merged_at": "2019-05-15T15:21:18Z",
        "merge_commit_sha": "c4295bd74fb0f4fda03689c3df3f2803b658fd85",
        "title": 'Revert "Update the README"',
    }
    pr = pull_request_from_github(merged)

    assert pr.state == "merged"
    assert pr.merge_commit_sha == "c4295bd74fb0f4fda03689c3df3f2803b658fd85"
    assert pr.is_revert
    deployment = merge_deployment(pr, "production", service="hello")
    assert deployment is not None
    assert deployment.external_id == "github:Codertocat/Hello-World/merges/2"
    assert deployment.sha == pr.merge_commit_sha and deployment.finished_at == pr.merged_at
    assert deployment.service == "hello" and deployment.ref == "master"
    assert merge_deployment(pull_request_from_github(raw), "production") is None


@pytest.mark.parametrize(
    ("field", "message"),
    [("number", "missing field 'number'"), ("created_at", "missing field 'created_at'")],
)
def test_a_pull_request_without_a_required_field_names_it(field: str, message: str) -> None:
    raw = dict(load(GITHUB_REST / "pulls__get.pull-request.json"))
    del raw[field]
    with pytest.raises(InvalidInput, match=f"GitHub pull request: {message}"):
        pull_request_from_github(raw)


def test_an_impossible_timestamp_is_refused() -> None:
    raw = load(GITHUB_REST / "pulls__get.pull-request.json") | {"created_at": "1969-07-20T20:17Z"}
    with pytest.raises(InvalidInput, match=r"'created_at'.*not a plausible time"):
        pull_request_from_github(raw)
    with pytest.raises(InvalidInput, match=r"'merged_at'.*not a date"):
        pull_request_from_github(raw | {"created_at": "2020-01-01", "merged_at": "yesterday"})


def test_a_deleted_author_is_ghost() -> None:
    raw = load(GITHUB_REST / "pulls__get.pull-request.json") | {"user": None}
    assert pull_request_from_github(raw).author == "ghost"


# --- reviews and commits ---------------------------------------------------------------------

REVIEW_HOOKS = hook_examples("pull_request_review")


@pytest.mark.parametrize("path", REVIEW_HOOKS, ids=ids(REVIEW_HOOKS))
def test_every_review_webhook_converts(path: Path) -> None:
    body = load(path)
    owner = pull_request_from_github(body["pull_request"]).external_id
    review = review_from_github(body["review"], owner)

    assert review is not None
    assert review.pull_request == "github:Codertocat/Hello-World#2"
    assert review.external_id == f"github:Codertocat/Hello-World#2/review/{body['review']['id']}"
    assert review.state == ReviewState(body["review"]["state"].lower())
    assert review.reviewer == body["review"]["user"]["login"]
    assert review.submitted_at == utc(body["review"]["submitted_at"])


def test_rest_reviews_convert_and_pending_ones_are_skipped() -> None:
    [raw] = load(GITHUB_REST / "pulls__list-reviews.pull-request-review-items.json")
    review = review_from_github(raw, "github:octocat/Hello-World#12")

    assert review is not None
    assert (review.reviewer, review.state) == ("octocat", ReviewState.APPROVED)
    assert review.submitted_at == datetime(2019, 11, 17, 17, 43, 43, tzinfo=UTC)
    assert review_from_github(raw | {"state": "PENDING", "submitted_at": None}, "x") is None
    with pytest.raises(InvalidInput, match="unknown state 'liked'"):
        review_from_github(raw | {"state": "LIKED"}, "x")


@pytest.mark.parametrize(
    "name",
    [
        "pulls__list-commits.simple-commit-items.json",
        "repos__list-commits.simple-commit-items.json",
    ],
)
def test_commit_examples_in_the_short_form_are_pull_request_commits(name: str) -> None:
    for raw in load(GITHUB_REST / name):
        commit = pull_request_commit_from_github(raw, "github:o/r#1")
        assert commit.sha == "6dcb09b5b57875f334f61aebed695e2e4193db5e"
        assert commit.author_time == datetime(2016, 10, 10, tzinfo=UTC)
        assert commit.subject == "Fix all the bugs"


def test_the_short_form_has_no_parents_so_it_cannot_join_the_commit_graph() -> None:
    raw = load(GITHUB_REST / "repos__list-commits.simple-commit-items.json")[0]
    with pytest.raises(InvalidInput, match="GitHub commit: missing field 'parents'"):
        commit_from_github(raw, "octocat/Hello-World")


def rest_commit(sha: str, parents: list[str], message: str) -> dict[str, Any]:
    """A commit as GitHub's REST API lists it (the shape of today's API documentation)."""
    return {
        "sha": sha,
        "commit": {
            "author": {"name": "Mona", "email": "mona@example.com", "date": "2026-03-02T09:00:00Z"},
            "committer": {
                "name": "GitHub",
                "email": "x@github.com",
                "date": "2026-03-02T10:00:00Z",
            },
            "message": message,
        },
        "parents": [{"sha": parent, "url": "https://api.github.com/..."} for parent in parents],
    }


def test_rest_commits_with_parents_and_reverts() -> None:
    raw = rest_commit("c" * 40, ["a" * 40, "b" * 40], 'Revert "x"\n\nThis reverts commit ABCDEF1.')
    commit = commit_from_github(raw, "o/r")

    assert commit.parents == ("a" * 40, "b" * 40)
    assert commit.author_time == datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert commit.committer_time == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert commit.subject == 'Revert "x"'
    assert commit.reverts == "abcdef1"
    pr_commit = pull_request_commit_from_github(raw, "github:o/r#1")
    assert (pr_commit.sha, pr_commit.author_time) == ("c" * 40, commit.author_time)


# --- deployments -----------------------------------------------------------------------------


def test_rest_deployment_with_its_statuses() -> None:
    [raw] = load(GITHUB_REST / "repos__list-deployments.deployment-items.json")
    statuses = load(GITHUB_REST / "repos__list-deployment-statuses.deployment-status-items.json")
    deployment = deployment_from_github(raw, decisive_status(statuses), "octocat/example", "shop")

    assert deployment.external_id == "github:octocat/example/deployments/1"
    assert deployment.service == "shop" and deployment.environment == "production"
    assert deployment.sha == "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d"
    assert deployment.status is DeploymentStatus.SUCCESS
    assert deployment.started_at == deployment.finished_at == utc("2012-07-20T01:19:13Z")
    assert deployment.ref == "topic-branch"
    single = load(GITHUB_REST / "repos__get-deployment.deployment.json")
    assert deployment_from_github(single, None, "octocat/example").status is (
        DeploymentStatus.IN_PROGRESS
    )


def test_the_decisive_status_is_the_last_final_one() -> None:
    def status(state: str, minute: int) -> dict[str, Any]:
        return {"state": state, "created_at": f"2026-03-02T09:{minute:02d}:00Z"}

    history = [status("inactive", 50), status("success", 10), status("in_progress", 5)]
    assert decisive_status(history) == status("success", 10)  # inactive only means replaced
    assert decisive_status([status("queued", 1), status("in_progress", 2)]) == status(
        "in_progress", 2
    )
    assert decisive_status([status("failure", 3), status("success", 9)]) == status("success", 9)
    assert decisive_status([]) is None


DEPLOYMENT_STATUS_HOOKS = hook_examples("deployment_status")


@pytest.mark.parametrize("path", DEPLOYMENT_STATUS_HOOKS, ids=ids(DEPLOYMENT_STATUS_HOOKS))
def test_every_deployment_status_webhook_converts(path: Path) -> None:
    body = load(path)
    repository = body["repository"]["full_name"]
    deployment = deployment_from_github(body["deployment"], body["deployment_status"], repository)

    expected = {
        "success": DeploymentStatus.SUCCESS,
        "failure": DeploymentStatus.FAILURE,
        "in_progress": DeploymentStatus.IN_PROGRESS,
    }
    assert deployment.status is expected[body["deployment_status"]["state"]]
    assert deployment.finished_at == utc(body["deployment_status"]["created_at"])
    assert deployment.environment == (
        body["deployment_status"].get("environment") or body["deployment"]["environment"]
    )
    assert deployment.external_id == f"github:{repository}/deployments/{body['deployment']['id']}"


DEPLOYMENT_HOOKS = hook_examples("deployment")


@pytest.mark.parametrize("path", DEPLOYMENT_HOOKS, ids=ids(DEPLOYMENT_HOOKS))
def test_a_deployment_webhook_without_status_is_in_progress(path: Path) -> None:
    body = load(path)
    deployment = deployment_from_github(body["deployment"], None, body["repository"]["full_name"])
    assert deployment.status is DeploymentStatus.IN_PROGRESS
    assert deployment.environment == body["deployment"]["environment"]


# --- workflow runs ---------------------------------------------------------------------------

RUN_HOOKS = hook_examples("workflow_run")


@pytest.mark.parametrize("path", RUN_HOOKS, ids=ids(RUN_HOOKS))
def test_every_workflow_run_webhook_converts(path: Path) -> None:
    raw = load(path)["workflow_run"]
    run = pipeline_run_from_github(raw)

    assert run.repository == "octo-org/octo-repo"
    assert run.external_id == "github:octo-org/octo-repo/actions/runs/289782451/attempts/1"
    assert run.name == ".github/workflows/test.yml"  # the payload's name is empty
    assert run.sha == raw["head_sha"] and run.branch == "master"
    assert run.started_at == utc("2020-10-05T16:33:49Z")
    expected = {"success": PipelineOutcome.SUCCESS, "action_required": PipelineOutcome.CANCELLED}
    if raw["status"] == "completed":
        assert run.outcome is expected[raw["conclusion"]]
        assert run.finished_at == utc(raw["updated_at"])
    else:
        assert run.outcome is PipelineOutcome.IN_PROGRESS and run.finished_at is None


def test_rest_workflow_run_list_from_2020_lacks_name_and_attempt() -> None:
    [raw] = load(GITHUB_REST / "actions__list-workflow-runs-for-repo.workflow-run-paginated.json")[
        "workflow_runs"
    ]
    run = pipeline_run_from_github(raw, "octo-org/octo-repo")

    assert run.name == "workflow 159038"
    assert run.attempt == 1 and run.started_at is None
    assert run.outcome is PipelineOutcome.IN_PROGRESS  # queued
    assert run.created_at == utc("2020-01-22T19:33:08Z")


def test_failed_re_run_attempt_and_run_deployment() -> None:
    raw = load(RUN_HOOKS[0])["workflow_run"] | {
        "name": "Deploy production",
        "conclusion": "failure",
        "run_attempt": 2,
        "updated_at": "2020-10-05T16:40:00Z",
    }
    run = pipeline_run_from_github(raw)
    assert run.outcome is PipelineOutcome.FAILURE and run.attempt == 2
    assert run.external_id.endswith("/runs/289782451/attempts/2")

    deployment = deployment_from_github_run(raw, "octo-org/octo-repo", "production", "web")
    assert deployment.external_id == "github:octo-org/octo-repo/actions/runs/289782451"
    assert deployment.status is DeploymentStatus.FAILURE
    assert deployment.finished_at == utc("2020-10-05T16:40:00Z")
    assert deployment.started_at == utc("2020-10-05T16:33:49Z")
    with pytest.raises(InvalidInput, match="unknown conclusion 'exploded'"):
        pipeline_run_from_github(raw | {"conclusion": "exploded"})


# --- releases and tags -----------------------------------------------------------------------

RELEASE_HOOKS = hook_examples("release")


@pytest.mark.parametrize("path", RELEASE_HOOKS, ids=ids(RELEASE_HOOKS))
def test_every_release_webhook_converts_unless_prerelease(path: Path) -> None:
    raw = load(path)["release"]
    deployment = deployment_from_github_release(raw, "f" * 40, "Codertocat/Hello-World", "prod")

    if raw["prerelease"]:
        assert deployment is None
        return
    assert deployment is not None
    assert deployment.external_id == "github:Codertocat/Hello-World/releases/17372790"
    assert deployment.finished_at == utc("2019-05-15T15:20:53Z")
    assert (deployment.ref, deployment.sha, deployment.environment) == ("0.0.1", "f" * 40, "prod")


@pytest.mark.parametrize(
    "name", ["repos__list-releases.release-items.json", "repos__get-release.release.json"]
)
def test_rest_releases_convert(name: str) -> None:
    raw = load(GITHUB_REST / name)
    for release in raw if isinstance(raw, list) else [raw]:
        deployment = deployment_from_github_release(release, "a" * 40, "octocat/Hello-World", "p")
        assert deployment is not None and deployment.ref == "v1.0.0"
        assert (
            deployment_from_github_release(release | {"draft": True}, "a" * 40, "o/r", "p") is None
        )


def test_tag_deployment() -> None:
    moment = datetime(2026, 3, 2, tzinfo=UTC)
    deployment = deployment_from_github_tag("v1.2.0", "a" * 40, moment, "o/r", "production")
    assert deployment.external_id == "github:o/r/tags/v1.2.0"
    assert (deployment.finished_at, deployment.ref, deployment.service) == (moment, "v1.2.0", "o/r")


# --- issues ----------------------------------------------------------------------------------

ISSUE_HOOKS = hook_examples("issues")
BUG_IS_INCIDENT = IncidentRules(labels=("Bug",), not_change_labels=("infra",))


@pytest.mark.parametrize("path", ISSUE_HOOKS, ids=ids(ISSUE_HOOKS))
def test_every_issue_webhook_is_an_incident_only_when_labelled(path: Path) -> None:
    raw = load(path)["issue"]
    labels = [label["name"] for label in raw.get("labels") or []]
    incident = incident_from_github(raw, BUG_IS_INCIDENT)

    if "pull_request" in raw or "bug" not in labels:
        assert incident is None
        return
    assert incident is not None
    assert incident.external_id == f"github:{path_repository(raw)}/issues/{raw['number']}"
    assert incident.started_at == utc(raw["created_at"])
    closed = raw["state"] == "closed"
    assert incident.resolved_at == (utc(raw["closed_at"]) if closed else None)
    assert incident.change_caused is None
    assert incident_from_github(raw, IncidentRules()) is None  # not labelled "incident"


def path_repository(raw: dict[str, Any]) -> str:
    return "/".join(raw["repository_url"].split("/")[-2:])


def test_the_rest_issue_example_is_a_pull_request_so_never_an_incident() -> None:
    [raw] = load(GITHUB_REST / "issues__list-for-repo.issue-simple-items.json")
    assert incident_from_github(raw, BUG_IS_INCIDENT, "octocat/Hello-World") is None
    issue = {key: value for key, value in raw.items() if key != "pull_request"}
    incident = incident_from_github(issue, BUG_IS_INCIDENT, "octocat/Hello-World", "site")
    assert incident is not None
    assert incident.external_id == "github:octocat/Hello-World/issues/1347"
    assert incident.service == "site" and incident.title == "Found a bug"


def test_incident_severity_and_not_change_caused_labels() -> None:
    [raw] = load(GITHUB_REST / "issues__list-for-repo.issue-simple-items.json")
    labels = [{"name": "incident"}, {"name": "Sev1"}, {"name": "INFRA"}]
    issue = {key: value for key, value in raw.items() if key != "pull_request"} | {
        "labels": labels,
        "state": "closed",
        "closed_at": "2011-04-22T15:00:00Z",
    }
    rules = IncidentRules(labels=("incident",), not_change_labels=("infra",))
    incident = incident_from_github(issue, rules)
    assert incident is not None
    assert incident.severity == "1" and incident.change_caused is False
    assert incident.resolved_at == utc("2011-04-22T15:00:00Z")


def test_the_real_closed_issue_capture() -> None:
    [path] = [p for p in ISSUE_HOOKS if p.name == "issues__closed.json"]
    raw = load(path)["issue"] | {"labels": [{"name": "incident"}]}
    incident = incident_from_github(raw, IncidentRules())
    assert incident is not None
    assert incident.external_id == "github:Pritesh-30/test-repo/issues/8"
    assert incident.resolved_at == utc("2026-01-31T08:11:37Z")
