"""The period's notable incidents: what a retrospective should talk about, most important first.

An incident belongs to the period when it started in it (as for time to restore). Those that
failed a deployment come first (the delivery process let a change break production), then, in
each group, the longest: a resolved incident by its time to restore, one still open by how long
it had lasted at the period's end (a lower bound, so it ranks ahead of a resolved one as long).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from dorameter.model import (
    DeploymentFact,
    DeploymentOutcome,
    FailureReason,
    IncidentFact,
    Period,
)

NOTABLE_INCIDENTS = 10


class IncidentCause(StrEnum):
    """What is known about the cause of an incident."""

    DEPLOYMENT = "deployment"  # it failed a deployment: named by the incident, or just after it
    COMMIT = "commit"  # it names a commit that no deployment in reach shipped
    NOT_CHANGE = "not_change"  # marked as not caused by a change
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class NotableIncident:
    """One incident with its time to restore and what caused it."""

    incident: IncidentFact
    restore_seconds: float | None  # started to resolved; None while open (or resolved "before")
    open_seconds: float | None  # still open: started to the period's end
    cause: IncidentCause
    deployment: DeploymentFact | None = None  # the failed deployment it is linked to
    link: FailureReason | None = None  # INCIDENT_LINKED (named) or INCIDENT_WINDOW (soon after)

    @property
    def still_open(self) -> bool:
        return self.incident.resolved_at is None


@dataclass(frozen=True)
class NotableIncidents:
    """The most important incidents of the period, and how many there were in all."""

    items: tuple[NotableIncident, ...] = ()
    total: int = 0

    @property
    def more(self) -> int:
        """Incidents of the period left out of `items`."""
        return self.total - len(self.items)


def notable_incidents(
    incidents: Iterable[IncidentFact],
    outcomes: Iterable[DeploymentOutcome],
    period: Period,
    limit: int = NOTABLE_INCIDENTS,
) -> NotableIncidents:
    """Pure: the period's incidents, most important first, at most `limit` of them."""
    failed_by = {
        incident_id: outcome.deployment for outcome in outcomes for incident_id in outcome.incidents
    }
    found = [
        _notable(incident, failed_by.get(incident.id), period)
        for incident in incidents
        if period.contains(incident.started_at)
    ]
    found.sort(key=_importance)
    return NotableIncidents(tuple(found[:limit]), len(found))


def _notable(
    incident: IncidentFact, deployment: DeploymentFact | None, period: Period
) -> NotableIncident:
    restore = open_for = None
    if incident.resolved_at is None:
        open_for = (period.until - incident.started_at).total_seconds()
    elif incident.resolved_at >= incident.started_at:
        restore = (incident.resolved_at - incident.started_at).total_seconds()
    if deployment is not None:
        linked = incident.linked_deployment_id == deployment.id
        link = FailureReason.INCIDENT_LINKED if linked else FailureReason.INCIDENT_WINDOW
        return NotableIncident(
            incident, restore, open_for, IncidentCause.DEPLOYMENT, deployment, link
        )
    if incident.change_caused is False:
        cause = IncidentCause.NOT_CHANGE
    else:
        cause = IncidentCause.COMMIT if incident.caused_by_sha else IncidentCause.UNKNOWN
    return NotableIncident(incident, restore, open_for, cause)


def _importance(item: NotableIncident) -> tuple[bool, float, bool, float, str]:
    lasted = item.restore_seconds if item.restore_seconds is not None else item.open_seconds
    return (
        item.deployment is None,
        -(lasted or 0.0),
        not item.still_open,
        item.incident.started_at.timestamp(),
        item.incident.external_id,
    )
