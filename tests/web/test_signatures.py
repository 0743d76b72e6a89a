"""Signature and token checks against the published vectors, and at the endpoints."""

from __future__ import annotations

import json

import pytest

from dorameter.sources.webhooks.signatures import (
    github_signature_ok,
    pagerduty_signature_ok,
    token_ok,
)
from dorameter.store import Store
from tests.web.conftest import (
    FIXTURES,
    GITHUB_SECRET,
    TestClient,
    count,
    fixture_bytes,
    pagerduty_headers,
)

GITHUB_VECTORS = json.loads((FIXTURES / "signatures" / "github-test-vectors.json").read_text())
PAGERDUTY = json.loads((FIXTURES / "signatures" / "pagerduty-test-vectors.json").read_text())
PAGERDUTY_BODY = fixture_bytes("signatures/pagerduty-signed-body.json")


@pytest.mark.parametrize("vector", GITHUB_VECTORS["vectors"], ids=lambda vector: vector["id"])
def test_github_vectors(vector: dict[str, object]) -> None:
    body = str(vector["payload"]).encode()
    ok = github_signature_ok(str(vector["secret"]), body, str(vector["x_hub_signature_256"]))
    assert ok is vector["valid"]


@pytest.mark.parametrize("case", PAGERDUTY["cases"], ids=lambda case: case["name"])
def test_pagerduty_vectors(case: dict[str, object]) -> None:
    ok = pagerduty_signature_ok(PAGERDUTY["secret"], PAGERDUTY_BODY, str(case["header"]))
    assert ok is case["valid"]


def test_missing_headers_and_tokens_never_match() -> None:
    assert not github_signature_ok("secret", b"{}", None)
    assert not pagerduty_signature_ok("secret", b"{}", None)
    assert not token_ok("secret", None)
    assert not token_ok("secret", "Secret")
    assert token_ok("secret", " secret ")


@pytest.mark.parametrize(
    "vector",
    [vector for vector in GITHUB_VECTORS["vectors"] if vector["secret"] == GITHUB_SECRET],
    ids=lambda vector: vector["id"],
)
def test_the_github_endpoint_checks_the_signature(
    client: TestClient, store: Store, vector: dict[str, object]
) -> None:
    answer = client.post(
        "/hooks/github",
        content=str(vector["payload"]).encode(),
        headers={
            "X-GitHub-Event": "ping",
            "X-Hub-Signature-256": str(vector["x_hub_signature_256"]),
        },
    )
    # The official vector's body is not JSON: a valid signature gets past the check to 400.
    assert answer.status_code == (400 if vector["valid"] else 401)
    assert count(store, "raw_events") == 0


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=", "sha256=" + "0" * 64, "sha1=abc", "garbage"],
)
def test_a_wrong_or_missing_github_signature_is_401_and_stores_nothing(
    client: TestClient, store: Store, signature: str | None
) -> None:
    body = fixture_bytes("github-webhooks/payload-examples/deployment/payload.json")
    headers = {"X-GitHub-Event": "deployment", "X-GitHub-Delivery": "d-1"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature

    answer = client.post("/hooks/github", content=body, headers=headers)

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"
    assert count(store, "raw_events") == 0


@pytest.mark.parametrize("case", PAGERDUTY["cases"], ids=lambda case: case["name"])
def test_the_pagerduty_endpoint_checks_the_signature(
    client: TestClient, store: Store, case: dict[str, object]
) -> None:
    answer = client.post(
        "/hooks/pagerduty",
        content=PAGERDUTY_BODY,
        headers={"X-PagerDuty-Signature": str(case["header"])},
    )

    assert answer.status_code == (202 if case["valid"] else 401)
    assert count(store, "raw_events") == (1 if case["valid"] else 0)


def test_the_signed_pagerduty_body_opens_an_incident(client: TestClient, store: Store) -> None:
    client.post(
        "/hooks/pagerduty", content=PAGERDUTY_BODY, headers=pagerduty_headers(PAGERDUTY_BODY)
    )
    from tests.web.conftest import rows, settled

    settled(store)
    found = rows(store, "SELECT external_id, title, severity, resolved_at FROM incidents")
    assert [tuple(row) for row in found] == [
        ("pagerduty:PGR0VU2", "A little bump in the road", "P1", None)
    ]


@pytest.mark.parametrize(
    ("path", "header"),
    [("/hooks/gitlab", "X-Gitlab-Token"), ("/hooks/opsgenie", "X-Dorameter-Token")],
)
@pytest.mark.parametrize("given", [None, "", "wrong"])
def test_a_wrong_or_missing_shared_token_is_401(
    client: TestClient, store: Store, path: str, header: str, given: str | None
) -> None:
    headers = {} if given is None else {header: given}

    answer = client.post(path, content=b"{}", headers=headers)

    assert answer.status_code == 401
    assert count(store, "raw_events") == 0


def test_a_source_without_its_secret_is_not_enabled(store: Store) -> None:
    from dorameter.config import Settings
    from dorameter.web import create_app

    with TestClient(create_app(Settings(database_url=store.url), store)) as bare:
        answer = bare.post("/hooks/github", content=b"{}")

    assert answer.status_code == 503
    assert "DORAMETER_GITHUB_WEBHOOK_SECRET" in answer.json()["error"]["message"]
    assert count(store, "raw_events") == 0


def test_secrets_never_show_in_settings_or_stored_headers(client: TestClient, store: Store) -> None:
    from tests.web.conftest import github_headers, rows, server_settings, settled

    body = fixture_bytes("github-webhooks/payload-examples/deployment/payload.json")
    client.post("/hooks/github", content=body, headers=github_headers("deployment", body))
    settled(store)

    stored = rows(store, "SELECT headers FROM raw_events")[0][0]
    assert "sha256=" not in stored
    assert "x-github-event" in stored
    assert GITHUB_SECRET not in repr(server_settings(store))
