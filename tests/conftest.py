"""Fixtures shared by every test folder: a store on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dorameter.store import Store, open_store

POSTGRES_URL = os.environ.get("DORAMETER_TEST_POSTGRES_URL")


def _postgres_database() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip(
            "PostgreSQL not available: set DORAMETER_TEST_POSTGRES_URL or run scripts/test.sh"
        )
    name = f"dorameter_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A URL of an empty database: an SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'dorameter.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An opened, migrated, empty store on each database."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()
