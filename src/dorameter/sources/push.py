"""The push API's JSON documents <-> model objects (`dorameter record --server` and the server).

The same fields as `dorameter record`; a record sent twice gets the same derived id, so a
pipeline that retries changes nothing.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from dorameter.errors import InvalidInput
from dorameter.model import Deployment, DeploymentStatus, Incident, Resolution
from dorameter.timestamps import parse_instant

Document = dict[str, Any]
_ID_LIMIT = 500
_NAME_LIMIT = 400


def derived_id(kind: str, *parts: str) -> str:
    """A stable id from the fields that identify a record given without one."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
    return f"{kind}:{digest}"


def deployment_id(service: str, environment: str, sha: str, finished_at: datetime) -> str:
    return derived_id("deployment", service, environment, sha, finished_at.isoformat())


def incident_id(service: str, started_at: datetime, title: str) -> str:
    return derived_id("incident", service, started_at.isoformat(), title)


def deployment_document(item: Deployment) -> Document:
    """The JSON the API takes for a deployment."""
    return {
        "id": item.external_id,
        "service": item.service,
        "sha": item.sha,
        "environment": item.environment,
        "finished_at": item.finished_at.isoformat(),
        "started_at": item.started_at.isoformat() if item.started_at else None,
        "status": item.status.value,
        "repository": item.repository,
        "rollback": item.rollback,
        "fixes": item.fixes,
    }


def incident_document(item: Incident) -> Document:
    """The JSON the API takes for an incident."""
    return {
        "id": item.external_id,
        "service": item.service,
        "started_at": item.started_at.isoformat(),
        "resolved_at": item.resolved_at.isoformat() if item.resolved_at else None,
        "title": item.title,
        "severity": item.severity,
        "caused_by_deployment": item.caused_by_deployment,
        "caused_by_sha": item.caused_by_sha,
        "change_caused": item.change_caused,
    }


def deployment_from_document(doc: Document, now: datetime | None = None) -> Deployment:
    """A deployment from the API's JSON; InvalidInput names the field that is wrong."""
    _only(doc, set(deployment_document(_SAMPLE_DEPLOYMENT)))
    service = _text(doc, "service", required=True, limit=_NAME_LIMIT)
    environment = _text(doc, "environment", limit=200) or "production"
    sha = _text(doc, "sha", required=True, limit=64).lower()
    finished = _time(doc, "finished_at") or now or datetime.now(UTC)
    started = _time(doc, "started_at")
    if started and started > finished:
        raise InvalidInput("started_at is after finished_at")
    status = _text(doc, "status") or DeploymentStatus.SUCCESS.value
    if status not in set(DeploymentStatus):
        choices = ", ".join(DeploymentStatus)
        raise InvalidInput(f"status: {status!r} is not one of {choices}")
    return Deployment(
        service=service,
        environment=environment,
        sha=sha,
        finished_at=finished,
        started_at=started,
        status=DeploymentStatus(status),
        external_id=_text(doc, "id", limit=_ID_LIMIT)
        or deployment_id(service, environment, sha, finished),
        source="api",
        repository=_text(doc, "repository", limit=_NAME_LIMIT) or service,
        rollback=_flag(doc, "rollback") or False,
        fixes=_text(doc, "fixes", limit=_ID_LIMIT) or None,
    )


def incident_from_document(doc: Document, now: datetime | None = None) -> Incident:
    """An incident from the API's JSON; InvalidInput names the field that is wrong."""
    _only(doc, set(incident_document(_SAMPLE_INCIDENT)))
    service = _text(doc, "service", required=True, limit=_NAME_LIMIT)
    started = _time(doc, "started_at") or now or datetime.now(UTC)
    resolved = _time(doc, "resolved_at")
    if resolved is not None and resolved < started:
        raise InvalidInput("resolved_at is before started_at")
    title = _text(doc, "title")
    caused_by_deployment = _text(doc, "caused_by_deployment", limit=_ID_LIMIT) or None
    caused_by_sha = _text(doc, "caused_by_sha", limit=64).lower() or None
    change_caused = _flag(doc, "change_caused")
    if change_caused is False and (caused_by_deployment or caused_by_sha):
        raise InvalidInput("change_caused false contradicts caused_by_...")
    return Incident(
        service=service,
        external_id=_text(doc, "id", limit=_ID_LIMIT) or incident_id(service, started, title),
        source="api",
        started_at=started,
        resolved_at=resolved,
        title=title,
        severity=_text(doc, "severity", limit=50) or None,
        caused_by_deployment=caused_by_deployment,
        caused_by_sha=caused_by_sha,
        change_caused=change_caused,
    )


def resolution_from_document(
    incident: str, doc: Document, now: datetime | None = None
) -> Resolution:
    """A resolution of the named incident; resolved_at defaults to now."""
    _only(doc, {"resolved_at"})
    if not incident or len(incident) > _ID_LIMIT:
        raise InvalidInput("the incident id must have 1 to 500 characters")
    return Resolution(incident, _time(doc, "resolved_at") or now or datetime.now(UTC))


def _only(doc: Document, allowed: set[str]) -> None:
    unknown = sorted(set(doc) - allowed)
    if unknown:
        raise InvalidInput(
            f"unknown field {unknown[0]!r}; the fields are {', '.join(sorted(allowed))}"
        )


def _text(doc: Document, name: str, required: bool = False, limit: int = 10_000) -> str:
    value = doc.get(name)
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{name} is required")
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string")
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{name} is required")
    if len(value) > limit:
        raise InvalidInput(f"{name} is longer than {limit} characters")
    return value


def _time(doc: Document, name: str) -> datetime | None:
    value = _text(doc, name, limit=64)
    if not value:
        return None
    try:
        return parse_instant(value)
    except InvalidInput as error:
        raise InvalidInput(f"{name}: {error}") from None


def _flag(doc: Document, name: str) -> bool | None:
    value = doc.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise InvalidInput(f"{name} must be true or false")


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_SAMPLE_DEPLOYMENT = Deployment("s", "e", "0", _EPOCH, "i", "api")
_SAMPLE_INCIDENT = Incident("s", "i", "api", _EPOCH)
