"""Running a producing iterator in a thread of its own, ahead of the code that consumes it.

A cold git ingest parses git's output (Python) and stores the commits (on PostgreSQL, mostly the
server's work, which the caller waits for with the GIL released). In one thread the two take
turns; with the parse in a thread of its own, Python parses the next commits while the server
stores the last ones.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar, cast

T = TypeVar("T")

_BATCH = 1000  # items per hand-over: one queue operation per item would cost more than parsing
_DEPTH = 16  # batches held ahead of the consumer at most
_POLL = 0.1  # seconds between checks that the consumer still wants more


class _Failed:
    """What the producer raised, handed over to be raised again in the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


class _Producer(Generic[T]):
    def __init__(self, items: Iterable[T]) -> None:
        self.items = items
        self.handed: queue.Queue[object] = queue.Queue(maxsize=_DEPTH)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="read-ahead", daemon=True)

    def _run(self) -> None:
        iterator = iter(self.items)
        batch: list[T] = []
        ending: object = _DONE
        try:
            for item in iterator:
                batch.append(item)
                if len(batch) == _BATCH:
                    if not self._hand(batch):
                        return
                    batch = []
        except BaseException as error:  # any: it is raised again in the consumer
            ending = _Failed(error)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()  # a generator's cleanup (git killed, pipes closed) runs here
        if not batch or self._hand(batch):  # what came before an error arrives first
            self._hand(ending)

    def _hand(self, item: object) -> bool:
        """Queue an item unless the consumer has gone; whether it was queued."""
        while not self.stop.is_set():
            try:
                self.handed.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def consume(self) -> Iterator[T]:
        self.thread.start()
        try:
            while True:
                item = self.handed.get()
                if item is _DONE:
                    return
                if isinstance(item, _Failed):
                    raise item.error
                yield from cast("list[T]", item)
        finally:
            self.stop.set()
            self.thread.join()


def read_ahead(items: Iterable[T]) -> Iterator[T]:
    """The items of `items`, produced by a background thread ahead of the caller.

    Order is kept; what the producer raises is raised in the caller at the same position; if
    the caller stops early (an error while storing), the producer is stopped and closed before
    this generator finishes closing, so no git process or thread outlives the ingest.
    """
    return _Producer(items).consume()
