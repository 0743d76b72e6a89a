"""Read many rows fast: the driver's own tuples, without SQLAlchemy's per-row processing.

A report reads a few hundred thousand rows. Through SQLAlchemy each one becomes a Row, fetched
one by one, and each time column passes through UtcTimestamp's result processor: together
several times the cost of the query itself. The queries stay SQLAlchemy Core (compiled and
cached as usual); only the fetch goes straight to the DBAPI cursor, so times arrive as epoch
microseconds (convert with `from_micros` where a datetime is needed) and booleans as the driver
gives them (0/1 on SQLite).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable


def driver_rows(connection: Connection, query: Executable) -> list[tuple[Any, ...]]:
    """Every row of `query`, as the driver returns it, in one fetch."""
    result = connection.execute(query)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()
