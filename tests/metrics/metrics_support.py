"""Small builders for metrics tests: facts at hour offsets from a fixed Monday."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dorameter.model import ChangeFact, DeploymentFact, IncidentFact, Period
from dorameter.timestamps import micros

T0 = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday
HOUR = 3600.0
DAY = 86400.0
WEEK = 7 * DAY
MONTH = 30 * DAY
SIX_MONTHS = 182.5 * DAY


def at(hours: float) -> datetime:
    """The moment `hours` after T0."""
    return T0 + timedelta(hours=hours)


def period(days: float, start_hours: float = 0.0) -> Period:
    """A period of `days` days starting `start_hours` after T0."""
    return Period(at(start_hours), at(start_hours + 24 * days))


def deployment(
    id: int,
    hours: float,
    sha: str | None = None,
    *,
    rollback: bool = False,
    base: int | None = None,
    fixes_deployment: int | None = None,
    fixes_incident: int | None = None,
) -> DeploymentFact:
    """A production deployment of service "svc" finishing `hours` after T0."""
    return DeploymentFact(
        id=id,
        service="svc",
        environment="production",
        sha=sha or f"sha{id}",
        finished_at=at(hours),
        external_id=f"ext{id}",
        rollback=rollback,
        rollback_base_id=base,
        fixes_deployment_id=fixes_deployment,
        fixes_incident_id=fixes_incident,
    )


def change(
    deployment_id: int,
    hours: float = 0.0,
    subject: str = "Add feature",
    is_merge: bool = False,
    *,
    reverts: int | None = None,
    before_tracking: bool = False,
    pr_start_hours: float | None = None,
) -> ChangeFact:
    """A commit authored `hours` after T0 and shipped by `deployment_id`."""
    return ChangeFact(
        deployment_id=deployment_id,
        sha=f"c{deployment_id}-{hours}-{subject}",
        author_time=micros(at(hours)),
        subject=subject,
        is_merge=is_merge,
        reverted_deployment_id=reverts,
        before_tracking=before_tracking,
        pr_start_time=None if pr_start_hours is None else micros(at(pr_start_hours)),
    )


def incident(
    id: int,
    start_hours: float,
    resolved_hours: float | None = None,
    linked: int | None = None,
    change_caused: bool | None = None,
) -> IncidentFact:
    """An incident of service "svc" starting `start_hours` after T0."""
    return IncidentFact(
        id=id,
        service="svc",
        external_id=f"inc{id}",
        started_at=at(start_hours),
        resolved_at=None if resolved_hours is None else at(resolved_hours),
        linked_deployment_id=linked,
        change_caused=change_caused,
    )
