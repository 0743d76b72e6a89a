"""A sync stopped part-way (a crash, Ctrl-C, the network gone) resumes where it stopped and ends
with exactly what one uninterrupted sync stores: nothing duplicated, nothing lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from dorameter.errors import ApiUnavailable
from dorameter.store import Store, open_store
from dorameter.store.schema import (
    commits,
    deployments,
    incidents,
    pipeline_runs,
    pull_request_commits,
    pull_requests,
    reviews,
)
from tests.platforms.fake_github import FakeGitHub
from tests.platforms.github_support import busy_history, plan_for, source_for, sync

PLAN = plan_for("environments,workflow:Deploy@production")
TABLES = (
    commits,
    pull_requests,
    pull_request_commits,
    reviews,
    deployments,
    pipeline_runs,
    incidents,
)


class Crash(Exception):
    """The process dies (a stand-in for kill -9 or a bug)."""


def contents(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row without its surrogate id, sorted: what a user's data is."""
    found = {}
    with store.engine.connect() as connection:
        for table in TABLES:
            columns = [column for column in table.c if column.name not in ("id", "repository_id")]
            rows = connection.execute(select(*columns)).all()
            found[table.name] = sorted(tuple(row) for row in rows)
    return found


def crash_at(fake: FakeGitHub, label: str, nth: int, error: BaseException) -> None:
    """Raise `error` in the transport at the nth request with this label."""
    seen = {"n": 0}

    def fault(request: httpx.Request) -> httpx.Response | None:
        if fake.requests[-1] == label:
            seen["n"] += 1
            if seen["n"] == nth:
                raise error
        return None

    fake.fail(fault)


@pytest.fixture
def reference(tmp_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What one uninterrupted sync of the same history stores."""
    fake = FakeGitHub(page_limit=40)
    busy_history(fake, pulls=120)
    store = open_store(f"sqlite:///{tmp_path / 'reference.db'}")
    sync(store, source_for(fake), PLAN)
    return contents(store)


@pytest.mark.parametrize(
    ("label", "nth"),
    [
        ("GET /repos/acme/shop/commits", 2),
        ("POST graphql:PullRequests", 3),
        ("GET /repos/acme/shop/deployments/N/statuses", 7),
        ("GET /repos/acme/shop/actions/runs", 2),
        ("GET /repos/acme/shop/issues", 1),
    ],
)
def test_a_crash_mid_sync_then_a_resume_stores_exactly_one_full_sync(
    store: Store, reference: dict[str, list[tuple[Any, ...]]], label: str, nth: int
) -> None:
    fake = FakeGitHub(page_limit=40)
    busy_history(fake, pulls=120)
    crash_at(fake, label, nth, Crash())
    with pytest.raises(Crash):
        sync(store, source_for(fake), PLAN)
    fake.faults.clear()
    before = len(fake.requests)

    sync(store, source_for(fake), PLAN)

    assert contents(store) == reference
    resumed = fake.requests[before:]
    if label == "POST graphql:PullRequests":
        # pages 1 and 2 were stored before the crash: only page 3 is read again
        assert resumed.count("POST graphql:PullRequests") == 1


def test_the_network_lost_for_good_fails_cleanly_and_the_next_run_completes(
    store: Store, reference: dict[str, list[tuple[Any, ...]]]
) -> None:
    fake = FakeGitHub(page_limit=40)
    busy_history(fake, pulls=120)
    calls = {"n": 0}

    def unplugged(request: httpx.Request) -> httpx.Response | None:
        calls["n"] += 1
        if calls["n"] > 6:
            raise httpx.ConnectError("Network is unreachable", request=request)
        return None

    fake.fail(unplugged)
    with pytest.raises(ApiUnavailable, match=r"after 5 attempts .*stored so far is kept"):
        sync(store, source_for(fake), PLAN)
    fake.faults.clear()

    sync(store, source_for(fake), PLAN)

    assert contents(store) == reference


def test_an_interrupt_keeps_what_was_stored(store: Store) -> None:
    fake = FakeGitHub(page_limit=40)
    busy_history(fake, pulls=120)
    crash_at(fake, "POST graphql:PullRequests", 2, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        sync(store, source_for(fake), PLAN)

    stored = contents(store)
    assert len(stored["commits"]) == 121  # every commit came first
    assert len(stored["pull_requests"]) == 50  # the first page of pull requests
