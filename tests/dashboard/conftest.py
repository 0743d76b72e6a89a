"""Fixtures for the read edges: the demo organisation in each store, and an app over it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from dorameter.config import ServerSettings, Settings
from dorameter.demo import DemoOptions, generate_demo
from dorameter.store import Store, open_store
from dorameter.tokens import generate_token
from dorameter.web import create_app
from tests.conftest import _postgres_database

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette nudges towards another httpx package
    from fastapi.testclient import TestClient

TODAY = date(2026, 11, 22)
END = datetime(2026, 11, 22, tzinfo=UTC)
# The demo's last quarter: every URL in these tests names it, so results do not depend on now.
QUARTER = "until=2026-11-22&last=90d"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A store holding the small demo organisation, made once per test module and database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
        _fill(url)
        yield url
    else:
        for url in _postgres_database():
            _fill(url)
            yield url


def _fill(url: str) -> None:
    store = open_store(url)
    try:
        generate_demo(store, Settings(database_url=url), DemoOptions(seed=7, today=TODAY))
    finally:
        store.close()


@pytest.fixture
def demo_store(demo_url: str) -> Iterator[Store]:
    store = open_store(demo_url)
    try:
        yield store
    finally:
        store.close()


def started(store: Store, read_auth: bool = False) -> TestClient:
    settings = Settings(database_url=store.url, server=ServerSettings(read_auth=read_auth))
    return TestClient(create_app(settings, store))


@pytest.fixture
def client(demo_store: Store) -> Iterator[TestClient]:
    """The app over the demo store, started and stopped around the test."""
    with started(demo_store) as running:
        yield running


@pytest.fixture
def empty_client(store: Store) -> Iterator[TestClient]:
    """The app over an empty store."""
    with started(store) as running:
        yield running


@pytest.fixture
def token(demo_store: Store) -> str:
    made = generate_token()
    demo_store.add_token(f"reader-{made.prefix}", made.hash, made.prefix)
    return made.secret
