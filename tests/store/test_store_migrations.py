"""The Alembic migrations build exactly the schema the queries use, and upgrade old stores."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from dorameter.model import Commit
from dorameter.store import database, open_store
from dorameter.store.schema import metadata
from tests.store.store_support import deployment, feed, linear


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(database.MIGRATIONS))
    return config


def test_schema_revision_is_the_newest_migration() -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head == database.SCHEMA_REVISION


def test_migrated_schema_matches_the_tables_the_code_queries(store_url: str) -> None:
    store = open_store(store_url)
    try:
        with store.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        store.close()
    assert differences == []


def test_a_store_at_the_first_revision_is_upgraded_with_its_data(store_url: str) -> None:
    engine = database.create_store_engine(store_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    moment = datetime(2026, 3, 2, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO repositories (name) VALUES ('old')"))
    engine.dispose()

    store = open_store(store_url)
    try:
        repository_id = store.ensure_repository("old")
        commit = Commit("old", "a" * 40, (), "Ada", "ada@example.com", moment, moment, "First")
        assert store.insert_commits(repository_id, [commit]) == 1
        with store.engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            tables = connection.execute(text("SELECT COUNT(*) FROM pull_requests")).scalar()
        assert version == database.SCHEMA_REVISION
        assert tables == 0
    finally:
        store.close()


def test_service_teams_round_trip(store_url: str) -> None:
    store = open_store(store_url)
    try:
        store.ensure_service("api")
        store.set_service_teams({"api": "payments", "web": "growth"})
        store.set_service_teams({"web": None})
        assert store.service_teams() == {"api": "payments", "web": None}
    finally:
        store.close()


def test_shipped_loses_its_foreign_keys_and_keeps_its_rows(store_url: str) -> None:
    store = open_store(store_url)
    feed(store, linear("a", "b"), [deployment("d1", "b", 1)])
    store.close()
    engine = database.create_store_engine(store_url)
    config = alembic_config()

    def shipped_now() -> tuple[set[str], list[tuple[object, ...]]]:
        referred = {key["referred_table"] for key in inspect(engine).get_foreign_keys("shipped")}
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM shipped ORDER BY commit_id")).all()
        return referred, [tuple(row) for row in rows]

    _, stored = shipped_now()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    before = shipped_now()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    after = shipped_now()
    engine.dispose()

    assert len(stored) == 2  # both commits shipped by the one deployment
    assert before == ({"deployments", "commits"}, stored)
    assert after == (set(), stored)
