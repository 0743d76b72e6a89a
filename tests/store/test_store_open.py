"""Opening a store: migrations once, clear errors for bad URLs, passwords never shown."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import text

from dorameter.errors import StoreError
from dorameter.store import database as store_database
from dorameter.store import open_store


def test_opening_twice_migrates_once(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []
    real = store_database._run_alembic

    def counted(engine: object) -> None:
        runs.append("migrated")
        real(engine)  # type: ignore[arg-type]

    monkeypatch.setattr(store_database, "_run_alembic", counted)

    first = open_store(store_url)
    second = open_store(store_url)
    try:
        assert runs == ["migrated"]
        with second.engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert [tuple(row) for row in versions] == [(store_database.SCHEMA_REVISION,)]
        assert second.count_rows() == {"commits": 0, "deployments": 0, "incidents": 0}
    finally:
        first.close()
        second.close()


def test_data_survives_reopening(store_url: str) -> None:
    first = open_store(store_url)
    first.write_cursor("git", "shop", {"tips": ["a" * 40]})
    first.close()

    second = open_store(store_url)
    try:
        assert second.read_cursor("git", "shop") == {"tips": ["a" * 40]}
    finally:
        second.close()


def test_an_sqlite_store_creates_its_folder(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "dorameter.db"

    store = open_store(f"sqlite:///{target}")
    store.close()

    assert target.is_file()


def a_closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_postgresql_is_a_store_error_without_the_password() -> None:
    url = f"postgresql://dora:s3cr3t-pw@127.0.0.1:{a_closed_port()}/metrics"

    with pytest.raises(StoreError) as caught:
        open_store(url)

    message = str(caught.value)
    assert "s3cr3t-pw" not in message
    assert "dora:***@127.0.0.1" in message
    assert message.startswith("cannot prepare the database postgresql+psycopg://dora:***@")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("not a url", "'not a url' is not a database URL"),
        ("postgresql//dora:s3cr3t-pw@db/metrics", "'postgresql//dora:***@db/metrics'"),
        ("postgresql://dora:s3cr3t-pw@db:port/metrics", "'postgresql://dora:***@db:port/metrics'"),
        ("nosuchdb://dora:s3cr3t-pw@x/y", "unknown kind of database 'nosuchdb'"),
    ],
)
def test_a_bad_url_is_a_store_error_without_the_password(url: str, shown: str) -> None:
    with pytest.raises(StoreError) as caught:
        open_store(url)

    message = str(caught.value)
    assert shown in message
    assert "s3cr3t-pw" not in message
    assert "\n" not in message


def test_a_bad_url_message_says_what_a_good_one_looks_like() -> None:
    with pytest.raises(StoreError, match=r"sqlite:///path/to/file\.db or postgresql://"):
        open_store("nosuchdb://x")


def test_store_url_hides_the_password() -> None:
    assert store_database.describe_url("postgresql://u:pw@h/d") == "postgresql://u:***@h/d"
    assert store_database.describe_url("sqlite:///tmp/x.db") == "sqlite:///tmp/x.db"
