"""Fixtures for the server tests: an app over each store, a token, signed-request helpers."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from dorameter.config import ServerSettings, Settings
from dorameter.store import Store
from dorameter.tokens import generate_token
from dorameter.web import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette nudges towards another httpx package
    from fastapi.testclient import TestClient

FIXTURES = Path(__file__).parents[2].parent / "shared" / "fixtures"
GITHUB_SECRET = "It's a Secret to Everybody"
GITLAB_TOKEN = "gitlab-shared-token"
PAGERDUTY_SECRET = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK"
OPSGENIE_TOKEN = "opsgenie-shared-token"


def server_settings(store: Store, **changes: Any) -> Settings:
    server = ServerSettings(
        github_secret=GITHUB_SECRET,
        gitlab_token=GITLAB_TOKEN,
        pagerduty_secret=PAGERDUTY_SECRET,
        opsgenie_token=OPSGENIE_TOKEN,
        **changes,
    )
    return Settings(database_url=store.url, server=server)


@pytest.fixture
def settings(store: Store) -> Settings:
    return server_settings(store)


@pytest.fixture
def client(store: Store, settings: Settings) -> Iterator[TestClient]:
    """The app over the store, started (its writer runs) and stopped around the test."""
    with TestClient(create_app(settings, store)) as started:
        yield started


@pytest.fixture
def token(store: Store) -> str:
    made = generate_token()
    store.add_token("tests", made.hash, made.prefix)
    return made.secret


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def fixture_bytes(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


def github_headers(event: str, body: bytes, delivery: str | None = None) -> dict[str, str]:
    signature = hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": f"sha256={signature}",
        "Content-Type": "application/json",
    }


def pagerduty_headers(body: bytes) -> dict[str, str]:
    signature = hmac.new(PAGERDUTY_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-PagerDuty-Signature": f"v1={signature}", "Content-Type": "application/json"}


def rows(store: Store, query: str) -> list[Any]:
    with store.engine.connect() as connection:
        return list(connection.execute(text(query)))


def count(store: Store, table: str) -> int:
    return int(rows(store, f"SELECT COUNT(*) FROM {table}")[0][0])


def raw_statuses(store: Store) -> list[tuple[str, str, str]]:
    """(source, event type, status) of every raw event, in arrival order."""
    return [
        (row[0], row[1], row[2])
        for row in rows(store, "SELECT source, event_type, status FROM raw_events ORDER BY id")
    ]


def dumps(document: Any) -> bytes:
    return json.dumps(document).encode()


def settled(store: Store, timeout: float = 10.0) -> None:
    """Wait until the writer has applied every raw event (answers come before applying)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not rows(store, "SELECT id FROM raw_events WHERE status = 'pending'"):
            return
        time.sleep(0.01)
    raise AssertionError("raw events still pending after the timeout")
