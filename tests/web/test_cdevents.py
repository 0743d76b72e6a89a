"""CDEvents: every v0.5.1 conformance file, plain and as CloudEvents, validation, older specs."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from dorameter.store import Store
from tests.web.conftest import FIXTURES, TestClient, count, dumps, raw_statuses, rows, settled

CONFORMANCE = sorted((FIXTURES / "cdevents-v0.5.1" / "conformance").glob("*.json"))
USED = {
    "service_deployed": "deployments",
    "service_upgraded": "deployments",
    "service_rolledback": "deployments",
    "incident_detected": "incidents",
    "incident_reported": "incidents",
    "incident_resolved": "incidents",
    "change_created": "pull_requests",
    "change_merged": "pull_requests",
    "pipelinerun_finished": "pipeline_runs",
}


def load(name: str) -> dict[str, Any]:
    path = FIXTURES / "cdevents-v0.5.1" / "conformance" / f"{name}.json"
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def post(client: TestClient, auth: dict[str, str], body: bytes, **headers: str) -> Any:
    return client.post("/events/cdevents", content=body, headers={**auth, **headers})


@pytest.mark.parametrize("path", CONFORMANCE, ids=lambda path: path.stem)
def test_every_conformance_file_is_accepted(
    client: TestClient, store: Store, auth: dict[str, str], path: Path
) -> None:
    answer = post(client, auth, path.read_bytes())
    settled(store)

    assert answer.status_code == 202, answer.text
    if path.stem in USED:
        assert raw_statuses(store)[0][2] == "processed"
        assert count(store, USED[path.stem]) == 1
    else:
        assert raw_statuses(store)[0][2] == "ignored"


def cloudevent(cdevent: dict[str, Any]) -> dict[str, Any]:
    context = cdevent["context"]
    return {
        "specversion": "1.0",
        "id": context["id"],
        "source": context["source"],
        "type": context["type"],
        "time": context["timestamp"],
        "datacontenttype": "application/json",
        "data": cdevent,
    }


def test_plain_structured_and_binary_modes_are_the_same_event(
    client: TestClient, store: Store, auth: dict[str, str]
) -> None:
    cdevent = load("service_deployed")
    envelope = cloudevent(cdevent)
    binary = {
        "ce-specversion": "1.0",
        "ce-id": envelope["id"],
        "ce-source": envelope["source"],
        "ce-type": envelope["type"],
    }
    base64_mode = {key: value for key, value in envelope.items() if key != "data"}
    base64_mode["data_base64"] = base64.b64encode(dumps(cdevent)).decode()

    answers = [
        post(client, auth, dumps(cdevent)),
        post(
            client,
            auth,
            dumps(envelope),
            **{"Content-Type": "application/cloudevents+json"},
        ),
        post(client, auth, dumps(cdevent), **binary),
        post(client, auth, dumps(base64_mode)),
    ]
    settled(store)

    # The plain event and the envelopes share source and id: one delivery, the rest duplicates.
    assert [answer.status_code for answer in answers] == [202, 200, 200, 200]
    stored = rows(store, "SELECT service_id, environment, sha, rollback FROM deployments")
    assert [tuple(row)[1:] for row in stored] == [
        ("test123", "0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427", False)
    ]
    assert rows(store, "SELECT headers FROM raw_events")[0][0].count("ce-") == 0


def test_a_binary_mode_event_keeps_its_envelope_headers(
    client: TestClient, store: Store, auth: dict[str, str]
) -> None:
    post(client, auth, dumps(load("incident_detected")), **{"ce-id": "x1", "ce-source": "/mon"})
    settled(store)

    headers = json.loads(rows(store, "SELECT headers FROM raw_events")[0][0])
    assert headers["ce-id"] == "x1"


def test_a_rollback_and_a_commit_named_in_custom_data(
    client: TestClient, store: Store, auth: dict[str, str]
) -> None:
    event = load("service_rolledback")
    event["customData"] = {"sha": "A" * 40, "repository": "shop"}

    post(client, auth, dumps(event))
    settled(store)

    found = rows(store, "SELECT sha, rollback FROM deployments")
    assert [tuple(row) for row in found] == [("a" * 40, True)]


def test_incident_detected_then_resolved_is_one_resolved_incident(
    client: TestClient, store: Store, auth: dict[str, str]
) -> None:
    resolved = load("incident_resolved")
    resolved["context"]["timestamp"] = "2022-11-11T14:52:20.079Z"

    post(client, auth, dumps(resolved))
    post(client, auth, dumps(load("incident_detected")))
    settled(store)

    found = rows(store, "SELECT started_at, resolved_at FROM incidents")
    assert len(found) == 1
    assert found[0][1] - found[0][0] == 3600 * 1_000_000
    service = rows(store, "SELECT name FROM services")[0][0]
    assert service == "myApp"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda event: event["subject"]["content"].pop("environment"), "environment"),
        (lambda event: event["context"].pop("id"), "id"),
        (
            lambda event: event["context"].update(type="dev.cdevents.nonsense"),
            "not a CDEvents type",
        ),
        (lambda event: event["context"].update(timestamp="2022-13-40T00:00:00Z"), "timestamp"),
        (lambda event: event["subject"]["content"].update(colour="red"), "colour"),
    ],
    ids=["no environment", "no id", "bad type", "impossible time", "unknown field"],
)
def test_invalid_events_are_422_and_store_nothing(
    client: TestClient,
    store: Store,
    auth: dict[str, str],
    change: Any,
    message: str,
) -> None:
    event = load("service_deployed")
    change(event)

    answer = post(client, auth, dumps(event))

    assert answer.status_code == 422
    assert message in answer.json()["error"]["message"]
    assert count(store, "raw_events") == 0


def test_an_event_of_spec_v0_4_with_context_version_is_accepted(
    client: TestClient, store: Store, auth: dict[str, str]
) -> None:
    event = load("service_deployed")
    del event["context"]["specversion"]
    event["context"]["version"] = "0.4.1"
    event["context"]["type"] = "dev.cdevents.service.deployed.0.1.1"
    event["subject"]["type"] = "service"

    answer = post(client, auth, dumps(event))
    settled(store)

    assert answer.status_code == 202
    assert count(store, "deployments") == 1


def test_cdevents_need_a_token(client: TestClient, store: Store) -> None:
    answer = client.post("/events/cdevents", content=dumps(load("service_deployed")))

    assert answer.status_code == 401
    assert count(store, "raw_events") == 0
