"""Named locks across processes, so that no sync of one scope runs twice at the same time.

On PostgreSQL a session-level advisory lock (several servers and workers share one database);
on SQLite an exclusive lock on a file beside the database (they share one machine).
"""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

_SYNC_LOCKS = 7_246_514  # advisory lock namespace for named locks


class LockQueries:
    """Mixin for Store: `with store.exclusive("git:shop") as mine:` (mine is False if taken)."""

    engine: Engine

    @contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        """Try to take the named lock without waiting; yield whether this process holds it."""
        if self.engine.dialect.name == "postgresql":
            with self._advisory(name) as held:
                yield held
        else:
            with self._file_lock(name) as held:
                yield held

    @contextmanager
    def _advisory(self, name: str) -> Iterator[bool]:
        key = zlib.crc32(name.encode()) - 2**31
        params = {"space": _SYNC_LOCKS, "key": key}
        with self.engine.connect() as connection:
            held = bool(
                connection.execute(
                    text("SELECT pg_try_advisory_lock(:space, :key)"), params
                ).scalar()
            )
            connection.commit()
            try:
                yield held
            finally:
                if held:
                    connection.execute(text("SELECT pg_advisory_unlock(:space, :key)"), params)
                    connection.commit()

    @contextmanager
    def _file_lock(self, name: str) -> Iterator[bool]:
        database = self.engine.url.database
        if not database or database == ":memory:":
            yield True  # a private database: nobody else can sync into it
            return
        path = Path(f"{database}.locks") / f"{zlib.crc32(name.encode()):08x}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
