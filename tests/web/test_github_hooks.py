"""GitHub webhooks: every fixture payload, duplicates, reordering, what is stored."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dorameter.store import Store
from dorameter.store.schema import to_micros
from tests.web.conftest import (
    FIXTURES,
    TestClient,
    count,
    dumps,
    github_headers,
    raw_statuses,
    rows,
    settled,
)

EXAMPLES = FIXTURES / "github-webhooks" / "payload-examples"
PAYLOADS = sorted(EXAMPLES.glob("*/*.json")) + sorted(
    (FIXTURES / "github-webhooks" / "extra").glob("*.json")
)


def event_of(path: Path) -> str:
    return path.parent.name if path.parent.name != "extra" else path.name.split("__")[0]


def load(relative: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / relative).read_text())
    return document


def send(
    client: TestClient, event: str, document: dict[str, Any] | bytes, delivery: str | None = None
) -> Any:
    body = document if isinstance(document, bytes) else dumps(document)
    return client.post("/hooks/github", content=body, headers=github_headers(event, body, delivery))


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_fixture_payload_is_accepted_and_none_fails(
    client: TestClient, store: Store, path: Path
) -> None:
    event = event_of(path)

    answer = send(client, event, path.read_bytes())
    settled(store)

    if event == "ping":
        assert answer.status_code == 200
        assert answer.json()["status"] == "pong"
        assert count(store, "raw_events") == 0
        return
    assert answer.status_code == 202, answer.text
    assert [status for *_, status in raw_statuses(store)] in (["processed"], ["ignored"])


def test_what_the_fixtures_store(client: TestClient, store: Store) -> None:
    for event, name in [
        ("deployment", "deployment/payload.json"),
        ("pull_request", "pull_request/opened.payload.json"),
        ("pull_request_review", "pull_request_review/submitted.payload.json"),
        ("workflow_run", "workflow_run/completed.payload.json"),
        ("push", "push/payload.json"),
        ("check_suite", "check_suite/completed.payload.json"),
    ]:
        send(client, event, load(name))
    settled(store)

    assert count(store, "deployments") == 1
    assert count(store, "pull_requests") == 1
    assert count(store, "reviews") == 1
    assert count(store, "pipeline_runs") == 1
    assert count(store, "commits") == 0  # pushes are kept only as raw events
    statuses = {event: status for _, event, status in raw_statuses(store)}
    assert statuses["push"] == statuses["check_suite"] == "ignored"


def test_a_redelivery_changes_nothing(client: TestClient, store: Store) -> None:
    document = load("deployment/payload.json")

    first = send(client, "deployment", document, delivery="same-delivery")
    again = send(client, "deployment", document, delivery="same-delivery")
    settled(store)

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {"status": "duplicate"}
    assert count(store, "raw_events") == 1
    assert count(store, "deployments") == 1


def deployment_state(store: Store) -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in rows(
            store,
            "SELECT external_id, environment, sha, status, started_at, finished_at "
            "FROM deployments ORDER BY external_id",
        )
    ]


def status_event(state: str, created_at: str) -> dict[str, Any]:
    document = load("deployment_status/payload.json")
    document["deployment_status"] = {
        **document["deployment_status"],
        "state": state,
        "created_at": created_at,
    }
    return document


def test_deployment_events_in_any_order_end_in_the_same_state(store: Store) -> None:
    from dorameter.web import create_app
    from tests.web.conftest import server_settings

    events = [
        ("deployment", load("deployment/payload.json")),
        ("deployment_status", status_event("in_progress", "2019-05-15T15:21:00Z")),
        ("deployment_status", status_event("success", "2019-05-15T15:22:00Z")),
    ]
    finals = set()
    for order in itertools.permutations(events):
        with store.engine.begin() as connection:
            from sqlalchemy import text

            connection.execute(text("DELETE FROM shipped"))
            connection.execute(text("DELETE FROM deployments"))
            connection.execute(text("DELETE FROM raw_events"))
        with TestClient(create_app(server_settings(store), store)) as client:
            for event, document in order:
                assert send(client, event, document).status_code == 202
            settled(store)
        finals.add(tuple(deployment_state(store)))
    assert len(finals) == 1
    (final,) = finals
    assert [row[3] for row in final] == ["success"]


def test_a_failed_status_is_stored_as_a_failure(client: TestClient, store: Store) -> None:
    extra = FIXTURES / "github-webhooks" / "extra" / "deployment_status__failure.json"

    send(client, "deployment_status", extra.read_bytes())
    settled(store)

    assert [row[3] for row in deployment_state(store)] == ["failure"]


def test_a_review_before_its_pull_request_ends_as_in_order(store: Store) -> None:
    from dorameter.web import create_app
    from tests.web.conftest import server_settings

    review = load("pull_request_review/submitted.payload.json")
    pull = load("pull_request/opened.payload.json")
    pull["repository"] = review["repository"]
    pull["pull_request"]["number"] = review["pull_request"]["number"]
    with TestClient(create_app(server_settings(store), store)) as client:
        send(client, "pull_request_review", review)
        settled(store)
        send(client, "pull_request", pull)
        settled(store)

    owner = rows(store, "SELECT external_id FROM pull_requests")[0][0]
    assert [row[0] for row in rows(store, "SELECT pull_request FROM reviews")] == [owner]


def test_a_merged_pull_request_keeps_its_merge(client: TestClient, store: Store) -> None:
    closed = load("pull_request/closed.payload.json")
    opened = load("pull_request/opened.payload.json")
    closed["pull_request"] |= {
        "merged": True,
        "merged_at": closed["pull_request"]["closed_at"],
        "merge_commit_sha": "c" * 40,
    }
    opened["pull_request"]["number"] = closed["pull_request"]["number"]
    opened["repository"] = closed["repository"]

    send(client, "pull_request", closed)
    settled(store)
    send(client, "pull_request", opened)  # older: arrives late, changes nothing
    settled(store)

    found = rows(store, "SELECT state, merge_commit_sha FROM pull_requests")
    assert [tuple(row) for row in found] == [("merged", "c" * 40)]


@pytest.mark.parametrize("order", [("opened", "closed"), ("closed", "opened")])
def test_a_pull_request_closed_without_merging_stays_closed_and_unmerged(
    client: TestClient, store: Store, order: tuple[str, str]
) -> None:
    for action in order:
        send(client, "pull_request", load(f"pull_request/{action}.payload.json"))
        settled(store)

    found = rows(store, "SELECT state, merged_at, merge_commit_sha, closed_at FROM pull_requests")
    closed_at = to_micros(datetime(2019, 5, 15, 15, 21, 18, tzinfo=UTC))
    assert [tuple(row) for row in found] == [("closed", None, None, closed_at)]


def test_ready_for_review_records_when_the_draft_became_ready(
    client: TestClient, store: Store
) -> None:
    send(client, "pull_request", load("pull_request/ready_for_review.payload.json"))
    settled(store)

    assert rows(store, "SELECT ready_at FROM pull_requests")[0][0] is not None


def incident_issue(action: str, state: str, updated_at: str) -> dict[str, Any]:
    document = load("issues/opened.payload.json")
    document["action"] = action
    document["issue"] |= {
        "labels": [{"name": "Incident"}, {"name": "sev2"}],
        "state": state,
        "updated_at": updated_at,
        "closed_at": updated_at if state == "closed" else None,
    }
    return document


def test_issues_with_an_incident_label_are_incidents_in_any_order(store: Store) -> None:
    from dorameter.web import create_app
    from tests.web.conftest import server_settings

    events = [
        incident_issue("opened", "open", "2019-05-15T15:20:00Z"),
        incident_issue("closed", "closed", "2019-05-15T16:00:00Z"),
        incident_issue("reopened", "open", "2019-05-15T17:00:00Z"),
        incident_issue("closed", "closed", "2019-05-15T18:00:00Z"),
    ]
    finals = set()
    for order in itertools.permutations(events):
        with store.engine.begin() as connection:
            from sqlalchemy import text

            connection.execute(text("DELETE FROM incidents"))
            connection.execute(text("DELETE FROM raw_events"))
        with TestClient(create_app(server_settings(store), store)) as client:
            for document in order:
                send(client, "issues", document)
            settled(store)
        finals.add(
            tuple(
                tuple(row)
                for row in rows(store, "SELECT external_id, started_at, resolved_at FROM incidents")
            )
        )
    assert len(finals) == 1
    ((_, _started, resolved),) = next(iter(finals))
    assert resolved == to_micros(datetime(2019, 5, 15, 18, tzinfo=UTC))  # the last closing


def test_an_issue_without_the_label_is_ignored(client: TestClient, store: Store) -> None:
    send(client, "issues", load("issues/opened.payload.json"))
    settled(store)

    assert count(store, "incidents") == 0
    assert raw_statuses(store)[0][2] == "ignored"


def test_missing_event_header_and_form_bodies_are_refused(client: TestClient, store: Store) -> None:
    body = dumps(load("deployment/payload.json"))
    headers = github_headers("deployment", body)
    del headers["X-GitHub-Event"]
    missing = client.post("/hooks/github", content=body, headers=headers)
    form = client.post(
        "/hooks/github",
        content=body,
        headers={
            **github_headers("deployment", body),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )

    assert missing.status_code == 400
    assert form.status_code == 415
    assert count(store, "raw_events") == 0


def test_a_payload_missing_required_fields_is_422(client: TestClient, store: Store) -> None:
    document = load("deployment/payload.json")
    del document["deployment"]["sha"]

    answer = send(client, "deployment", document)

    assert answer.status_code == 422
    assert "sha" in answer.json()["error"]["message"]
    assert count(store, "raw_events") == 0
