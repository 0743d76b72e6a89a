"""GitLab webhooks -> model objects, through the converters of gitlab_objects.

merge_request   the merge request (with its last commit); "approved" also a review
note            a comment on a merge request is a review (other notes are not used)
pipeline        the CI run
deployment      the deployment with its status (complete on its own)
release         a release of the commit its tag names is a production deployment
issue           an incident (GitLab's incident type, or an incident label)
push, tag_push  nothing but the raw event (see docs/server.md)
"""

from __future__ import annotations

from dataclasses import replace

from dorameter.model import EventRecords, IncidentRules
from dorameter.sources import gitlab_objects as objects
from dorameter.sources.fields import Fields
from dorameter.sources.json_fields import Json, at, obj, text

SOURCE = "gitlab"
RELEASE_ENVIRONMENT = "production"
_PUSH = "push: commits are read from git (a push payload lacks parents and lists at most 20)"


def event_type(payload: Json, header: str | None) -> str:
    """The hook's kind: `object_kind` of the body (else the X-Gitlab-Event header)."""
    kind = at(payload, "object_kind") or at(payload, "event_name") or header
    return str(kind) if kind else "unknown"


def parse(event: str, payload: Json, rules: IncidentRules) -> EventRecords:
    """What a GitLab delivery of kind `event` means."""
    if event in ("push", "tag_push"):
        return EventRecords(ignored=_PUSH)
    handler = _HANDLERS.get(event)
    if handler is None:
        return EventRecords(ignored=f"GitLab {event} events are not used")
    repository = text(payload, "project.path_with_namespace", limit=400)
    return handler(payload, repository, rules)


def _user(payload: Json) -> str | None:
    name = at(payload, "user.username")
    return name if isinstance(name, str) and name else None


def _merge_request(payload: Json, repository: str, _rules: IncidentRules) -> EventRecords:
    attributes = obj(payload, "object_attributes")
    action = at(attributes, "action")
    author = _user(payload) if action == "open" else None
    merge_request = objects.merge_request_from_gitlab(attributes, repository, author)
    records = EventRecords(pull_requests=(merge_request,))
    last = at(attributes, "last_commit")
    if isinstance(last, dict):
        commit = objects.merge_request_commit_from_gitlab(last, merge_request.external_id)
        records = replace(records, pull_request_commits=(commit,))
    if action == "approved" and isinstance(payload.get("user"), dict):
        approval = objects.approval_from_gitlab(attributes, payload["user"], repository)
        records = replace(records, reviews=(approval,))
    return records


def _note(payload: Json, repository: str, _rules: IncidentRules) -> EventRecords:
    merge_request = at(payload, "merge_request.iid")
    if not isinstance(merge_request, int):
        return EventRecords(ignored="a note on something other than a merge request")
    owner = objects.merge_request_id(repository, merge_request)
    review = objects.note_from_gitlab(obj(payload, "object_attributes"), owner, _user(payload))
    if review is None:
        return EventRecords(ignored="a system note that is not an approval")
    return EventRecords(reviews=(review,))


def _pipeline(payload: Json, repository: str, _rules: IncidentRules) -> EventRecords:
    run = objects.pipeline_run_from_gitlab(obj(payload, "object_attributes"), repository)
    return EventRecords(pipeline_runs=(run,))


def _deployment(payload: Json, repository: str, _rules: IncidentRules) -> EventRecords:
    found = objects.deployment_from_gitlab(payload, repository)
    observed = Fields(payload, "GitLab deployment").optional_instant("status_changed_at")
    return EventRecords(deployments=(replace(found, observed_at=observed or found.finished_at),))


def _release(payload: Json, repository: str, _rules: IncidentRules) -> EventRecords:
    if at(payload, "action") not in (None, "create", "update"):
        return EventRecords(ignored=f"release {at(payload, 'action')} is not a deployment")
    found = objects.deployment_from_gitlab_release(payload, RELEASE_ENVIRONMENT, repository)
    if found is None:
        return EventRecords(ignored="an upcoming release is not a deployment yet")
    return EventRecords(deployments=(found,))


def _issue(payload: Json, repository: str, rules: IncidentRules) -> EventRecords:
    attributes = obj(payload, "object_attributes")
    found = objects.incident_from_gitlab(attributes, rules, repository)
    if found is None:
        return EventRecords(ignored="an issue that is not an incident")
    updated = Fields(attributes, "GitLab issue").optional_instant("updated_at")
    observed = max(updated or found.started_at, found.resolved_at or found.started_at)
    return EventRecords(incidents=(replace(found, observed_at=observed),))


_HANDLERS = {
    "merge_request": _merge_request,
    "note": _note,
    "pipeline": _pipeline,
    "deployment": _deployment,
    "release": _release,
    "issue": _issue,
}
