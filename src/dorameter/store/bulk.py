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
) -> int:
    """Insert rows, skipping those whose `conflict` columns exist already; returns inserted."""
    if connection.dialect.name == "postgresql":
        return _copy_postgresql(connection, table, columns, rows, conflict)
    return _executemany_sqlite(connection, table, columns, rows, conflict)


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
