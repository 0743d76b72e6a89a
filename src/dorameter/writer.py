"""The single writer: one thread owns every write of the server, in batched transactions.

Requests hand their raw event to `submit` and wait on the returned future. The thread takes
everything queued (up to `max_batch`), appends it to the raw log in ONE transaction, commits,
resolves the futures (so each answer goes out only once its raw event is durable), and then
applies the batch's records. Concurrent deliveries therefore never meet "database is locked"
on SQLite, and a commit is shared by every delivery that arrived meanwhile.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dorameter.config import Settings
from dorameter.errors import StoreError
from dorameter.events import Outcome, Pending, Received, apply_events
from dorameter.model import EventRecords
from dorameter.store import RawStatus, Store

log = logging.getLogger("dorameter.writer")
_TOKEN_TOUCH_EVERY = 60.0  # seconds between writes of tokens' last use
_ATTRIBUTE_EVERY = 1.0  # seconds between attributions while deliveries keep coming


@dataclass(frozen=True)
class Accepted:
    """The answer to a submitted delivery."""

    raw_id: int | None  # None: the delivery id was seen before, nothing was written
    outcome: Outcome | None = None  # what became of it, when the caller waited for it

    @property
    def duplicate(self) -> bool:
        return self.raw_id is None


@dataclass
class _Job:
    received: Received
    records: EventRecords | None  # None: normalising failed (a parser bug): stored as failed
    error: str | None
    wait_applied: bool
    future: Future[Accepted] = field(default_factory=Future)


class EventWriter:
    """Owns all writes of one server process; see the module docstring."""

    def __init__(self, store: Store, settings: Settings, max_batch: int = 500) -> None:
        self._store = store
        self._settings = settings
        self._max_batch = max_batch
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="dorameter-writer", daemon=True)
        self._used_tokens: set[int] = set()
        self._tokens_written = 0.0
        self._lock = threading.Lock()
        self._attribution_due = False
        self._attributed = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish what is queued, then stop."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def submit(
        self,
        received: Received,
        records: EventRecords | None,
        error: str | None = None,
        wait_applied: bool = False,
    ) -> Future[Accepted]:
        """Queue a delivery; the future resolves once its raw event is committed."""
        job = _Job(received, records, error, wait_applied)
        if not self._thread.is_alive():
            job.future.set_exception(StoreError("the server is shutting down; send it again"))
        else:
            self._queue.put(job)
        return job.future

    def note_token_use(self, token_id: int) -> None:
        """Remember that a token was used (written with a later batch, once a minute)."""
        with self._lock:
            self._used_tokens.add(token_id)

    def _run(self) -> None:
        while True:
            if self._attribution_due and self._queue.empty():
                self._attribute()  # idle: bring attribution up to date
            try:
                job = self._queue.get(timeout=_ATTRIBUTE_EVERY)
            except queue.Empty:
                continue
            if job is None:
                self._attribute()
                return
            jobs = [job]
            stop = False
            while len(jobs) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                jobs.append(more)
            self._write(jobs)
            if self._attribution_due and time.monotonic() - self._attributed >= _ATTRIBUTE_EVERY:
                self._attribute()
            if stop:
                self._attribute()
                return

    def _attribute(self) -> None:
        """Work out which commits the deployments written since last time shipped."""
        if not self._attribution_due:
            return
        self._attribution_due = False
        self._attributed = time.monotonic()
        try:
            self._store.attribute_pending(self._settings.backfill_horizon)
        except Exception as exc:  # the deployments stay unattributed: the next run retries
            self._attribution_due = True
            log.error("attribution failed: %s", " ".join(str(exc).split())[:500])

    def _write(self, jobs: Sequence[_Job]) -> None:
        try:
            ids = self._append(jobs)
        except Exception as exc:  # every waiting request gets an answer
            log.error("raw events not written: %s", " ".join(str(exc).split())[:500])
            failure = StoreError("the store cannot be written right now; send it again")
            for job in jobs:
                job.future.set_exception(failure)
            return
        for job, raw_id in zip(jobs, ids, strict=True):
            if not job.wait_applied or raw_id is None:
                job.future.set_result(Accepted(raw_id))
        pending = [
            Pending(raw_id, job.received.source, job.received.event_type, job.records, job.error)
            for job, raw_id in zip(jobs, ids, strict=True)
            if raw_id is not None
        ]
        if any(item.records and item.records.deployments for item in pending):
            self._attribution_due = True
        try:
            outcomes = apply_events(self._store, self._settings, pending, attribute=False)
        except Exception as exc:  # they stay pending; the next start retries
            log.error("events not applied: %s", " ".join(str(exc).split())[:500])
            outcomes = {
                item.raw_id: Outcome(RawStatus.PENDING, "not applied yet") for item in pending
            }
        for job, raw_id in zip(jobs, ids, strict=True):
            if job.wait_applied and raw_id is not None:
                job.future.set_result(Accepted(raw_id, outcomes.get(raw_id)))

    def _append(self, jobs: Sequence[_Job]) -> list[int | None]:
        with self._store.engine.begin() as connection:
            ids = [self._store.append_raw(connection, job.received.raw(job.error)) for job in jobs]
            now = time.monotonic()
            if self._used_tokens and now - self._tokens_written >= _TOKEN_TOUCH_EVERY:
                with self._lock:
                    used, self._used_tokens = sorted(self._used_tokens), set()
                self._store.touch_tokens(connection, used, datetime.now(UTC))
                self._tokens_written = now
        return ids
