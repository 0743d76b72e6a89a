"""The background producer of a cold git ingest: order, errors and early stops."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from dorameter.read_ahead import read_ahead


def test_every_item_arrives_in_order_across_many_hand_overs() -> None:
    assert list(read_ahead(range(25_003))) == list(range(25_003))
    assert list(read_ahead([])) == []


def test_the_items_come_from_another_thread() -> None:
    def producer() -> Iterator[str]:
        yield threading.current_thread().name

    assert list(read_ahead(producer())) != [threading.current_thread().name]


def test_an_error_of_the_producer_is_raised_after_the_items_before_it() -> None:
    def failing() -> Iterator[int]:
        yield from range(1500)
        raise ValueError("git stopped")

    received: list[int] = []
    with pytest.raises(ValueError, match="git stopped"):
        for item in read_ahead(failing()):
            received.append(item)
    assert received == list(range(1500))


def test_a_consumer_that_stops_early_stops_and_closes_the_producer() -> None:
    closed = threading.Event()
    produced: list[int] = []

    def endless() -> Iterator[int]:
        try:
            count = 0
            while True:
                produced.append(count)
                yield count
                count += 1
        finally:
            closed.set()  # where a git stream kills git and closes its pipes

    before = threading.active_count()
    items = read_ahead(endless())
    assert next(items) == 0
    items.close()  # what a failed insert does to the generator it was draining

    assert closed.is_set()
    assert threading.active_count() == before
    assert len(produced) < 100_000  # bounded: the producer waited for room, then stopped
