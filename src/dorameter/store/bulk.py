"""Fast idempotent bulk inserts: the driver's own executemany (SQLite) or COPY (PostgreSQL).

SQLAlchemy's per-row parameter processing costs more than the database itself when a history
of 100,000 commits arrives at once, so these paths hand plain tuples straight to the driver.
Values must already be in their stored form (times as epoch microseconds).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.engine import Connection


def insert_ignoring_duplicates(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    conflict: Sequence[str],
    *,
    mostly_new: bool = False,
) -> int:
    """Insert rows, skipping those whose `conflict` columns exist already; returns inserted.

    `mostly_new` says duplicates are rare (a git history read past the tips already stored):
    PostgreSQL then first copies the batch straight into the table, in a savepoint, and only
    if a row exists already goes the staging way, which costs a copy and a statement more.
    """
    if connection.dialect.name == "postgresql":
        if mostly_new:
            rows = list(rows)  # a second pass may be needed
            if _copied_if_all_new(connection, table, columns, rows):
                return len(rows)
        return _copy_postgresql(connection, table, columns, rows, conflict)
    return _executemany_sqlite(connection, table, columns, rows, conflict)


def insert_new(
    connection: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert rows that cannot exist yet: the caller deleted them, under a lock, just before.

    Without the conflict check PostgreSQL copies straight into the table, skipping the staging
    table and the INSERT ... SELECT that `insert_ignoring_duplicates` needs; a duplicate after
    all fails the statement (IntegrityError) instead of passing unnoticed.
    """
    raw = connection.connection.driver_connection
    assert raw is not None
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    cursor = raw.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)
    finally:
        cursor.close()


def _executemany_sqlite(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    conflict: Sequence[str],
) -> int:
    raw = connection.connection.driver_connection
    assert raw is not None
    placeholders = ", ".join("?" for _ in columns)
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}) "
        f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    )
    before = raw.total_changes
    cursor = raw.cursor()
    try:
        cursor.executemany(statement, rows)
    finally:
        cursor.close()
    return int(raw.total_changes - before)


def _copied_if_all_new(
    connection: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> bool:
    """Copy the rows straight into the table; False (and nothing stored) if one exists."""
    from psycopg.errors import UniqueViolation  # noqa: PLC0415 - only PostgreSQL stores

    try:
        with connection.begin_nested():
            insert_new(connection, table, columns, rows)
    except UniqueViolation:
        return False
    return True


def _copy_postgresql(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    conflict: Sequence[str],
) -> int:
    raw = connection.connection.driver_connection
    assert raw is not None
    names = ", ".join(columns)
    staging = f"_bulk_{table}"
    with raw.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} "
            f"AS SELECT {names} FROM {table} WITH NO DATA"
        )
        with cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} "
            f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
        )
        inserted = cursor.rowcount
        cursor.execute(f"TRUNCATE {staging}")
    return int(inserted)
