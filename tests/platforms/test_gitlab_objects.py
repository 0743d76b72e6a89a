"""GitLab objects -> model objects, against every matching webhook body in ../shared/fixtures,
and REST objects in the shape GitLab's API documentation gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dorameter.errors import InvalidInput
from dorameter.model import DeploymentStatus, IncidentRules, PipelineOutcome, ReviewState
from dorameter.sources.gitlab_objects import (
    approval_from_gitlab,
    commit_from_gitlab,
    deployment_from_gitlab,
    deployment_from_gitlab_release,
    incident_from_gitlab,
    merge_request_commit_from_gitlab,
    merge_request_from_gitlab,
    note_from_gitlab,
    pipeline_run_from_gitlab,
)
from dorameter.sources.platform import merge_deployment
from tests.platforms.fixtures import GITLAB_HOOKS, load


def hook(name: str) -> dict[str, Any]:
    body: dict[str, Any] = load(GITLAB_HOOKS / f"{name}.json")
    return body


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- merge requests --------------------------------------------------------------------------


def test_merge_request_webhook() -> None:
    body = hook("merge_request")
    mr = merge_request_from_gitlab(body["object_attributes"], author=body["user"]["username"])

    assert mr.repository == "awesome_space/awesome_project"  # the target project
    assert mr.external_id == "gitlab:awesome_space/awesome_project!1"
    assert (mr.title, mr.author, mr.state) == ("MS-Viewport", "user1", "open")
    assert mr.created_at == utc(2013, 12, 3, 17, 23, 34)
    assert (mr.base_branch, mr.head_branch) == ("master", "ms-viewport")
    assert mr.labels == ("API",) and not mr.draft
    assert mr.url == "http://example.com/diaspora/merge_requests/1"
    assert merge_request_from_gitlab(body["object_attributes"]).author == "user:51"


def test_merge_request_webhook_with_only_a_state_id() -> None:
    body = hook("service_merge_request")
    mr = merge_request_from_gitlab(body["object_attributes"])

    assert mr.external_id == "gitlab:test/woodpecker!2"
    assert mr.state == "open"  # state_id 1
    assert mr.created_at == utc(2021, 9, 27, 5, 0, 1)  # "2021-09-27 05:00:01 UTC"
    assert mr.title == "Update client.go 🎉"


def test_the_group_merge_request_capture_has_broken_keys_and_is_refused_by_name() -> None:
    # The capture's keys end with a space ("iid ", "created_at "): nothing can be read.
    with pytest.raises(InvalidInput, match="GitLab merge request: missing field 'iid'"):
        merge_request_from_gitlab(hook("group_merge_request")["object_attributes"])


def rest_merge_request(**changes: Any) -> dict[str, Any]:
    """A merge request as GitLab's REST API returns it (docs.gitlab.com/api/merge_requests)."""
    return {
        "id": 1,
        "iid": 7,
        "project_id": 3,
        "title": "Add payments",
        "state": "merged",
        "created_at": "2026-03-02T09:00:00.000Z",
        "updated_at": "2026-03-03T09:00:00.000Z",
        "merged_at": "2026-03-03T08:00:00.000Z",
        "closed_at": None,
        "target_branch": "main",
        "source_branch": "payments",
        "author": {"id": 2, "username": "ada", "name": "Ada"},
        "labels": ["backend", "hotfix"],
        "draft": False,
        "merge_commit_sha": None,
        "squash_commit_sha": "5" * 40,
        "changes_count": "3",
        "references": {"short": "!7", "relative": "!7", "full": "shop/api!7"},
        "web_url": "https://gitlab.example.com/shop/api/-/merge_requests/7",
    } | changes


def test_rest_merge_request() -> None:
    mr = merge_request_from_gitlab(rest_merge_request())

    assert mr.external_id == "gitlab:shop/api!7" and mr.repository == "shop/api"
    assert (mr.author, mr.state) == ("ada", "merged")
    assert mr.merged_at == utc(2026, 3, 3, 8)
    assert mr.merge_commit_sha == "5" * 40  # the squash commit
    assert mr.changed_files == 3 and mr.additions is None
    assert mr.labels == ("backend", "hotfix")
    assert (
        merge_request_from_gitlab(rest_merge_request(changes_count="1000+")).changed_files is None
    )
    with_merge = rest_merge_request(merge_commit_sha="6" * 40)
    assert merge_request_from_gitlab(with_merge).merge_commit_sha == "5" * 40  # the squash
    plain_merge = rest_merge_request(merge_commit_sha="6" * 40, squash_commit_sha=None)
    assert merge_request_from_gitlab(plain_merge).merge_commit_sha == "6" * 40


def test_an_open_merge_request_webhook_has_no_merge() -> None:
    mr = merge_request_from_gitlab(hook("merge_request")["object_attributes"])

    assert (mr.state, mr.merged_at, mr.merge_commit_sha, mr.closed_at) == ("open", None, None, None)
    assert merge_deployment(mr, "production") is None


@pytest.mark.parametrize(
    "changes",
    [
        {"state": "closed", "closed_at": "2026-03-03T08:00:00.000Z"},
        {"state": "opened", "merged_at": None},
        {"state": "locked"},
    ],
)
def test_a_closed_or_open_merge_request_never_counts_as_merged(changes: dict[str, Any]) -> None:
    # The REST example still carries its merge time and squash sha: they must not make a merge.
    mr = merge_request_from_gitlab(rest_merge_request(**changes))

    assert mr.state == ("closed" if changes["state"] == "closed" else "open")
    assert mr.merged_at is None and mr.merge_commit_sha is None
    assert merge_deployment(mr, "production") is None


def test_a_merged_webhook_without_merge_time_uses_its_last_update() -> None:
    attributes = hook("merge_request")["object_attributes"] | {"state": "merged"}
    mr = merge_request_from_gitlab(attributes)
    assert mr.merged_at == mr.updated_at == utc(2013, 12, 3, 17, 23, 34)


# --- notes, approvals, commits ---------------------------------------------------------------


def test_merge_request_note_webhook_is_a_review_comment() -> None:
    body = hook("note_merge_request")
    owner = "gitlab:gitlab-org/gitlab-test!1"
    review = note_from_gitlab(body["object_attributes"], owner, author=body["user"]["username"])

    assert review is not None
    assert review.external_id == f"{owner}/note/1244"
    assert (review.reviewer, review.state) == ("root", ReviewState.COMMENTED)
    assert review.submitted_at == utc(2015, 5, 17, 18, 21, 36)


@pytest.mark.parametrize("name", ["note_commit", "note_issue", "note_snippet"])
def test_notes_on_anything_but_a_merge_request_are_not_reviews(name: str) -> None:
    assert note_from_gitlab(hook(name)["object_attributes"], "gitlab:x!1") is None


def test_rest_notes_approvals_and_other_system_notes() -> None:
    def note(body: str, system: bool) -> dict[str, Any]:
        return {
            "id": 9,
            "body": body,
            "author": {"username": "grace"},
            "created_at": "2026-03-02T10:00:00.000Z",
            "system": system,
            "noteable_type": "MergeRequest",
        }

    approved = note_from_gitlab(note("approved this merge request", True), "gitlab:a/b!1")
    assert approved is not None and approved.state is ReviewState.APPROVED
    assert approved.reviewer == "grace"
    withdrawn = note_from_gitlab(note("unapproved this merge request", True), "gitlab:a/b!1")
    assert withdrawn is not None and withdrawn.state is ReviewState.DISMISSED
    assert note_from_gitlab(note("added 1 commit", True), "gitlab:a/b!1") is None
    comment = note_from_gitlab(note("LGTM", False), "gitlab:a/b!1")
    assert comment is not None and comment.state is ReviewState.COMMENTED


def test_approval_webhook() -> None:
    body = hook("merge_request")
    review = approval_from_gitlab(body["object_attributes"], body["user"])
    assert review.pull_request == "gitlab:awesome_space/awesome_project!1"
    assert (review.reviewer, review.state) == ("user1", ReviewState.APPROVED)
    assert review.external_id.endswith("/approval/user1/20131203T172334000000Z")


def test_commits_from_push_and_merge_request_webhooks() -> None:
    for raw in hook("push")["commits"]:
        commit = merge_request_commit_from_gitlab(raw, "gitlab:a/b!1")
        assert commit.sha == raw["id"]
    first = merge_request_commit_from_gitlab(hook("push")["commits"][0], "gitlab:a/b!1")
    assert first.author_time == utc(2011, 12, 12, 12, 27, 31)  # +02:00 to UTC
    last = hook("merge_request")["object_attributes"]["last_commit"]
    assert merge_request_commit_from_gitlab(last, "x").subject == "MR Title"


def test_rest_repository_commit_with_parents() -> None:
    raw = {
        "id": "c" * 40,
        "short_id": "ccccccc",
        "title": 'Revert "Add payments"',
        "message": 'Revert "Add payments"\n\nThis reverts commit ' + "a" * 40 + ".\n",
        "author_name": "Ada",
        "author_email": "ada@example.com",
        "authored_date": "2026-03-02T09:00:00.000+01:00",
        "committed_date": "2026-03-02T09:30:00.000+01:00",
        "parent_ids": ["b" * 40],
    }
    commit = commit_from_gitlab(raw, "shop/api")
    assert commit.parents == ("b" * 40,) and commit.reverts == "a" * 40
    assert commit.author_time == utc(2026, 3, 2, 8)
    assert commit.committer_time == utc(2026, 3, 2, 8, 30)
    with pytest.raises(InvalidInput, match="missing field 'parent_ids'"):
        commit_from_gitlab(raw | {"parent_ids": None}, "shop/api")


# --- pipelines -------------------------------------------------------------------------------


def test_pipeline_webhook() -> None:
    body = hook("pipeline")
    run = pipeline_run_from_gitlab(
        body["object_attributes"], body["project"]["path_with_namespace"]
    )

    assert run.external_id == "gitlab:gitlab-org/gitlab-test/pipelines/31"
    assert run.outcome is PipelineOutcome.SUCCESS
    assert run.created_at == utc(2016, 8, 12, 15, 23, 28)
    assert run.started_at == run.created_at + timedelta(seconds=12)  # queued_duration
    assert run.finished_at == utc(2016, 8, 12, 15, 26, 29)
    assert (run.branch, run.event, run.attempt) == ("master", "merge_request_event", 1)


def test_rest_pipelines_in_progress_and_failed() -> None:
    raw = {
        "id": 46,
        "iid": 11,
        "project_id": 1,
        "status": "running",
        "ref": "main",
        "sha": "a" * 40,
        "source": "push",
        "created_at": "2026-03-02T09:00:00.000Z",
        "updated_at": "2026-03-02T09:05:00.000Z",
        "started_at": "2026-03-02T09:01:00.000Z",
        "finished_at": None,
        "web_url": "https://gitlab.example.com/shop/api/-/pipelines/46",
    }
    running = pipeline_run_from_gitlab(raw, "shop/api")
    assert running.outcome is PipelineOutcome.IN_PROGRESS and running.finished_at is None
    assert running.started_at == utc(2026, 3, 2, 9, 1)
    failed = pipeline_run_from_gitlab(
        raw | {"status": "failed", "finished_at": raw["updated_at"]}, "x"
    )
    assert failed.outcome is PipelineOutcome.FAILURE
    assert failed.finished_at == utc(2026, 3, 2, 9, 5)


# --- deployments and releases ----------------------------------------------------------------


def test_deployment_webhook_takes_the_full_sha_from_the_commit_url() -> None:
    deployment = deployment_from_gitlab(hook("deployment"))

    assert deployment.repository == "root/test-deployment-webhooks"
    assert deployment.external_id == "gitlab:root/test-deployment-webhooks/deployments/15"
    assert deployment.sha == "279484c09fbe69ededfced8c1bb6e6d24616b468"
    assert deployment.environment == "staging" and deployment.ref == "1.0.0"
    assert deployment.status is DeploymentStatus.SUCCESS
    assert deployment.finished_at == utc(2021, 4, 28, 19, 50)  # 21:50 +0200
    short = hook("deployment") | {"commit_url": "http://x/-/commit/279484c0"}
    assert deployment_from_gitlab(short).sha == "279484c0"


def test_rest_deployment() -> None:
    raw = {
        "id": 42,
        "iid": 2,
        "ref": "main",
        "sha": "a" * 40,
        "created_at": "2026-03-02T09:00:00.000Z",
        "updated_at": "2026-03-02T09:10:00.000Z",
        "status": "failed",
        "environment": {"id": 9, "name": "production"},
        "deployable": {
            "started_at": "2026-03-02T09:01:00.000Z",
            "finished_at": "2026-03-02T09:08:00.000Z",
        },
    }
    deployment = deployment_from_gitlab(raw, "shop/api", "shop")
    assert deployment.external_id == "gitlab:shop/api/deployments/42"
    assert (deployment.environment, deployment.service) == ("production", "shop")
    assert deployment.status is DeploymentStatus.FAILURE
    assert deployment.started_at == utc(2026, 3, 2, 9, 1)
    assert deployment.finished_at == utc(2026, 3, 2, 9, 8)
    running = deployment_from_gitlab(raw | {"status": "running", "deployable": None}, "shop/api")
    assert running.status is DeploymentStatus.IN_PROGRESS


def test_release_webhook_and_rest_release() -> None:
    deployment = deployment_from_gitlab_release(hook("release"), "production")
    assert deployment is not None
    assert deployment.external_id == "gitlab:exm-namespace/example-project/releases/1.0.0"
    assert deployment.sha == "2626dbdb936782b5c54816b1c6d45b1279303c6d"
    assert deployment.finished_at == utc(2021, 2, 25, 21, 23, 34)
    rest = {
        "tag_name": "v2.0",
        "name": "v2.0",
        "created_at": "2026-03-02T09:00:00.000Z",
        "released_at": "2026-03-02T10:00:00.000Z",
        "commit": {"id": "b" * 40},
        "upcoming_release": False,
    }
    released = deployment_from_gitlab_release(rest, "production", "shop/api")
    assert released is not None and released.external_id == "gitlab:shop/api/releases/v2.0"
    assert released.finished_at == utc(2026, 3, 2, 10)
    upcoming = rest | {"upcoming_release": True}
    assert deployment_from_gitlab_release(upcoming, "production", "shop/api") is None


# --- incidents -------------------------------------------------------------------------------


def test_issue_webhook_is_an_incident_when_labelled() -> None:
    attributes = hook("issue")["object_attributes"]
    assert incident_from_gitlab(attributes, IncidentRules(), "diaspora/diaspora") is None
    incident = incident_from_gitlab(attributes, IncidentRules(labels=("api",)), "diaspora/x")

    assert incident is not None
    assert incident.external_id == "gitlab:diaspora/x/issues/23"
    assert incident.severity == "high"  # GitLab's own severity field
    assert incident.resolved_at is None  # opened
    assert incident.started_at == utc(2013, 12, 3, 17, 15, 43)


def test_rest_incident_issue_type_counts_without_labels() -> None:
    raw = {
        "iid": 5,
        "title": "Checkout down",
        "state": "closed",
        "created_at": "2026-03-02T09:00:00.000Z",
        "closed_at": "2026-03-02T11:00:00.000Z",
        "labels": ["severity::critical", "not-change-caused"],
        "issue_type": "incident",
        "references": {"full": "shop/api#5"},
    }
    incident = incident_from_gitlab(raw, IncidentRules(labels=()))
    assert incident is not None
    assert incident.external_id == "gitlab:shop/api/issues/5"
    assert incident.resolved_at == utc(2026, 3, 2, 11)
    assert incident.severity == "critical" and incident.change_caused is False
    assert incident_from_gitlab(raw | {"issue_type": "issue"}, IncidentRules(labels=())) is None
