"""PagerDuty v3 webhooks -> incidents.

`event.event_type` says what happened (incident.triggered, .acknowledged, .resolved,
.reopened, ...), `event.occurred_at` when, and `event.data` is the incident. The service is the
incident's PagerDuty service name (`data.service.summary`), else its id, else "pagerduty".
"""

from __future__ import annotations

from dorameter.errors import InvalidInput
from dorameter.model import EventRecords, Incident
from dorameter.sources.json_fields import Json, at, instant, obj, optional_instant, text

SOURCE = "pagerduty"
_RESOLVED = "incident.resolved"
# Events that report the incident open at occurred_at; any other incident.* event (a note, a
# priority change after resolution...) only adds what it says about the incident when open.
_OPENING = {
    "incident.triggered",
    "incident.reopened",
    "incident.acknowledged",
    "incident.unacknowledged",
    "incident.escalated",
    "incident.reassigned",
    "incident.delegated",
    "incident.priority_updated",
    "incident.responder.added",
    "incident.responder.replied",
    "incident.annotated",
    "incident.status_update_published",
    "incident.conference_bridge.updated",
    "incident.service_updated",
    "incident.incident_type.changed",
    "incident.custom_field_values.updated",
}


def event_type(payload: Json) -> str:
    """The event type a delivery names (for the raw log); 'unknown' when it names none."""
    value = at(payload, "event.event_type")
    return value if isinstance(value, str) and value else "unknown"


def parse(payload: Json) -> EventRecords:
    """The incident a v3 webhook reports, or an explanation of why it reports none."""
    kind = text(payload, "event.event_type", limit=200)
    if kind == "pagey.ping":
        return EventRecords(ignored="ping")
    if kind != _RESOLVED and kind not in _OPENING:
        return EventRecords(ignored=f"event type {kind} is not used")
    data = obj(payload, "event.data")
    if at(data, "type") not in (None, "incident"):
        raise InvalidInput("event.data.type must be incident for incident events")
    occurred = instant(payload, "event.occurred_at")
    status = at(data, "status")
    if kind != _RESOLVED and status == "resolved":
        return EventRecords(ignored=f"{kind} on a resolved incident changes nothing we keep")
    incident = Incident(
        service=_service(data),
        external_id=f"{SOURCE}:{text(data, 'id', limit=200)}",
        source=SOURCE,
        started_at=min(occurred, optional_instant(data, "created_at") or occurred),
        resolved_at=occurred if kind == _RESOLVED else None,
        title=text(data, "title", required=False, limit=10_000),
        severity=_severity(data),
        observed_at=occurred,
    )
    return EventRecords(incidents=(incident,))


def _service(data: Json) -> str:
    return (
        text(data, "service.summary", required=False, limit=400)
        or text(data, "service.id", required=False, limit=400)
        or SOURCE
    )


def _severity(data: Json) -> str | None:
    priority = text(data, "priority.summary", required=False, limit=50)
    return priority or text(data, "urgency", required=False, limit=50) or None
