"""The refreshing cache with a controlled data version and builds that wait for the test."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field

import pytest

from dorameter.web.refresh import Build, RefreshingCache

WAIT = 30.0  # seconds before a test gives up on an event; never reached when the code works


@dataclass
class Builds:
    """A stand-in data version, and the builds: which ran, and gates that hold them."""

    version: int = 1
    order: list[str] = field(default_factory=list)
    gates: dict[str, threading.Event] = field(default_factory=dict)
    started: dict[str, threading.Event] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)

    def build(self, key: str, stamp: Hashable = 0) -> Build[tuple[str, int]]:
        """A build of `key`: its value names the version it read; held while a gate is set."""

        def run() -> tuple[Hashable, tuple[str, int]]:
            version = self.version
            self.order.append(key)
            self.started.setdefault(key, threading.Event()).set()
            gate = self.gates.get(key)
            if gate is not None:
                assert gate.wait(WAIT)
            if key in self.failing:
                raise RuntimeError("the store went away")
            return stamp, (key, version)

        return run

    def hold(self, *keys: str) -> None:
        for key in keys:
            self.gates[key] = threading.Event()
            self.started[key] = threading.Event()


@pytest.fixture
def fake() -> Builds:
    return Builds()


def make(fake: Builds, recent: float = 600.0) -> RefreshingCache[tuple[str, int]]:
    return RefreshingCache(
        lambda: fake.version, capacity=8, recent_seconds=recent, check_seconds=0.0
    )


@pytest.fixture
def cache(fake: Builds) -> Iterator[RefreshingCache[tuple[str, int]]]:
    running = make(fake)
    running.start()
    try:
        yield running
    finally:
        for gate in fake.gates.values():
            gate.set()
        running.stop()


def test_a_value_is_built_once_per_version(
    cache: RefreshingCache[tuple[str, int]], fake: Builds
) -> None:
    first = cache.get("a", 0, fake.build("a"))
    again = cache.get("a", 0, fake.build("a"))
    assert first.value == again.value == ("a", 1)
    assert not again.stale and again.built_at == first.built_at
    assert fake.order == ["a"] and cache.hits == 1


def test_while_rebuilding_the_previous_value_answers(
    cache: RefreshingCache[tuple[str, int]], fake: Builds
) -> None:
    cache.get("a", 0, fake.build("a"))
    fake.version = 2
    fake.hold("a")
    meanwhile = cache.get("a", 0, fake.build("a"))
    assert meanwhile.value == ("a", 1) and meanwhile.stale
    assert fake.started["a"].wait(WAIT)  # the rebuild runs ...
    assert cache.get("a", 0, fake.build("a")).value == ("a", 1)  # ... and the old value answers
    fake.gates["a"].set()
    assert cache.wait_idle(WAIT)
    done = cache.get("a", 0, fake.build("a"))
    assert done.value == ("a", 2) and not done.stale


def test_rebuilds_run_one_at_a_time_most_recently_read_first(
    cache: RefreshingCache[tuple[str, int]], fake: Builds
) -> None:
    for key in ("a", "b", "c"):
        cache.get(key, 0, fake.build(key))
    cache.get("b", 0, fake.build("b"))  # read last: b, c, a from newest to oldest
    fake.version = 2
    fake.hold("a", "b", "c")
    cache.get("new", 0, fake.build("new"))  # a view never seen: built on request, fresh
    assert fake.started["b"].wait(WAIT)
    assert not fake.started["c"].is_set() and not fake.started["a"].is_set()  # one at a time
    fake.gates["b"].set()
    assert fake.started["c"].wait(WAIT)
    fake.gates["c"].set()
    fake.gates["a"].set()
    assert cache.wait_idle(WAIT)
    # "new" was built by the request while the worker began; only the worker's order counts.
    assert [key for key in fake.order if key != "new"] == ["a", "b", "c", "b", "c", "a"]
    assert cache.get("new", 0, fake.build("new")).value == ("new", 2)


def test_a_moved_period_is_rebuilt_while_the_previous_one_answers(
    cache: RefreshingCache[tuple[str, int]], fake: Builds
) -> None:
    cache.get("a", "12:00", fake.build("a", "12:00"))
    fake.hold("a")
    moved = cache.get("a", "12:01", fake.build("a", "12:01"))
    assert moved.stale and moved.value == ("a", 1)
    fake.gates["a"].set()
    assert cache.wait_idle(WAIT)
    assert not cache.get("a", "12:01", fake.build("a", "12:01")).stale


def test_views_not_read_lately_are_built_on_request(fake: Builds) -> None:
    cache = make(fake, recent=-1.0)  # nothing counts as recent
    cache.start()
    try:
        cache.get("a", 0, fake.build("a"))
        fake.version = 2
        answer = cache.get("a", 0, fake.build("a"))
        assert answer.value == ("a", 2) and not answer.stale
        moved = cache.get("a", 1, fake.build("a", 1))  # the period moved on: the same
        assert moved.value == ("a", 2) and not moved.stale
        assert cache.wait_idle(WAIT) and fake.order == ["a", "a", "a"]
    finally:
        cache.stop()


def test_without_the_worker_new_data_is_built_on_request(fake: Builds) -> None:
    cache = make(fake)
    cache.get("a", 0, fake.build("a"))
    fake.version = 2
    answer = cache.get("a", 0, fake.build("a"))
    assert answer.value == ("a", 2) and not answer.stale


def test_a_failed_rebuild_is_built_on_request_next(
    cache: RefreshingCache[tuple[str, int]], fake: Builds
) -> None:
    cache.get("a", 0, fake.build("a"))
    fake.version = 2
    fake.failing.add("a")
    assert cache.get("a", 0, fake.build("a")).stale
    assert cache.wait_idle(WAIT)
    with pytest.raises(RuntimeError):
        cache.get("a", 0, fake.build("a"))  # the error reaches the reader, as without the cache
    fake.failing.clear()
    assert cache.get("a", 0, fake.build("a")).value == ("a", 2)


def test_data_that_changes_during_a_rebuild_is_rebuilt_again(
    cache: RefreshingCache[tuple[str, int]], fake: Builds
) -> None:
    cache.get("a", 0, fake.build("a"))
    fake.version = 2
    fake.hold("a")
    cache.get("a", 0, fake.build("a"))
    assert fake.started["a"].wait(WAIT)
    fake.version = 3
    assert cache.get("a", 0, fake.build("a")).stale  # the build under way read version 2
    fake.gates.pop("a").set()
    assert cache.wait_idle(WAIT)
    assert cache.get("a", 0, fake.build("a")).value == ("a", 3)
