"""CDEvents (spec v0.3 to v0.5) -> model objects, as plain JSON or CloudEvents.

Accepted as a plain CDEvent, a CloudEvent in structured mode (`specversion` and `data` in the
body) or in binary mode (`ce-*` headers, the CDEvent as the body). Spec v0.5 events are
validated against the specification's JSON Schemas (shipped in cdevents_schemas/); earlier ones,
whose context says `version` instead of `specversion`, are checked for the fields we read.

    service.deployed / .upgraded     a successful deployment of service `subject.id`
    service.rolledback               the same, flagged as a rollback
    incident.detected / .reported    an incident opens (service: content.service.id)
    incident.resolved                it is resolved
    change.created / .merged         a pull request opens / merges
    pipelinerun.finished             a CI run ends
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from dorameter.errors import InvalidInput
from dorameter.model import (
    Deployment,
    EventRecords,
    Incident,
    PipelineOutcome,
    PipelineRun,
    PullRequest,
)
from dorameter.sources.json_fields import Json, at, instant, obj, text

SOURCE = "cdevents"
_TYPE = re.compile(r"^dev\.cdevents\.([a-z]+)\.([a-z]+)\.(\d+)\.(\d+)\.(\d+)(?:-.+)?$")
_SCHEMAS = {
    "service.deployed": "servicedeployed",
    "service.upgraded": "serviceupgraded",
    "service.rolledback": "servicerolledback",
    "incident.detected": "incidentdetected",
    "incident.reported": "incidentreported",
    "incident.resolved": "incidentresolved",
    "change.created": "changecreated",
    "change.merged": "changemerged",
    "pipelinerun.finished": "pipelinerunfinished",
}
_OUTCOMES = {
    "success": PipelineOutcome.SUCCESS,
    "failure": PipelineOutcome.FAILURE,
    "error": PipelineOutcome.FAILURE,
    "cancel": PipelineOutcome.CANCELLED,
    "cancelled": PipelineOutcome.CANCELLED,
}
_HEX = re.compile(r"^[0-9a-f]{7,64}$")


def unwrap(headers: Mapping[str, str], payload: Json) -> Json:
    """The CDEvent inside a request: the body itself, or a structured CloudEvent's data."""
    if "context" in payload or headers.get("ce-specversion"):
        return payload
    if "specversion" in payload:
        if "data" in payload:
            data = payload["data"]
        elif "data_base64" in payload:
            data = _decode_base64(payload["data_base64"])
        else:
            raise InvalidInput("the CloudEvent has no data (the CDEvent)")
        if not isinstance(data, dict):
            raise InvalidInput("the CloudEvent's data must be a CDEvent (a JSON object)")
        return data
    raise InvalidInput("not a CDEvent: missing field context")


def _decode_base64(value: Any) -> Any:
    try:
        return json.loads(base64.b64decode(str(value), validate=True))
    except (binascii.Error, ValueError):
        raise InvalidInput("data_base64 is not base64-encoded JSON") from None


def event_type(cdevent: Json) -> str:
    """`subject.predicate` of a CDEvent ('unknown' when it has no readable type)."""
    match = _TYPE.match(str(at(cdevent, "context.type") or ""))
    return f"{match.group(1)}.{match.group(2)}" if match else "unknown"


def delivery_id(headers: Mapping[str, str], payload: Json, cdevent: Json) -> str:
    """The identity CloudEvents defines, source and id (of the envelope when there is one),
    with the event type: a redelivery has the same, and producers that reuse an id for
    events of different types (the conformance files do) still get each one stored."""
    kind = event_type(cdevent)
    if headers.get("ce-id"):
        return f"{kind}:{headers.get('ce-source', '')}#{headers['ce-id']}"
    if "specversion" in payload and "context" not in payload:
        return f"{kind}:{text(payload, 'source', limit=1000)}#{text(payload, 'id', limit=1000)}"
    return f"{kind}:{_context_id(cdevent)}"


def parse(cdevent: Json) -> EventRecords:
    """What a CDEvent means for delivery metrics; validated first."""
    raw_type = text(cdevent, "context.type", limit=200)
    match = _TYPE.match(raw_type)
    if not match:
        raise InvalidInput(f"context.type {raw_type!r} is not a CDEvents type (dev.cdevents....)")
    kind = f"{match.group(1)}.{match.group(2)}"
    if kind not in _SCHEMAS:
        return EventRecords(ignored=f"CDEvents {kind} is not used")
    _validate(cdevent, kind)
    subject, content = obj(cdevent, "subject"), obj(cdevent, "subject.content")
    moment = instant(cdevent, "context.timestamp")
    family = match.group(1)
    if family == "service":
        return EventRecords(deployments=(_deployment(cdevent, kind, subject, content, moment),))
    if family == "incident":
        return EventRecords(incidents=(_incident(cdevent, kind, subject, content, moment),))
    if family == "change":
        return EventRecords(pull_requests=(_change(kind, subject, content, moment),))
    return EventRecords(pipeline_runs=(_pipeline_run(cdevent, subject, content, moment),))


def _validate(cdevent: Json, kind: str) -> None:
    if at(cdevent, "context.specversion") is None:
        _check_legacy(cdevent)
        return
    version = str(at(cdevent, "context.specversion"))
    if not version.startswith("0.5"):
        _check_legacy(cdevent)
        return
    schema_type = _pinned_type(kind)
    # The schema pins one version of the event type; any 0.x version of it has this shape.
    checked = {**cdevent, "context": {**obj(cdevent, "context"), "type": schema_type}}
    error = next(iter(sorted(_validator(kind).iter_errors(checked), key=str)), None)
    if error is not None:
        where = ".".join(str(part) for part in error.absolute_path) or "the event"
        raise InvalidInput(f"not a valid CDEvents {kind} event: {where}: {error.message}")


def _check_legacy(cdevent: Json) -> None:
    """Events before spec v0.5 (context.version): the fields we read must be there."""
    version = at(cdevent, "context.version") or at(cdevent, "context.specversion")
    if not isinstance(version, str) or not version.startswith(("0.3", "0.4", "0.5")):
        raise InvalidInput("context.specversion (or context.version before v0.5) must be 0.3-0.5")
    for path in ("context.id", "context.source", "subject.id"):
        text(cdevent, path, limit=1000)
    obj(cdevent, "subject.content")


@cache
def _pinned_type(kind: str) -> str:
    schema: Any = _validator(kind).schema
    return str(schema["properties"]["context"]["properties"]["type"]["enum"][0])


@cache
def _validator(kind: str) -> Draft202012Validator:
    folder = resources.files("dorameter.sources") / "cdevents_schemas"
    registry: Registry[Any] = Registry()
    for link in (folder / "links").iterdir():
        if link.name.endswith(".json"):
            resource = Resource.from_contents(json.loads(link.read_text()))
            registry = registry.with_resource(str(resource.id()), resource)
    schema = json.loads((folder / f"{_SCHEMAS[kind]}.json").read_text())
    registry = registry.with_resource(schema["$id"], Resource.from_contents(schema))
    return Draft202012Validator(schema, registry=registry)


def _deployment(
    cdevent: Json, kind: str, subject: Json, content: Json, moment: datetime
) -> Deployment:
    custom = _custom(cdevent)
    artifact = text(content, "artifactId", required=False, limit=2000)
    return Deployment(
        service=text(subject, "id", limit=400),
        environment=text(content, "environment.id", limit=200),
        sha=_version(custom, artifact),
        finished_at=moment,
        external_id=f"{SOURCE}:{kind}:{_context_id(cdevent)}",
        source=SOURCE,
        repository=text(custom, "repository", required=False, limit=400) or None,
        ref=artifact[:2000] or None,
        rollback=kind == "service.rolledback",
        observed_at=moment,
    )


def _version(custom: Json, artifact: str) -> str:
    """The commit deployed: customData.sha/commit, else the artifact's version (a git sha in a
    pkg:github/... purl, or the image digest), which then names no commit we know."""
    given = text(custom, "sha", required=False, limit=64) or text(
        custom, "commit", required=False, limit=64
    )
    if given:
        return given.lower()
    version = artifact.rpartition("@")[2].replace("%3A", ":").replace("%3a", ":")
    version = version.split("?")[0].split("#")[0].removeprefix("sha256:").lower()
    if _HEX.match(version):
        return version
    return (version or artifact or "unknown")[:64]


def _incident(cdevent: Json, kind: str, subject: Json, content: Json, moment: datetime) -> Incident:
    custom = _custom(cdevent)
    where = text(subject, "source", required=False, limit=300) or text(
        cdevent, "context.source", limit=300
    )
    severity = at(custom, "severity")
    return Incident(
        service=text(content, "service.id", required=False, limit=400)
        or text(custom, "service", required=False, limit=400)
        or SOURCE,
        external_id=f"{SOURCE}:{where}#{text(subject, 'id', limit=190)}",
        source=SOURCE,
        started_at=moment,
        resolved_at=moment if kind == "incident.resolved" else None,
        title=text(content, "description", required=False, limit=10_000),
        severity=severity[:50] if isinstance(severity, str) and severity else None,
        observed_at=moment,
    )


def _change(kind: str, subject: Json, content: Json, moment: datetime) -> PullRequest:
    repository = text(content, "repository.id", required=False, limit=400) or text(
        subject, "source", required=False, limit=400
    )
    change = text(subject, "id", limit=190)
    merged = kind == "change.merged"
    return PullRequest(
        repository=repository or SOURCE,
        number=int(change) if change.isdigit() and len(change) < 10 else 0,
        external_id=f"{SOURCE}:{repository}#{change}",
        source=SOURCE,
        title=text(content, "description", required=False, limit=10_000),
        author="",
        created_at=moment,
        state="merged" if merged else "open",
        merged_at=moment if merged else None,
        updated_at=moment,
    )


def _pipeline_run(cdevent: Json, subject: Json, content: Json, moment: datetime) -> PipelineRun:
    custom = _custom(cdevent)
    where = text(subject, "source", required=False, limit=300) or text(
        cdevent, "context.source", limit=300
    )
    outcome = text(content, "outcome", required=False, limit=50)
    return PipelineRun(
        repository=text(custom, "repository", required=False, limit=400) or where,
        external_id=f"{SOURCE}:{where}#{text(subject, 'id', limit=190)}",
        source=SOURCE,
        name=text(content, "pipelineName", required=False, limit=1000) or text(subject, "id"),
        sha=(text(custom, "sha", required=False, limit=64) or "").lower(),
        outcome=_OUTCOMES.get(
            outcome, PipelineOutcome.SUCCESS if not outcome else PipelineOutcome.FAILURE
        ),
        created_at=moment,
        finished_at=moment,
        url=text(content, "uri", required=False, limit=2000) or None,
    )


def _custom(cdevent: Json) -> Json:
    custom = at(cdevent, "customData")
    return custom if isinstance(custom, dict) else {}


def _context_id(cdevent: Json) -> str:
    return f"{text(cdevent, 'context.source', limit=280)}#{text(cdevent, 'context.id', limit=190)}"
