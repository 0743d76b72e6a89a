"""GitLab's JSON objects (REST responses and webhook bodies) -> model objects.

Pure functions like github_objects: one object in, one model object (or None when the object
is not of interest) out, InvalidInput naming the missing field. The repository is the project's
path ("group/subgroup/project"); where an object does not name it, the caller passes it.
External ids:

    merge request       gitlab:<path>!<iid>
    note / approval     gitlab:<path>!<iid>/note/<id>, .../approval/<user>/<UTC time>
    pipeline            gitlab:<path>/pipelines/<id>
    deployment          gitlab:<path>/deployments/<id>
    release             gitlab:<path>/releases/<tag>
    tag                 gitlab:<path>/tags/<name>
    merge to a branch   gitlab:<path>/merges/<iid>
    issue (incident)    gitlab:<path>/issues/<iid>
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from dorameter.errors import InvalidInput
from dorameter.model import (
    Commit,
    Deployment,
    DeploymentStatus,
    Incident,
    IncidentRules,
    PipelineOutcome,
    PipelineRun,
    PullRequest,
    PullRequestCommit,
    Review,
    ReviewState,
)
from dorameter.sources.fields import Fields, first_line, label_names
from dorameter.sources.git_log import revert_target

SOURCE = "gitlab"

_MR_STATES = {"opened": "open", "locked": "open", "closed": "closed", "merged": "merged"}
_MR_STATE_IDS = {1: "opened", 2: "closed", 3: "merged", 4: "locked"}  # webhooks may send only this
_PIPELINE_STATUSES = {
    "success": PipelineOutcome.SUCCESS,
    "failed": PipelineOutcome.FAILURE,
    "canceled": PipelineOutcome.CANCELLED,
    "canceling": PipelineOutcome.CANCELLED,
    "skipped": PipelineOutcome.SKIPPED,
}
_DEPLOYMENT_STATUSES = {
    "success": DeploymentStatus.SUCCESS,
    "failed": DeploymentStatus.FAILURE,
    "canceled": DeploymentStatus.CANCELLED,
    "skipped": DeploymentStatus.CANCELLED,
}
# System notes GitLab writes when someone approves or withdraws an approval.
_APPROVAL_NOTES = {
    "approved this merge request": ReviewState.APPROVED,
    "unapproved this merge request": ReviewState.DISMISSED,
}
_FULL_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def merge_request_id(repository: str, iid: int) -> str:
    """The external id of a merge request."""
    return f"{SOURCE}:{repository}!{iid}"


def _username(value: Any) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("username"), str):
        return str(value["username"])
    return None


def merge_request_from_gitlab(
    obj: Mapping[str, Any], repository: str | None = None, author: str | None = None
) -> PullRequest:
    """A merge request: the REST object, or `object_attributes` of a merge request webhook.

    Webhooks name the author only by id: pass `author` (the hook's `user` when it opened the
    merge request), else it is "user:<id>". They carry no merge time; a merged one's last
    update is its merge. GitLab's REST object has no line counts; `changes_count` gives files.
    A fast-forward rebase has no merge commit at all: its commits are found by author time and
    subject (store/pr_links.py).
    """
    mr = Fields(obj, "GitLab merge request")
    name = repository or _project_path(mr)
    iid = mr.integer("iid")
    state = _MR_STATES.get(mr.get("state") or _MR_STATE_IDS.get(mr.get("state_id"), ""))
    if state is None:
        raise InvalidInput("GitLab merge request: missing field 'state'")
    # Only a merged merge request has a merge: a closed one never counts as merged.
    merged_at = mr.optional_instant("merged_at") if state == "merged" else None
    if state == "merged" and merged_at is None:
        merged_at = mr.instant("updated_at")
    return PullRequest(
        repository=name,
        number=iid,
        external_id=merge_request_id(name, iid),
        source=SOURCE,
        title=mr.get("title", ""),
        author=_username(mr.get("author")) or author or f"user:{mr.text('author_id')}",
        created_at=mr.instant("created_at"),
        state=state,
        draft=bool(mr.get("draft") or mr.get("work_in_progress")),
        merged_at=merged_at,
        closed_at=mr.optional_instant("closed_at"),
        # A squash lands as its own commit (with a merge commit on top unless fast-forward):
        # the squash carries the changes, so lead time must find the merge request through it.
        merge_commit_sha=(mr.get("squash_commit_sha") or mr.get("merge_commit_sha"))
        if merged_at
        else None,
        base_branch=mr.get("target_branch"),
        head_branch=mr.get("source_branch"),
        changed_files=_count(mr.get("changes_count")),
        labels=label_names(mr.get("labels")),
        url=mr.get("web_url") or mr.get("url"),
        updated_at=mr.optional_instant("updated_at"),
    )


def _count(value: Any) -> int | None:
    """GitLab sends counts as text, "1000+" when it stopped counting: then unknown."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _project_path(fields: Fields) -> str:
    """The project's path from the places GitLab objects put it."""
    for path in ("target.path_with_namespace", "project.path_with_namespace"):
        if isinstance(found := fields.get(path), str):
            return found
    reference = fields.get("references.full")
    if isinstance(reference, str) and ("!" in reference or "#" in reference):
        return re.split(r"[!#]", reference)[0]
    raise InvalidInput(f"{fields.kind}: missing field 'references.full' (the project's path)")


def note_from_gitlab(
    obj: Mapping[str, Any], merge_request: str, author: str | None = None
) -> Review | None:
    """A merge request note as a review: a comment, or GitLab's approval system note.

    Other system notes ("added 1 commit") and notes on anything but a merge request are None.
    Webhook notes name the author by id: pass the hook's `user` as `author`.
    """
    note = Fields(obj, "GitLab note")
    if note.get("noteable_type", "MergeRequest") != "MergeRequest":
        return None
    state = ReviewState.COMMENTED
    if note.get("system"):
        body = str(note.get("body") or note.get("note") or "").strip().lower()
        if body not in _APPROVAL_NOTES:
            return None
        state = _APPROVAL_NOTES[body]
    reviewer = _username(note.get("author")) or author or f"user:{note.text('author_id')}"
    return Review(
        pull_request=merge_request,
        external_id=f"{merge_request}/note/{note.text('id')}",
        source=SOURCE,
        reviewer=reviewer,
        state=state,
        submitted_at=note.instant("created_at"),
    )


def approval_from_gitlab(
    merge_request: Mapping[str, Any], user: Mapping[str, Any], repository: str | None = None
) -> Review:
    """An "approved" merge request webhook: `object_attributes` and the approving `user`."""
    mr = Fields(merge_request, "GitLab merge request")
    name = repository or _project_path(mr)
    owner = merge_request_id(name, mr.integer("iid"))
    reviewer = Fields(user, "GitLab user").text("username")
    approved_at = mr.instant("updated_at")
    return Review(
        pull_request=owner,
        external_id=f"{owner}/approval/{reviewer}/{approved_at:%Y%m%dT%H%M%S%fZ}",
        source=SOURCE,
        reviewer=reviewer,
        state=ReviewState.APPROVED,
        submitted_at=approved_at,
    )


def merge_request_commit_from_gitlab(
    obj: Mapping[str, Any], merge_request: str
) -> PullRequestCommit:
    """A commit of a merge request (REST commit, or the `last_commit` of a webhook)."""
    commit = Fields(obj, "GitLab commit")
    return PullRequestCommit(
        pull_request=merge_request,
        sha=commit.text("id"),
        author_time=commit.first_instant("authored_date", "timestamp", "created_at"),
        subject=commit.get("title") or first_line(commit.get("message", "")),
    )


def commit_from_gitlab(obj: Mapping[str, Any], repository: str) -> Commit:
    """A REST repository commit with its parents, for the commit graph."""
    commit = Fields(obj, "GitLab commit")
    parents = commit.require("parent_ids")
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise InvalidInput("GitLab commit: field 'parent_ids' must be a list of shas")
    message = commit.get("message", "")
    return Commit(
        repository=repository,
        sha=commit.text("id"),
        parents=tuple(parents),
        author_name=commit.get("author_name", ""),
        author_email=commit.get("author_email", ""),
        author_time=commit.instant("authored_date"),
        committer_time=commit.first_instant("committed_date", "authored_date"),
        subject=commit.get("title") or first_line(message),
        reverts=revert_target(message),
    )


def pipeline_run_from_gitlab(obj: Mapping[str, Any], repository: str) -> PipelineRun:
    """A pipeline: the REST object, or `object_attributes` of a pipeline webhook.

    Lists carry no start and finish; a webhook gives durations, from which the start is the
    creation plus the queued time. A retried pipeline is a new pipeline: attempt stays 1.
    """
    pipeline = Fields(obj, "GitLab pipeline")
    created = pipeline.instant("created_at")
    status = pipeline.text("status")
    finished = pipeline.optional_instant("finished_at")
    started = pipeline.optional_instant("started_at")
    queued = pipeline.get("queued_duration")
    if started is None and isinstance(queued, int | float):
        started = created + timedelta(seconds=queued)
    return PipelineRun(
        repository=repository,
        external_id=f"{SOURCE}:{repository}/pipelines/{pipeline.text('id')}",
        source=SOURCE,
        name=str(pipeline.get("name") or pipeline.get("source") or "pipeline"),
        sha=pipeline.text("sha"),
        outcome=_PIPELINE_STATUSES.get(status, PipelineOutcome.IN_PROGRESS),
        created_at=created,
        branch=pipeline.get("ref"),
        event=pipeline.get("source"),
        started_at=started,
        finished_at=finished if status in _PIPELINE_STATUSES else None,
        url=pipeline.get("web_url") or pipeline.get("url"),
    )


def deployment_from_gitlab(
    obj: Mapping[str, Any], repository: str | None = None, service: str | None = None
) -> Deployment:
    """A deployment: the REST object, or a deployment webhook body.

    The webhook's short sha is completed from its commit_url, which ends with the full sha.
    """
    deployment = Fields(obj, "GitLab deployment")
    name = repository or _project_path(deployment)
    identifier = deployment.text("deployment_id" if "deployment_id" in obj else "id")
    status = deployment.text("status")
    environment = deployment.get("environment.name") or deployment.text("environment")
    return Deployment(
        service=service or name,
        environment=str(environment),
        sha=_deployment_sha(deployment),
        finished_at=deployment.first_instant(
            "deployable.finished_at", "status_changed_at", "updated_at", "created_at"
        ),
        external_id=f"{SOURCE}:{name}/deployments/{identifier}",
        source=SOURCE,
        repository=name,
        started_at=deployment.optional_instant("deployable.started_at")
        or deployment.optional_instant("created_at"),
        status=_DEPLOYMENT_STATUSES.get(status, DeploymentStatus.IN_PROGRESS),
        ref=deployment.get("ref"),
    )


def _deployment_sha(deployment: Fields) -> str:
    if isinstance(sha := deployment.get("sha"), str):
        return sha
    url = str(deployment.get("commit_url", ""))
    if _FULL_SHA.fullmatch(tail := url.rstrip("/").rsplit("/", 1)[-1]):
        return tail
    return deployment.text("short_sha")


def deployment_from_gitlab_release(
    obj: Mapping[str, Any],
    environment: str,
    repository: str | None = None,
    service: str | None = None,
) -> Deployment | None:
    """A release (REST or webhook) of the commit its tag names; an upcoming one is None."""
    release = Fields(obj, "GitLab release")
    if release.get("upcoming_release"):
        return None
    name = repository or _project_path(release)
    tag = release.text("tag_name" if "tag_name" in obj else "tag")
    return Deployment(
        service=service or name,
        environment=environment,
        sha=release.text("commit.id"),
        finished_at=release.first_instant("released_at", "created_at"),
        external_id=f"{SOURCE}:{name}/releases/{tag}",
        source=SOURCE,
        repository=name,
        ref=tag,
    )


def deployment_from_gitlab_tag(
    obj: Mapping[str, Any],
    environment: str,
    repository: str,
    service: str | None = None,
) -> Deployment:
    """A tag (REST repository tag, or a tag_push webhook's ref and checkout sha as
    {"name", "commit": {"id", "committed_date"}}) that marks a deployment: finished when it
    was tagged (an annotated tag's creation), else when its commit was committed."""
    tag = Fields(obj, "GitLab tag")
    name = tag.text("name")
    return Deployment(
        service=service or repository,
        environment=environment,
        sha=tag.text("commit.id"),
        finished_at=tag.first_instant("created_at", "commit.committed_date"),
        external_id=f"{SOURCE}:{repository}/tags/{name}",
        source=SOURCE,
        repository=repository,
        ref=name,
    )


def incident_from_gitlab(
    obj: Mapping[str, Any],
    rules: IncidentRules,
    repository: str | None = None,
    service: str | None = None,
) -> Incident | None:
    """An issue that is an incident (GitLab's incident type, or an incident label); the REST
    object or `object_attributes` of an issue webhook. Other issues are None."""
    issue = Fields(obj, "GitLab issue")
    labels = label_names(issue.get("labels"))
    kind = str(issue.get("issue_type") or issue.get("type") or "").lower()
    if kind != "incident" and not rules.is_incident(labels):
        return None
    name = repository or _project_path(issue)
    closed = issue.get("state") == "closed"
    return Incident(
        service=service or name,
        external_id=f"{SOURCE}:{name}/issues/{issue.integer('iid')}",
        source=SOURCE,
        started_at=issue.instant("created_at"),
        resolved_at=issue.first_instant("closed_at", "updated_at") if closed else None,
        title=issue.get("title", ""),
        severity=_severity(issue.get("severity")) or rules.severity(labels),
        change_caused=rules.change_caused(labels),
    )


def _severity(value: Any) -> str | None:
    """GitLab's own severity field; UNKNOWN says nothing."""
    if not isinstance(value, str) or value.lower() == "unknown":
        return None
    return value.lower()
