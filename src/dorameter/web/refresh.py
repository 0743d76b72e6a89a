"""A cache that keeps answering while it rebuilds: one value per key, rebuilt in the background.

Each value is built for a data version (read from the store at most once per `check_seconds`)
and a stamp (the period it covers). When the version changes, the entries requested within
`recent_seconds` are queued and one worker thread rebuilds them, most recently requested first;
until then a request for a queued or rebuilding entry gets its previous complete value, marked
stale, and never waits. Entries nobody asked for lately are dropped, so they are built on request
again, as is any key never seen before (and every key while the worker is not running).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

log = logging.getLogger("dorameter.web")

V = TypeVar("V")
# Builds the value for the stamp current when it runs: -> (that stamp, the value).
Build = Callable[[], tuple[Hashable, V]]


@dataclass(frozen=True)
class Cached(Generic[V]):
    """A value and when its build started (its data is as of then)."""

    value: V
    built_at: datetime
    stale: bool  # newer data exists and its value is being built; this is the previous one


@dataclass
class _Entry(Generic[V]):
    value: V
    version: Hashable
    stamp: Hashable
    built_at: datetime
    build: Build[V]
    used: float  # monotonic time of the last request


class RefreshingCache(Generic[V]):
    """Values per key, kept up to date by a background worker while they are being read."""

    def __init__(
        self,
        read_version: Callable[[], Hashable],
        *,
        capacity: int,
        recent_seconds: float,
        check_seconds: float,
    ) -> None:
        self._read_version = read_version
        self._capacity = capacity
        self._recent = recent_seconds
        self._check = check_seconds
        self._lock = threading.Condition()
        self._version_lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry[V]] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self._pending: dict[Hashable, Hashable] = {}  # key -> stamp wanted
        self._running: Hashable | None = None
        self._version: Hashable | None = None
        self._checked = -float("inf")
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.hits = 0
        self.builds = 0

    def get(self, key: Hashable, stamp: Hashable, build: Build[V]) -> Cached[V]:
        """The value of a key for a stamp: cached, the previous one while rebuilding, or built."""
        # The version check and the look-up are one step, so what a request is told (current,
        # or previous while rebuilding) holds for the version it checked.
        with self._version_lock:
            self._refresh_version()
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None:
                    now = time.monotonic()
                    # Figures from long ago are not worth showing: built on request instead.
                    recent = now - entry.used <= self._recent
                    entry.used, entry.build = now, build
                    self._entries.move_to_end(key)
                    if self._current(entry, stamp):
                        self.hits += 1
                        return Cached(entry.value, entry.built_at, stale=False)
                    if recent and self._background():
                        self._pending[key] = stamp
                        self._lock.notify_all()
                        return Cached(entry.value, entry.built_at, stale=True)
        return self._build_on_request(key, stamp, build)

    def _rebuild_next(self) -> bool:
        """Rebuild the most recently requested queued entry; False when none is queued."""
        with self._lock:
            if not self._pending:
                return False
            key = max(self._pending, key=self._last_used)
            wanted = self._pending.pop(key)
            self._running = key
        try:
            with self._key_lock(key):
                self._rebuild(key, wanted)
        finally:
            with self._lock:
                self._running = None
                self._lock.notify_all()
        return True

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no rebuild is queued or running (for callers that need the new values)."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._pending and self._running is None, timeout)

    def invalidate(self) -> None:
        """Forget every value, so each key is built on request again."""
        with self._lock:
            self._entries.clear()
            self._pending.clear()
            self._checked = -float("inf")

    def start(self) -> None:
        """Start the worker that rebuilds queued entries, one at a time."""
        with self._lock:
            self._stopping = False
            self._thread = threading.Thread(
                target=self._work, name="dorameter-report-rebuild", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the worker after the rebuild in progress (waiting at most `timeout` seconds)."""
        with self._lock:
            self._stopping = True
            self._pending.clear()
            self._lock.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def _work(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: bool(self._pending) or self._stopping)
                if self._stopping:
                    return
            self._rebuild_next()

    def _rebuild(self, key: Hashable, wanted: Hashable) -> None:
        with self._lock:
            entry = self._entries.get(key)
            # Dropped meanwhile, or a request built it first: nothing left to do.
            if entry is None or self._current(entry, wanted):
                return
            version, build = self._version, entry.build
        started = _now()
        try:
            stamp, value = build()
        except Exception:
            log.exception("rebuilding a cached report failed; it is built on request instead")
            with self._lock:
                self._entries.pop(key, None)
            return
        with self._lock:
            # A rebuild is not a request: the entry stays as recent as its last reader made it.
            latest = self._entries.get(key, entry)
            self._store(key, _Entry(value, version, stamp, started, build, latest.used))

    def _build_on_request(self, key: Hashable, stamp: Hashable, build: Build[V]) -> Cached[V]:
        with self._key_lock(key):
            with self._lock:
                # Whoever held the key's lock before has built it: do not build it again.
                entry = self._entries.get(key)
                if entry is not None and self._current(entry, stamp):
                    self.hits += 1
                    return Cached(entry.value, entry.built_at, stale=False)
                version = self._version
            started = _now()
            built_stamp, value = build()
            with self._lock:
                used = time.monotonic()
                self._store(key, _Entry(value, version, built_stamp, started, build, used))
        return Cached(value, started, stale=False)

    def _store(self, key: Hashable, entry: _Entry[V]) -> None:
        """Keep a built value (under the lock); queue it again if the data moved on meanwhile."""
        self.builds += 1
        self._building.pop(key, None)
        self._entries[key] = entry
        self._entries.move_to_end(key)
        if entry.version != self._version and self._background():
            self._pending.setdefault(key, entry.stamp)
            self._lock.notify_all()
        while len(self._entries) > self._capacity:
            oldest, _entry = self._entries.popitem(last=False)
            self._pending.pop(oldest, None)

    def _refresh_version(self) -> None:
        """Read the data version when due (under the version lock, so one reader at a time)."""
        now = time.monotonic()
        if now - self._checked < self._check:
            return
        version = self._read_version()
        self._checked = now
        with self._lock:
            if version != self._version:
                self._version = version
                self._queue_recent(now)

    def _queue_recent(self, now: float) -> None:
        """New data: queue the entries read lately for a rebuild, drop the others (under lock)."""
        for key, entry in list(self._entries.items()):
            if self._background() and now - entry.used <= self._recent:
                self._pending.setdefault(key, entry.stamp)
            else:
                del self._entries[key]
                self._pending.pop(key, None)
        self._lock.notify_all()

    def _current(self, entry: _Entry[V], stamp: Hashable) -> bool:
        return entry.version == self._version and entry.stamp == stamp

    def _background(self) -> bool:
        return self._thread is not None and not self._stopping

    def _last_used(self, key: Hashable) -> float:
        entry = self._entries.get(key)
        return entry.used if entry is not None else -float("inf")

    def _key_lock(self, key: Hashable) -> threading.Lock:
        with self._lock:
            return self._building.setdefault(key, threading.Lock())


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
