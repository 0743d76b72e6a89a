"""Open a store from a SQLAlchemy URL and bring its schema to the current migration."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from dorameter.errors import StoreError

DATABASE_URL_ENV = "DORAMETER_DATABASE_URL"
SCHEMA_REVISION = "0008"  # the newest migration in store/migrations/versions
MIGRATIONS = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 7_246_512  # advisory lock id: one migrator at a time on a shared server


def data_folder(environ: Mapping[str, str] | None = None) -> Path:
    """Where dorameter keeps its files: $XDG_DATA_HOME/dorameter (~/.local/share/dorameter)."""
    env = os.environ if environ is None else environ
    return Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "dorameter"


def default_database_url(environ: Mapping[str, str] | None = None) -> str:
    """The URL from DORAMETER_DATABASE_URL, else an SQLite file in the user's data folder."""
    env = os.environ if environ is None else environ
    if env.get(DATABASE_URL_ENV):
        return env[DATABASE_URL_ENV]
    return f"sqlite:///{data_folder(env) / 'dorameter.db'}"


def describe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _hide_password(url)


def _hide_password(text: str) -> str:
    """Hide what follows "user:" up to the last "@" in text that is not a parseable URL."""
    head, at, host = text.rpartition("@")
    slashes = head.find("//")
    start = slashes + 2 if slashes >= 0 else 0
    user, colon, _password = head[start:].partition(":")
    if not at or not colon:
        return text
    return f"{head[:start]}{user}:***@{host}"


def _reason(exc: BaseException) -> str:
    """The driver's own message on one line, without SQLAlchemy's background links."""
    original = getattr(exc, "orig", None) or exc
    return " ".join(str(original).split())


def create_store_engine(url: str) -> Engine:
    """An engine for the URL, with SQLite tuned for one writer and many readers."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver we ship
    if parsed.get_backend_name() == "sqlite":
        _ensure_sqlite_folder(parsed)
    try:
        engine = create_engine(parsed, future=True)
    except NoSuchModuleError:
        raise StoreError(
            f"cannot open database {describe_url(url)}: unknown kind of database "
            f"{parsed.drivername!r}; use sqlite:///path/to/file.db or postgresql://user@host/dbname"
        ) from None
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise StoreError(f"cannot open database {describe_url(url)}: {_reason(exc)}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)
    return engine


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        raise StoreError(
            f"{describe_url(url)!r} is not a database URL; use for example "
            "sqlite:///path/to/file.db or postgresql://user@host/dbname"
        ) from None


def _ensure_sqlite_folder(url: URL) -> None:
    if url.database and url.database != ":memory:":
        folder = Path(url.database).expanduser().resolve().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for the database {folder}: {exc}") from exc


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Upgrade the schema to SCHEMA_REVISION; cheap when it is already there."""
    try:
        if _current_revision(engine) == SCHEMA_REVISION:
            return
        _run_alembic(engine)
    except SQLAlchemyError as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise StoreError(f"cannot prepare the database {where}: {_reason(exc)}") from exc


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        try:
            row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        except SQLAlchemyError:
            return None
    return None if row is None else str(row[0])


def _run_alembic(engine: Engine) -> None:
    from alembic import command  # noqa: PLC0415 (lazy: only needed when the schema changes)
    from alembic.config import Config  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_MIGRATION_LOCK}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
