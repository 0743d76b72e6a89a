"""GitHub's JSON objects (REST responses and the same objects inside webhooks) -> model objects.

Pure functions: each takes one object as GitHub sends it, plus the repository ("owner/name")
where the object does not name it, and raises InvalidInput naming the missing field. External
ids are stable, so the API sync and webhooks write the same records:

    pull request        github:<owner>/<repo>#<number>
    review              github:<owner>/<repo>#<number>/review/<id>
    deployment          github:<owner>/<repo>/deployments/<id>
    workflow run        github:<owner>/<repo>/actions/runs/<id>/attempts/<attempt>
    run as deployment   github:<owner>/<repo>/actions/runs/<id>
    release             github:<owner>/<repo>/releases/<id>
    tag                 github:<owner>/<repo>/tags/<name>
    merge to a branch   github:<owner>/<repo>/merges/<number>
    issue (incident)    github:<owner>/<repo>/issues/<number>
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
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

SOURCE = "github"
GHOST = "ghost"  # GitHub's name for a deleted account

_REVIEW_STATES = {
    "approved": ReviewState.APPROVED,
    "changes_requested": ReviewState.CHANGES_REQUESTED,
    "commented": ReviewState.COMMENTED,
    "dismissed": ReviewState.DISMISSED,
}
# Deployment status states; "inactive" is set on a successful deployment once a newer one
# replaces it, so it means the deployment had succeeded.
_DEPLOYMENT_STATES = {
    "success": DeploymentStatus.SUCCESS,
    "inactive": DeploymentStatus.SUCCESS,
    "failure": DeploymentStatus.FAILURE,
    "error": DeploymentStatus.FAILURE,
}
_FINAL_DEPLOYMENT_STATES = ("success", "failure", "error")
_RUN_CONCLUSIONS = {
    "success": PipelineOutcome.SUCCESS,
    "failure": PipelineOutcome.FAILURE,
    "timed_out": PipelineOutcome.FAILURE,
    "startup_failure": PipelineOutcome.FAILURE,
    "cancelled": PipelineOutcome.CANCELLED,
    "stale": PipelineOutcome.CANCELLED,
    "action_required": PipelineOutcome.CANCELLED,
    "skipped": PipelineOutcome.SKIPPED,
    "neutral": PipelineOutcome.SKIPPED,
}
_RUN_DEPLOYMENT_STATUS = {
    PipelineOutcome.SUCCESS: DeploymentStatus.SUCCESS,
    PipelineOutcome.FAILURE: DeploymentStatus.FAILURE,
    PipelineOutcome.CANCELLED: DeploymentStatus.CANCELLED,
    PipelineOutcome.SKIPPED: DeploymentStatus.CANCELLED,
    PipelineOutcome.IN_PROGRESS: DeploymentStatus.IN_PROGRESS,
}


def pull_request_id(repository: str, number: int) -> str:
    """The external id of a pull request."""
    return f"{SOURCE}:{repository}#{number}"


def login(user: Any) -> str:
    """An account's login; a deleted account (null) is GitHub's "ghost"."""
    if isinstance(user, Mapping) and isinstance(user.get("login"), str):
        return str(user["login"])
    return GHOST


def pull_request_from_github(obj: Mapping[str, Any], repository: str | None = None) -> PullRequest:
    """A pull request object (REST list or get, `pull_request` of webhooks).

    The REST object does not say when a draft became ready: `ready_at` stays None here (the
    GraphQL source and the ready_for_review webhook know it). List responses carry no size.
    """
    pr = Fields(obj, "GitHub pull request")
    name = repository or pr.text("base.repo.full_name")
    number = pr.integer("number")
    merged_at = pr.optional_instant("merged_at")
    created_at = pr.instant("created_at")
    return PullRequest(
        repository=name,
        number=number,
        external_id=pull_request_id(name, number),
        source=SOURCE,
        title=pr.get("title", ""),
        author=login(pr.get("user")),
        created_at=created_at,
        state="merged" if merged_at else pr.text("state"),
        draft=bool(pr.get("draft", False)),
        merged_at=merged_at,
        closed_at=pr.optional_instant("closed_at"),
        # Unmerged pull requests carry the sha of a test merge that never lands anywhere.
        merge_commit_sha=pr.get("merge_commit_sha") if merged_at else None,
        base_branch=pr.get("base.ref"),
        head_branch=pr.get("head.ref"),
        additions=pr.optional_integer("additions"),
        deletions=pr.optional_integer("deletions"),
        changed_files=pr.optional_integer("changed_files"),
        labels=label_names(pr.get("labels")),
        url=pr.get("html_url"),
        updated_at=pr.optional_instant("updated_at"),
    )


def review_from_github(obj: Mapping[str, Any], pull_request: str) -> Review | None:
    """A review object; None for a pending review (not submitted, so not seen by the author)."""
    review = Fields(obj, "GitHub review")
    state = review.text("state").lower()
    if state == "pending":
        return None
    if state not in _REVIEW_STATES:
        raise InvalidInput(f"GitHub review: unknown state {state!r}")
    return Review(
        pull_request=pull_request,
        external_id=f"{pull_request}/review/{review.text('id')}",
        source=SOURCE,
        reviewer=login(review.get("user")),
        state=_REVIEW_STATES[state],
        submitted_at=review.instant("submitted_at"),
    )


def pull_request_commit_from_github(obj: Mapping[str, Any], pull_request: str) -> PullRequestCommit:
    """A commit of a pull request: the REST commit object, or the short form webhooks embed
    (`id`, `message`, `timestamp`)."""
    commit = Fields(obj, "GitHub commit")
    if commit.get("commit") is not None:
        return PullRequestCommit(
            pull_request=pull_request,
            sha=commit.text("sha"),
            author_time=commit.first_instant("commit.author.date", "commit.committer.date"),
            subject=first_line(commit.get("commit.message", "")),
        )
    return PullRequestCommit(
        pull_request=pull_request,
        sha=commit.text("id"),
        author_time=commit.instant("timestamp"),
        subject=first_line(commit.get("message", "")),
    )


def commit_from_github(obj: Mapping[str, Any], repository: str) -> Commit:
    """A REST commit object with its parents, for the commit graph attribution walks."""
    commit = Fields(obj, "GitHub commit")
    parents = commit.require("parents")
    if not isinstance(parents, list):
        raise InvalidInput("GitHub commit: field 'parents' must be a list")
    message = commit.get("commit.message", "")
    return Commit(
        repository=repository,
        sha=commit.text("sha"),
        parents=tuple(Fields(parent, "GitHub commit parent").text("sha") for parent in parents),
        author_name=commit.get("commit.author.name", ""),
        author_email=commit.get("commit.author.email", ""),
        author_time=commit.instant("commit.author.date"),
        committer_time=commit.first_instant("commit.committer.date", "commit.author.date"),
        subject=first_line(message),
        reverts=revert_target(message),
    )


def decisive_status(statuses: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The status that settles a deployment: its latest success, failure or error, else its
    latest status of any kind (still pending or in progress); None when it has none."""
    ordered = sorted(statuses, key=lambda status: str(status.get("created_at", "")))
    final = [status for status in ordered if status.get("state") in _FINAL_DEPLOYMENT_STATES]
    chosen = final or ordered
    return chosen[-1] if chosen else None


def deployment_from_github(
    deployment: Mapping[str, Any],
    status: Mapping[str, Any] | None,
    repository: str,
    service: str | None = None,
) -> Deployment:
    """A Deployments API deployment with the status that settles it (see decisive_status).

    Without a status it is still in progress (finished_at is then its creation, a
    placeholder that the next status replaces).
    """
    fields = Fields(deployment, "GitHub deployment")
    created = fields.instant("created_at")
    state, finished, environment = "pending", created, None
    if status is not None:
        settled = Fields(status, "GitHub deployment status")
        state = settled.text("state").lower()
        finished = settled.instant("created_at")
        environment = settled.get("environment")
    return Deployment(
        service=service or repository,
        environment=environment or fields.text("environment"),
        sha=fields.text("sha"),
        finished_at=finished,
        external_id=f"{SOURCE}:{repository}/deployments/{fields.text('id')}",
        source=SOURCE,
        repository=repository,
        started_at=created,
        status=_DEPLOYMENT_STATES.get(state, DeploymentStatus.IN_PROGRESS),
        ref=fields.get("ref"),
    )


def pipeline_run_from_github(obj: Mapping[str, Any], repository: str | None = None) -> PipelineRun:
    """A workflow run (REST list or `workflow_run` of webhooks), one record per attempt."""
    run = Fields(obj, "GitHub workflow run")
    name = repository or run.text("repository.full_name")
    attempt = run.optional_integer("run_attempt") or 1
    return PipelineRun(
        repository=name,
        external_id=f"{SOURCE}:{name}/actions/runs/{run.text('id')}/attempts/{attempt}",
        source=SOURCE,
        name=workflow_name(obj),
        sha=run.text("head_sha"),
        outcome=run_outcome(obj),
        created_at=run.instant("created_at"),
        branch=run.get("head_branch"),
        event=run.get("event"),
        attempt=attempt,
        started_at=run.optional_instant("run_started_at"),
        finished_at=run.instant("updated_at") if run.get("status") == "completed" else None,
        url=run.get("html_url"),
    )


def workflow_name(obj: Mapping[str, Any]) -> str:
    """A run's workflow name; older payloads lack it, then the file path or workflow id."""
    run = Fields(obj, "GitHub workflow run")
    return str(run.get("name") or run.get("path") or f"workflow {run.text('workflow_id')}")


def run_outcome(obj: Mapping[str, Any]) -> PipelineOutcome:
    run = Fields(obj, "GitHub workflow run")
    if run.get("status") != "completed":
        return PipelineOutcome.IN_PROGRESS
    conclusion = run.text("conclusion")
    if conclusion not in _RUN_CONCLUSIONS:
        raise InvalidInput(f"GitHub workflow run: unknown conclusion {conclusion!r}")
    return _RUN_CONCLUSIONS[conclusion]


def deployment_from_github_run(
    obj: Mapping[str, Any], repository: str, environment: str, service: str | None = None
) -> Deployment:
    """A workflow run that deploys (its name matched the service's deployment definition).

    One deployment per run: a re-run updates it, so a failed attempt followed by a successful
    re-run is one successful deployment, finished when the last attempt finished.
    """
    run = Fields(obj, "GitHub workflow run")
    return Deployment(
        service=service or repository,
        environment=environment,
        sha=run.text("head_sha"),
        finished_at=run.instant("updated_at"),
        external_id=f"{SOURCE}:{repository}/actions/runs/{run.text('id')}",
        source=SOURCE,
        repository=repository,
        started_at=run.first_instant("run_started_at", "created_at"),
        status=_RUN_DEPLOYMENT_STATUS[run_outcome(obj)],
        ref=run.get("head_branch"),
    )


def deployment_from_github_release(
    obj: Mapping[str, Any],
    sha: str,
    repository: str,
    environment: str,
    service: str | None = None,
) -> Deployment | None:
    """A published release (REST or webhook object) of the commit `sha` its tag points at.

    Drafts and pre-releases are not deployments: None.
    """
    release = Fields(obj, "GitHub release")
    if release.get("draft") or release.get("prerelease"):
        return None
    return Deployment(
        service=service or repository,
        environment=environment,
        sha=sha,
        finished_at=release.first_instant("published_at", "created_at"),
        external_id=f"{SOURCE}:{repository}/releases/{release.text('id')}",
        source=SOURCE,
        repository=repository,
        ref=release.text("tag_name"),
    )


def deployment_from_github_tag(
    name: str,
    sha: str,
    tagged_at: datetime,
    repository: str,
    environment: str,
    service: str | None = None,
) -> Deployment:
    """A tag that marks a deployment, finished when it was tagged."""
    return Deployment(
        service=service or repository,
        environment=environment,
        sha=sha,
        finished_at=tagged_at,
        external_id=f"{SOURCE}:{repository}/tags/{name}",
        source=SOURCE,
        repository=repository,
        ref=name,
    )


def incident_from_github(
    obj: Mapping[str, Any],
    rules: IncidentRules,
    repository: str | None = None,
    service: str | None = None,
) -> Incident | None:
    """An issue (REST or webhook object) labelled as an incident; None for other issues and
    for pull requests (the issues API lists both)."""
    issue = Fields(obj, "GitHub issue")
    labels = label_names(issue.get("labels"))
    if issue.get("pull_request") is not None or not rules.is_incident(labels):
        return None
    name = repository or _repository_of_issue(issue)
    return Incident(
        service=service or name,
        external_id=f"{SOURCE}:{name}/issues/{issue.integer('number')}",
        source=SOURCE,
        started_at=issue.instant("created_at"),
        resolved_at=issue.optional_instant("closed_at") if issue.get("state") == "closed" else None,
        title=issue.get("title", ""),
        severity=rules.severity(labels),
        change_caused=rules.change_caused(labels),
    )


def _repository_of_issue(issue: Fields) -> str:
    """owner/name from an issue's API url (https://api.github.com/repos/OWNER/NAME/issues/N)."""
    url = issue.text("repository_url") if issue.get("repository_url") else issue.text("url")
    parts = url.split("/repos/", 1)[-1].split("/")
    if len(parts) < 2:
        raise InvalidInput("GitHub issue: field 'repository_url' does not name a repository")
    return f"{parts[0]}/{parts[1]}"
