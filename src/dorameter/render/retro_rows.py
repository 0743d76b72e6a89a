"""Table rows of the retrospective's incident and open pull request sections (kept beside
retro.py so that module stays a readable size). Text only: retro.py escapes it for HTML."""

from __future__ import annotations

from datetime import datetime

from dorameter.analysis.trunk import TrunkFlow
from dorameter.metrics.incidents import IncidentCause, NotableIncident, NotableIncidents
from dorameter.model import FailureReason
from dorameter.render.console import human_duration

INCIDENT_HEADER = [
    "service",
    "incident",
    "severity",
    "started",
    "resolved",
    "time to restore",
    "caused by",
]
OPEN_PR_HEADER = ["pull request", "author", "opened", "open for"]
OPEN_PULL_REQUESTS = 10  # listed, oldest first
SHORT_SHA = 12


def incident_rows(incidents: NotableIncidents) -> list[list[str]]:
    """One row per listed incident, most important first."""
    return [_incident_row(item) for item in incidents.items]


def _incident_row(item: NotableIncident) -> list[str]:
    incident = item.incident
    if item.still_open:
        restore = f"at least {human_duration(item.open_seconds)}"
    else:
        restore = human_duration(item.restore_seconds)
    return [
        incident.service,
        f"{incident.external_id} {incident.title}".strip(),
        incident.severity or "-",
        _minute(incident.started_at),
        "still open" if incident.resolved_at is None else _minute(incident.resolved_at),
        restore,
        cause_text(item),
    ]


def cause_text(item: NotableIncident) -> str:
    """What caused the incident, as far as it is known, in a few words."""
    named = item.incident.caused_by_sha
    commit = f"commit {named[:SHORT_SHA]}" if named else ""
    if item.cause is IncidentCause.DEPLOYMENT and item.deployment is not None:
        if item.link is FailureReason.INCIDENT_LINKED:
            how = f"it shipped the named {commit}" if commit else "named by the incident"
        else:
            how = "started soon after it" + (f"; the incident names {commit}" if commit else "")
        return f"deployment {item.deployment.external_id} ({how})"
    if item.cause is IncidentCause.COMMIT:
        return f"{commit} (no deployment in reach shipped it)"
    if item.cause is IncidentCause.NOT_CHANGE:
        return "not caused by a change"
    return "unknown (no deployment just before it)"


def open_pull_request_rows(trunk: TrunkFlow) -> list[list[str]]:
    """The oldest pull requests still open at the period's end and older than the threshold."""
    return [
        [
            f"#{age.pull_request.number} {age.pull_request.title}"
            + (" (draft)" if age.pull_request.draft else ""),
            age.pull_request.author,
            _minute(age.pull_request.created_at),
            human_duration(age.age_seconds),
        ]
        for age in trunk.long_lived_open[:OPEN_PULL_REQUESTS]
    ]


def _minute(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"
