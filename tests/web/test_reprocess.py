"""The raw log: a parser bug keeps the event as failed, reprocess applies it after the fix;
pending events are applied at start; concurrent deliveries share the single writer."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from dorameter import events
from dorameter.config import Settings
from dorameter.events import Received, reprocess
from dorameter.model import EventRecords
from dorameter.store import RawStatus, Store
from dorameter.web import create_app
from tests.web.conftest import TestClient, count, dumps, raw_statuses, rows, settled

DEPLOYMENT = {"service": "shop", "sha": "abc1234", "finished_at": "2026-03-02T10:00:00Z"}


def broken(_received: Received, _document: Any, _settings: Settings) -> EventRecords:
    raise KeyError("a parser bug")


def test_a_parser_bug_keeps_the_event_and_reprocess_applies_it_after_the_fix(
    store: Store, settings: Settings, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed = events.PARSERS["api"]
    monkeypatch.setitem(events.PARSERS, "api", broken)
    with TestClient(create_app(settings, store)) as client:
        answer = client.post("/api/v1/deployments", json=DEPLOYMENT, headers=auth)
        settled(store)
    failed = rows(store, "SELECT status, error FROM raw_events")

    monkeypatch.setitem(events.PARSERS, "api", fixed)
    report = reprocess(store, settings)

    assert answer.status_code == 202  # the raw event is safe, so the sender need not resend
    assert failed[0][0] == "failed" and "KeyError" in failed[0][1]
    assert report.read == 1 and report.outcomes == {"processed": 1}
    assert count(store, "deployments") == 1
    assert raw_statuses(store)[0][2] == "processed"


def test_events_left_pending_are_applied_when_the_server_starts(
    store: Store, settings: Settings
) -> None:
    received = Received(
        "api", "deployment", dumps(DEPLOYMENT), {}, datetime(2026, 3, 2, tzinfo=UTC)
    )
    with store.engine.begin() as connection:
        store.append_raw(connection, received.raw())  # as if the server died right after

    with TestClient(create_app(settings, store)) as client:
        assert client.get("/healthz").status_code == 200
        assert count(store, "deployments") == 1
    assert raw_statuses(store)[0][2] == RawStatus.PROCESSED


def test_reprocessing_everything_again_changes_nothing(
    client: TestClient, store: Store, settings: Settings, auth: dict[str, str]
) -> None:
    client.post("/api/v1/deployments", json=DEPLOYMENT, headers=auth)
    client.post("/api/v1/incidents", json={"service": "shop", "id": "I-1"}, headers=auth)
    settled(store)
    before = [tuple(row) for row in rows(store, "SELECT * FROM deployments")]

    report = reprocess(store, settings, statuses=None)

    assert report.read == 2
    assert [tuple(row) for row in rows(store, "SELECT * FROM deployments")] == before
    assert count(store, "incidents") == 1


def test_concurrent_deliveries_all_land(
    client: TestClient, store: Store, auth: dict[str, str]
) -> None:
    answers: list[int] = []
    lock = threading.Lock()

    def deliver(worker: int) -> None:
        for number in range(25):
            document = {**DEPLOYMENT, "id": f"d-{worker}-{number}"}
            status = client.post("/api/v1/deployments", json=document, headers=auth).status_code
            with lock:
                answers.append(status)

    threads = [threading.Thread(target=deliver, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    settled(store)

    assert answers == [202] * 200
    assert count(store, "deployments") == 200
    assert {status for *_, status in raw_statuses(store)} == {"processed"}
