"""Opsgenie alert webhooks -> incidents.

`action` Create opens the alert (at `alert.createdAt`, epoch milliseconds), Close resolves it
(at `alert.updatedAt`, epoch nanoseconds); Acknowledge and the like keep it open. The service
is a tag `service:NAME`, else the alert's `entity`, else "opsgenie".
"""

from __future__ import annotations

from dorameter.model import EventRecords, Incident
from dorameter.sources.json_fields import Json, at, epoch, obj, text

SOURCE = "opsgenie"
_OPEN = {
    "Create",
    "Acknowledge",
    "UnAcknowledge",
    "AddNote",
    "Escalate",
    "AssignOwnership",
    "TakeOwnership",
    "AddTags",
    "RemoveTags",
    "UpdatePriority",
    "UpdateMessage",
    "UpdateDescription",
    "AddResponder",
    "AddTeam",
    "Snooze",
    "SnoozeEnded",
}
_CLOSE = "Close"
_SERVICE_TAG = "service:"


def event_type(payload: Json) -> str:
    value = at(payload, "action")
    return value if isinstance(value, str) and value else "unknown"


def parse(payload: Json) -> EventRecords:
    """The incident an alert webhook reports, or why it reports none."""
    action = text(payload, "action", limit=100)
    if action != _CLOSE and action not in _OPEN:
        return EventRecords(ignored=f"action {action} is not used")
    alert = obj(payload, "alert")
    created = epoch(alert, "createdAt")
    updated = epoch(alert, "updatedAt") if at(alert, "updatedAt") is not None else created
    observed = max(created, updated)
    priority = at(alert, "priority")
    incident = Incident(
        service=_service(alert),
        external_id=f"{SOURCE}:{text(alert, 'alertId', limit=200)}",
        source=SOURCE,
        started_at=created,
        resolved_at=observed if action == _CLOSE else None,
        title=text(alert, "message", required=False, limit=10_000),
        severity=f"P{priority}"
        if isinstance(priority, int) and not isinstance(priority, bool)
        else (priority if isinstance(priority, str) and priority else None),
        observed_at=observed,
    )
    return EventRecords(incidents=(incident,))


def _service(alert: Json) -> str:
    tags = at(alert, "tags")
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, str) and tag.lower().startswith(_SERVICE_TAG):
                name = tag[len(_SERVICE_TAG) :].strip()
                if name:
                    return name[:400]
    return text(alert, "entity", required=False, limit=400) or SOURCE
