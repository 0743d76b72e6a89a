"""GitLab webhooks: every fixture payload, what is stored, redelivery."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dorameter.store import Store
from tests.web.conftest import (
    FIXTURES,
    GITLAB_TOKEN,
    TestClient,
    count,
    dumps,
    raw_statuses,
    rows,
    settled,
)

PAYLOADS = sorted((FIXTURES / "gitlab-webhooks").glob("*.json"))
# Its object_attributes keys end in spaces ("iid "): GitLab never sends that, and the answer
# must be a 422 naming the field, with nothing stored.
MALFORMED = {"group_merge_request.json"}


def send(client: TestClient, body: bytes, uuid: str | None = None) -> Any:
    headers = {"X-Gitlab-Token": GITLAB_TOKEN, "Content-Type": "application/json"}
    if uuid:
        headers["X-Gitlab-Event-UUID"] = uuid
    return client.post("/hooks/gitlab", content=body, headers=headers)


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / "gitlab-webhooks" / name).read_text())
    return document


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda path: path.name)
def test_every_fixture_payload_is_accepted_and_none_fails(
    client: TestClient, store: Store, path: Path
) -> None:
    answer = send(client, path.read_bytes())
    settled(store)

    if path.name in MALFORMED:
        assert answer.status_code == 422
        assert count(store, "raw_events") == 0
        return
    assert answer.status_code == 202, answer.text
    assert [status for *_, status in raw_statuses(store)] in (["processed"], ["ignored"])


def test_what_the_fixtures_store(client: TestClient, store: Store) -> None:
    for name in [
        "merge_request.json",
        "note_merge_request.json",
        "pipeline.json",
        "deployment.json",
        "release.json",
        "push.json",
        "tag_push.json",
        "wiki_page.json",
    ]:
        send(client, (FIXTURES / "gitlab-webhooks" / name).read_bytes())
    settled(store)

    assert count(store, "pull_requests") == 1
    assert count(store, "pull_request_commits") == 1
    assert count(store, "reviews") == 1
    assert count(store, "pipeline_runs") == 1
    assert count(store, "deployments") == 2  # the deployment and the release
    assert count(store, "commits") == 0
    ignored = [event for _, event, status in raw_statuses(store) if status == "ignored"]
    assert ignored == ["push", "tag_push", "wiki_page"]


def test_a_redelivery_with_the_same_event_uuid_changes_nothing(
    client: TestClient, store: Store
) -> None:
    body = (FIXTURES / "gitlab-webhooks" / "pipeline.json").read_bytes()

    first = send(client, body, uuid="uuid-1")
    again = send(client, body, uuid="uuid-1")

    assert (first.status_code, again.status_code) == (202, 200)
    assert count(store, "raw_events") == 1


def test_deployment_statuses_in_any_order_end_in_the_same_state(store: Store) -> None:
    from dorameter.web import create_app
    from tests.web.conftest import server_settings

    running = load("deployment.json") | {
        "status": "running",
        "status_changed_at": "2021-04-28 21:50:00 +0200",
    }
    success = load("deployment.json") | {
        "status": "success",
        "status_changed_at": "2021-04-28 21:55:00 +0200",
    }
    finals = []
    for order in ([running, success], [success, running]):
        with store.engine.begin() as connection:
            from sqlalchemy import text

            connection.execute(text("DELETE FROM shipped"))
            connection.execute(text("DELETE FROM deployments"))
            connection.execute(text("DELETE FROM raw_events"))
        with TestClient(create_app(server_settings(store), store)) as client:
            for document in order:
                assert send(client, dumps(document)).status_code == 202
            settled(store)
        finals.append(
            [tuple(row) for row in rows(store, "SELECT status, finished_at FROM deployments")]
        )
    assert finals[0] == finals[1]
    assert finals[0][0][0] == "success"


def test_an_incident_issue_is_an_incident(client: TestClient, store: Store) -> None:
    issue = load("issue.json")
    issue["object_attributes"]["labels"] = [{"title": "incident"}]
    issue["labels"] = [{"title": "incident"}]

    send(client, dumps(issue))
    settled(store)

    assert count(store, "incidents") == 1
