"""GitHub webhooks -> model objects, through the converters of github_objects (the payloads
embed the same objects the REST API returns).

    pull_request         the pull request (ready_for_review: ready_at is the event's time)
    pull_request_review  the review (a review may arrive before its pull request)
    deployment           the deployment, in progress
    deployment_status    the deployment with that status: complete on its own, so a status
                         that arrives before its deployment ends in the same state
    workflow_run         the CI run (one record per attempt)
    release              a published release of a known commit (`target_commitish` a sha)
                         is a production deployment
    issues               an issue with an incident label is an incident
    push                 nothing but the raw event (see docs/server.md: a push's commit list
                         has no parents and may be truncated; commits come from git)
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from dorameter.model import EventRecords, IncidentRules, ReviewState
from dorameter.sources import github_objects as objects
from dorameter.sources.fields import Fields
from dorameter.sources.json_fields import Json, obj, text

SOURCE = "github"
RELEASE_ENVIRONMENT = "production"
_FULL_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_PUSH = "push: commits are read from git (a push payload lacks parents and may be truncated)"


def parse(event: str, payload: Json, rules: IncidentRules) -> EventRecords:
    """What a GitHub delivery of type `event` (X-GitHub-Event) means."""
    if event == "push":
        return EventRecords(ignored=_PUSH)
    handler = _HANDLERS.get(event)
    if handler is None:
        return EventRecords(ignored=f"GitHub {event} events are not used")
    repository = text(payload, "repository.full_name", limit=400)
    return handler(payload, repository, rules)


def _pull_request(payload: Json, repository: str, _rules: IncidentRules) -> EventRecords:
    pull = objects.pull_request_from_github(obj(payload, "pull_request"), repository)
    if payload.get("action") == "ready_for_review":
        ready = Fields(payload, "GitHub pull_request event").optional_instant(
            "pull_request.updated_at"
        )
        pull = replace(pull, ready_at=ready or pull.updated_at)
    return EventRecords(pull_requests=(pull,))


def _review(payload: Json, repository: str, _rules: IncidentRules) -> EventRecords:
    number = Fields(payload, "GitHub pull_request_review event").integer("pull_request.number")
    owner = objects.pull_request_id(repository, number)
    review = objects.review_from_github(obj(payload, "review"), owner)
    if review is None:
        return EventRecords(ignored="a pending review (not submitted)")
    if payload.get("action") == "dismissed":
        review = replace(review, state=ReviewState.DISMISSED)
    return EventRecords(reviews=(review,))


def _deployment(payload: Json, repository: str, _rules: IncidentRules) -> EventRecords:
    found = objects.deployment_from_github(obj(payload, "deployment"), None, repository)
    return EventRecords(deployments=(replace(found, observed_at=found.started_at),))


def _deployment_status(payload: Json, repository: str, _rules: IncidentRules) -> EventRecords:
    status = obj(payload, "deployment_status")
    found = objects.deployment_from_github(obj(payload, "deployment"), status, repository)
    observed: datetime = Fields(status, "GitHub deployment status").instant("created_at")
    return EventRecords(deployments=(replace(found, observed_at=observed),))


def _workflow_run(payload: Json, repository: str, _rules: IncidentRules) -> EventRecords:
    return EventRecords(
        pipeline_runs=(objects.pipeline_run_from_github(obj(payload, "workflow_run"), repository),)
    )


def _release(payload: Json, repository: str, _rules: IncidentRules) -> EventRecords:
    if payload.get("action") not in ("published", "released", "edited"):
        return EventRecords(ignored=f"release {payload.get('action')} is not a deployment")
    release = obj(payload, "release")
    target = str(release.get("target_commitish") or "").lower()
    if not _FULL_SHA.match(target):
        return EventRecords(
            ignored="the release names a branch, not a commit: its tag's commit is unknown "
            "here (the API sync or git ingest reads it)"
        )
    found = objects.deployment_from_github_release(release, target, repository, RELEASE_ENVIRONMENT)
    if found is None:
        return EventRecords(ignored="a draft or pre-release is not a deployment")
    return EventRecords(deployments=(found,))


def _issue(payload: Json, repository: str, rules: IncidentRules) -> EventRecords:
    if payload.get("action") in ("deleted", "transferred"):
        return EventRecords(ignored=f"issue {payload.get('action')}")
    issue = obj(payload, "issue")
    found = objects.incident_from_github(issue, rules, repository)
    if found is None:
        return EventRecords(ignored="an issue without an incident label")
    fields = Fields(issue, "GitHub issue")
    observed = fields.optional_instant("updated_at") or found.resolved_at or found.started_at
    if found.resolved_at is not None:
        observed = max(observed, found.resolved_at)
    return EventRecords(incidents=(replace(found, observed_at=observed),))


_HANDLERS = {
    "pull_request": _pull_request,
    "pull_request_review": _review,
    "deployment": _deployment,
    "deployment_status": _deployment_status,
    "workflow_run": _workflow_run,
    "release": _release,
    "issues": _issue,
}
