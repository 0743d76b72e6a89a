"""PagerDuty v3 and Opsgenie webhooks: incidents opened, resolved, reopened, in any order."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from dorameter.store import Store
from tests.web.conftest import (
    FIXTURES,
    OPSGENIE_TOKEN,
    TestClient,
    count,
    dumps,
    pagerduty_headers,
    raw_statuses,
    rows,
    settled,
)


def pagerduty(kind: str, occurred_at: str, event_id: str, **data: Any) -> dict[str, Any]:
    """A v3 webhook body as PagerDuty documents it."""
    incident = {
        "id": "PGR0VU2",
        "type": "incident",
        "number": 2,
        "status": "resolved" if kind == "incident.resolved" else "triggered",
        "title": "Checkout is slow",
        "created_at": "2026-03-02T10:00:00Z",
        "service": {"id": "PF9KMXH", "summary": "checkout", "type": "service_reference"},
        "urgency": "high",
        "priority": None,
    } | data
    return {
        "event": {
            "id": event_id,
            "event_type": kind,
            "resource_type": "incident",
            "occurred_at": occurred_at,
            "agent": None,
            "client": None,
            "data": incident,
        }
    }


def send_pagerduty(client: TestClient, document: dict[str, Any]) -> Any:
    body = dumps(document)
    return client.post("/hooks/pagerduty", content=body, headers=pagerduty_headers(body))


def incidents(store: Store) -> list[tuple[Any, ...]]:
    query = "SELECT external_id, service_id, started_at, resolved_at, title FROM incidents"
    return [tuple(row) for row in rows(store, query)]


def test_pagerduty_events_in_any_order_end_in_the_same_state(store: Store) -> None:
    from dorameter.web import create_app
    from tests.web.conftest import server_settings

    events = [
        pagerduty("incident.triggered", "2026-03-02T10:00:05Z", "e1"),
        pagerduty("incident.acknowledged", "2026-03-02T10:03:00Z", "e2"),
        pagerduty("incident.resolved", "2026-03-02T10:40:00Z", "e3"),
        pagerduty("incident.reopened", "2026-03-02T11:00:00Z", "e4"),
        pagerduty("incident.resolved", "2026-03-02T11:30:00Z", "e5"),
    ]
    finals = set()
    for order in itertools.islice(itertools.permutations(events), 0, None, 7):
        with store.engine.begin() as connection:
            from sqlalchemy import text

            connection.execute(text("DELETE FROM incidents"))
            connection.execute(text("DELETE FROM raw_events"))
        with TestClient(create_app(server_settings(store), store)) as client:
            for document in order:
                assert send_pagerduty(client, document).status_code == 202
            settled(store)
        finals.add(tuple(incidents(store)))
    assert len(finals) == 1
    ((external_id, _service, started, resolved, title),) = next(iter(finals))
    assert (external_id, title) == ("pagerduty:PGR0VU2", "Checkout is slow")
    assert resolved - started == (90 * 60) * 1_000_000  # 10:00 to the last resolution, 11:30


def test_a_pagerduty_redelivery_and_a_ping(client: TestClient, store: Store) -> None:
    event = pagerduty("incident.triggered", "2026-03-02T10:00:05Z", "same")
    ping = {"event": {"id": "p", "event_type": "pagey.ping", "occurred_at": "2026-03-02T10:00:00Z"}}

    answers = [send_pagerduty(client, event), send_pagerduty(client, event)]
    pong = send_pagerduty(client, ping)
    settled(store)

    assert [answer.status_code for answer in answers] == [202, 200]
    assert pong.json()["ignored"] == "ping"
    assert count(store, "incidents") == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"occurred_at": "yesterday"}, "event.occurred_at"),
        ({"occurred_at": "2300-01-01T00:00:00Z"}, "not a plausible time"),
        ({"data": None}, "missing field event.data"),
    ],
)
def test_malformed_pagerduty_events_are_422(
    client: TestClient, store: Store, change: dict[str, Any], message: str
) -> None:
    event = pagerduty("incident.triggered", "2026-03-02T10:00:05Z", "bad")
    event["event"] |= change

    answer = send_pagerduty(client, event)

    assert answer.status_code == 422
    assert message in answer.json()["error"]["message"]
    assert count(store, "raw_events") == 0


def send_opsgenie(client: TestClient, name: str) -> Any:
    body = (FIXTURES / "opsgenie-webhooks" / f"{name}.json").read_bytes()
    return client.post(
        "/hooks/opsgenie", content=body, headers={"X-Dorameter-Token": OPSGENIE_TOKEN}
    )


@pytest.mark.parametrize("order", list(itertools.permutations(["create", "acknowledge", "close"])))
def test_opsgenie_fixtures_in_any_order(store: Store, order: tuple[str, ...]) -> None:
    from dorameter.web import create_app
    from tests.web.conftest import server_settings

    with TestClient(create_app(server_settings(store), store)) as client:
        for name in order:
            assert send_opsgenie(client, name).status_code == 202
        settled(store)

    found = {row[0]: row for row in incidents(store)}
    assert set(found) == {
        "opsgenie:ec03dad6-62c8-4c94-b38b-d88f398e900f",
        "opsgenie:052652ac-5d1c-464a-812a-7dd18bbfba8c",
    }
    closed = found["opsgenie:052652ac-5d1c-464a-812a-7dd18bbfba8c"]
    assert closed[2] == 1420452191104000  # createdAt, epoch milliseconds
    assert closed[3] == 1420452374669002  # updatedAt of the close, epoch nanoseconds
    assert found["opsgenie:ec03dad6-62c8-4c94-b38b-d88f398e900f"][3] is None
    assert {status for *_, status in raw_statuses(store)} == {"processed"}


def test_opsgenie_service_from_a_tag(client: TestClient, store: Store) -> None:
    body = (FIXTURES / "opsgenie-webhooks" / "create.json").read_text()
    body = body.replace('"vip"', '"vip", "service:payments"')

    client.post(
        "/hooks/opsgenie", content=body.encode(), headers={"X-Dorameter-Token": OPSGENIE_TOKEN}
    )
    settled(store)

    names = [row[0] for row in rows(store, "SELECT name FROM services")]
    assert names == ["payments"]
