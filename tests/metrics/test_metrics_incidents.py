"""Notable incidents: which, in what order, with what cause, from hand-built facts."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.metrics.metrics_support import DAY, HOUR, deployment, incident, period

from dorameter.metrics.failures import classify_deployments
from dorameter.metrics.incidents import IncidentCause, notable_incidents
from dorameter.model import DeliveryData, FailureReason, FailureSettings, IncidentFact

WEEK = period(7)  # [T0, T0 + 7 d)
DEPLOYMENTS = (deployment(1, 10), deployment(2, 50), deployment(3, 100))
INCIDENTS = (
    incident(1, 12, resolved_hours=14, linked=None),  # 2 h after ext1: the window
    incident(2, 60, resolved_hours=61, linked=1),  # named ext1, 1 h
    incident(3, 70, resolved_hours=100, change_caused=False),  # 30 h, not a change
    incident(4, 110),  # 10 h after ext3, still open: 58 h at the period's end
    incident(5, 24 * 8, resolved_hours=24 * 9),  # after the period
    replace(incident(6, 130, resolved_hours=133), caused_by_sha="abc123"),  # 3 h, 30 h late
    incident(7, 140, resolved_hours=139),  # resolved "before" it started
)


Row = tuple[str, IncidentCause, str | None, FailureReason | None, float | None, float | None]


def notable(
    incidents: tuple[IncidentFact, ...] = INCIDENTS, limit: int = 10
) -> tuple[int, int, list[Row]]:
    """(total, left out, one row per listed incident) for the three deployments above."""
    data = DeliveryData("svc", DEPLOYMENTS, (), incidents)
    outcomes = classify_deployments(data, FailureSettings())
    found = notable_incidents(incidents, outcomes, WEEK, limit)
    rows = [
        (
            item.incident.external_id,
            item.cause,
            item.deployment.external_id if item.deployment else None,
            item.link,
            item.restore_seconds,
            item.open_seconds,
        )
        for item in found.items
    ]
    return found.total, found.more, rows


def test_change_caused_first_then_the_longest() -> None:
    total, more, rows = notable()

    assert (total, more) == (6, 0)  # inc5 started after the period
    assert rows == [
        ("inc4", IncidentCause.DEPLOYMENT, "ext3", FailureReason.INCIDENT_WINDOW, None, 58 * HOUR),
        ("inc1", IncidentCause.DEPLOYMENT, "ext1", FailureReason.INCIDENT_WINDOW, 2 * HOUR, None),
        ("inc2", IncidentCause.DEPLOYMENT, "ext1", FailureReason.INCIDENT_LINKED, 1 * HOUR, None),
        ("inc3", IncidentCause.NOT_CHANGE, None, None, 30 * HOUR, None),
        ("inc6", IncidentCause.COMMIT, None, None, 3 * HOUR, None),
        ("inc7", IncidentCause.UNKNOWN, None, None, None, None),
    ]


@pytest.mark.parametrize(("limit", "listed", "more"), [(2, ["inc4", "inc1"], 4), (0, [], 6)])
def test_at_most_the_limit_with_a_count_of_the_rest(
    limit: int, listed: list[str], more: int
) -> None:
    total, left_out, rows = notable(limit=limit)

    assert [row[0] for row in rows] == listed
    assert (total, left_out) == (6, more)


def test_a_still_open_incident_ranks_ahead_of_a_resolved_one_as_long() -> None:
    lasting = (
        incident(1, 24 * 6, resolved_hours=24 * 7),  # 1 d, resolved at the period's end
        incident(2, 24 * 6),  # open: 1 d at the period's end
    )
    _, _, rows = notable(lasting)

    assert [(row[0], row[4], row[5]) for row in rows] == [
        ("inc2", None, DAY),
        ("inc1", DAY, None),
    ]
