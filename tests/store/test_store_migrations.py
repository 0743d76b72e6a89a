"""The Alembic migrations build exactly the schema the queries use, and upgrade old stores."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from dorameter.model import Commit
from dorameter.store import database, open_store
from dorameter.store.schema import metadata


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
