"""The push API: records, tokens, errors in the one JSON shape, nothing half-stored."""

from __future__ import annotations

from typing import Any

import pytest

from dorameter.store import Store
from tests.web.conftest import TestClient, count, dumps, raw_statuses, rows, settled

DEPLOYMENT = {
    "service": "shop",
    "sha": "3f2a9c1",
    "environment": "production",
    "finished_at": "2026-03-02T10:00:00Z",
}


def test_a_deployment_is_accepted_stored_and_idempotent(
    client: TestClient, store: Store, auth: dict[str, str]
) -> None:
    first = client.post("/api/v1/deployments", json=DEPLOYMENT, headers=auth)
    again = client.post("/api/v1/deployments", json=DEPLOYMENT, headers=auth)
    settled(store)

    assert first.status_code == 202
    assert first.json()["status"] == "accepted"
    assert first.json()["id"] == again.json()["id"]
    stored = rows(store, "SELECT external_id, sha, environment, status, source FROM deployments")
    assert [tuple(row) for row in stored] == [
        (first.json()["id"], "3f2a9c1", "production", "success", "api")
    ]
    assert [status for *_, status in raw_statuses(store)] == ["processed", "processed"]


def test_an_idempotency_key_makes_a_resent_request_a_duplicate(
    client: TestClient, store: Store, auth: dict[str, str]
) -> None:
    headers = {**auth, "Idempotency-Key": "run-42"}
    first = client.post("/api/v1/deployments", json=DEPLOYMENT, headers=headers)
    second = client.post("/api/v1/deployments", json=DEPLOYMENT, headers=headers)

    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["status"] == "duplicate"
    assert count(store, "raw_events") == 1


def test_an_incident_is_recorded_then_resolved(
    client: TestClient, store: Store, auth: dict[str, str]
) -> None:
    incident = {"service": "shop", "id": "INC-7", "started_at": "2026-03-02T11:00:00Z"}
    created = client.post("/api/v1/incidents", json=incident, headers=auth)
    resolved = client.patch(
        "/api/v1/incidents/INC-7", json={"resolved_at": "2026-03-02T12:30:00Z"}, headers=auth
    )
    settled(store)

    assert created.status_code == 202
    assert resolved.status_code == 200
    assert resolved.json() == {
        "status": "resolved",
        "id": "INC-7",
        "resolved_at": "2026-03-02T12:30:00+00:00",
    }
    found = rows(store, "SELECT external_id, resolved_at FROM incidents")
    assert [row[0] for row in found] == ["INC-7"]
    assert found[0][1] is not None


def test_resolving_an_unknown_incident_is_404(
    client: TestClient, store: Store, auth: dict[str, str]
) -> None:
    answer = client.patch("/api/v1/incidents/INC-404", json={}, headers=auth)

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert "INC-404" in answer.json()["error"]["message"]
    assert count(store, "incidents") == 0


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing API token"),
        ({"Authorization": "Bearer dm_wrong"}, "unknown or revoked"),
        ({"Authorization": "Basic abc"}, "missing API token"),
    ],
)
def test_without_a_valid_token_nothing_is_stored(
    client: TestClient, store: Store, headers: dict[str, str], message: str
) -> None:
    answer = client.post("/api/v1/deployments", json=DEPLOYMENT, headers=headers)

    assert answer.status_code == 401
    assert message in answer.json()["error"]["message"]
    assert answer.json()["error"]["code"] == "unauthorized"
    assert count(store, "raw_events") == 0


def test_a_revoked_token_is_refused(store: Store, client: TestClient) -> None:
    from dorameter.tokens import generate_token

    made = generate_token()
    store.add_token("old", made.hash, made.prefix)
    store.revoke_token("old")

    answer = client.post(
        "/api/v1/deployments", json=DEPLOYMENT, headers={"Authorization": f"Bearer {made.secret}"}
    )

    assert answer.status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        (b"{not json", 400, "invalid_json", "malformed JSON"),
        (b"[1, 2]", 400, "invalid_json", "must be a JSON object"),
        (b"\xff\xfe", 400, "invalid_json", "UTF-8"),
        (dumps({"service": "shop"}), 422, "invalid_payload", "sha is required"),
        (dumps({"sha": "abc1234"}), 422, "invalid_payload", "service is required"),
        (dumps({**DEPLOYMENT, "finished_at": "2026-13-45"}), 422, "invalid_payload", "not a date"),
        (
            dumps({**DEPLOYMENT, "finished_at": "1900-01-01"}),
            422,
            "invalid_payload",
            "not a plausible time",
        ),
        (dumps({**DEPLOYMENT, "status": "great"}), 422, "invalid_payload", "status"),
        (dumps({**DEPLOYMENT, "sha": 42}), 422, "invalid_payload", "sha must be a string"),
        (dumps({**DEPLOYMENT, "colour": "red"}), 422, "invalid_payload", "unknown field 'colour'"),
        (
            dumps({**DEPLOYMENT, "started_at": "2026-03-03T00:00:00Z"}),
            422,
            "invalid_payload",
            "started_at is after finished_at",
        ),
    ],
)
def test_bad_input_is_a_4xx_saying_what_is_wrong_and_stores_nothing(
    client: TestClient,
    store: Store,
    auth: dict[str, str],
    body: bytes,
    status: int,
    code: str,
    message: str,
) -> None:
    answer = client.post(
        "/api/v1/deployments", content=body, headers={**auth, "Content-Type": "application/json"}
    )

    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code
    assert message in answer.json()["error"]["message"]
    assert count(store, "raw_events") == 0
    assert count(store, "deployments") == 0


def test_a_body_over_the_limit_is_413(
    client: TestClient, store: Store, auth: dict[str, str]
) -> None:
    huge = b'{"service": "' + b"x" * (5 * 1024 * 1024 + 1) + b'"}'

    answer = client.post("/api/v1/deployments", content=huge, headers=auth)

    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "too_large"
    assert count(store, "raw_events") == 0


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/v1/nowhere", 404, "not_found"),  # outside /api a browser gets a page
        ("DELETE", "/api/v1/deployments", 405, "method_not_allowed"),
    ],
)
def test_routing_errors_have_the_same_shape(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    answer = client.request(method, path)

    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code


def test_health(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_an_incident_recorded_again_keeps_what_it_leaves_out(
    client: TestClient, store: Store, auth: dict[str, str]
) -> None:
    incident: dict[str, Any] = {
        "service": "shop",
        "id": "INC-9",
        "started_at": "2026-03-02T11:00:00Z",
        "resolved_at": "2026-03-02T12:00:00Z",
        "severity": "sev1",
    }
    client.post("/api/v1/incidents", json=incident, headers=auth)
    client.post(
        "/api/v1/incidents",
        json={"service": "shop", "id": "INC-9", "started_at": "2026-03-02T11:00:00Z"},
        headers=auth,
    )
    settled(store)

    found = rows(store, "SELECT severity, resolved_at FROM incidents")
    assert found[0][0] == "sev1"
    assert found[0][1] is not None
