"""Idempotent writes on SQLite and PostgreSQL: commits, deployments, incidents, cursors."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from dorameter.errors import InvalidInput, NotFound
from dorameter.model import DeploymentStatus, Incident
from dorameter.store import Store, UpsertCounts
from dorameter.store.schema import commits, deployments, incidents
from tests.store.store_support import (
    HORIZON,
    REPOSITORY,
    at,
    commit,
    deployment,
    feed,
    linear,
    sha,
    shipped_sets,
    verdicts,
)


def stored_reverts(store: Store) -> dict[str, str | None]:
    """Each stored commit's `reverts` value, by sha."""
    with store.engine.connect() as connection:
        rows = connection.execute(select(commits.c.sha, commits.c.reverts))
        return {commit_sha: reverts for commit_sha, reverts in rows}


def test_inserting_the_same_commits_twice_adds_nothing(store: Store) -> None:
    repository_id = store.ensure_repository(REPOSITORY)
    history = linear("a", "b", "c", "d", "e")

    assert store.insert_commits(repository_id, history) == 5
    assert store.insert_commits(repository_id, history) == 0
    assert store.count_rows()["commits"] == 5
    # An overlapping batch adds only what is new.
    assert store.insert_commits(repository_id, [*history[3:], commit("f", "e")]) == 1
    assert store.count_rows()["commits"] == 6


def test_the_same_commit_in_two_repositories_is_stored_twice(store: Store) -> None:
    history = linear("a", "b")

    assert store.insert_commits(store.ensure_repository("shop"), history) == 2
    assert store.insert_commits(store.ensure_repository("shop-fork"), history) == 2
    assert store.count_rows()["commits"] == 4


def test_ensure_repository_and_service_return_the_same_id_for_the_same_name(store: Store) -> None:
    first = store.ensure_repository("shop", "/src/shop")

    assert store.ensure_repository("shop") == first
    assert store.ensure_repository("api") != first
    assert store.ensure_service("shop") == store.ensure_service("shop")


def test_an_abbreviated_revert_sha_is_expanded(store: Store) -> None:
    repository_id = store.ensure_repository(REPOSITORY)
    history = [
        commit("a"),
        commit("b", "a"),
        commit("r", "b", subject='Revert "Commit b"', reverts=sha("b")[:7]),
    ]

    store.insert_commits(repository_id, history)

    assert stored_reverts(store)[sha("r")] == sha("b")


def test_a_revert_of_a_commit_not_yet_known_is_expanded_when_it_arrives(store: Store) -> None:
    repository_id = store.ensure_repository(REPOSITORY)
    # A partial sync: the revert arrives first, the commit it reverts later.
    store.insert_commits(repository_id, [commit("r", "b", reverts=sha("b")[:10])])
    assert stored_reverts(store)[sha("r")] == sha("b")[:10]

    store.insert_commits(repository_id, [commit("a"), commit("b", "a")])

    assert stored_reverts(store)[sha("r")] == sha("b")


def test_an_ambiguous_abbreviated_revert_is_left_as_it_is(store: Store) -> None:
    repository_id = store.ensure_repository(REPOSITORY)
    twins = ["abcdef1" + "1" * 33, "abcdef2" + "2" * 33]
    history = [
        commit("x", full_sha=twins[0]),
        commit("y", full_sha=twins[1]),
        commit("r", subject="Revert", reverts="abcdef"),
    ]

    store.insert_commits(repository_id, history)

    assert stored_reverts(store)[sha("r")] == "abcdef"


def test_upsert_deployments_counts_added_updated_and_unchanged(store: Store) -> None:
    one = deployment("shop-1", "a", 1)
    two = deployment("shop-2", "b", 2)

    assert store.upsert_deployments([one, two]) == UpsertCounts(added=2)
    assert store.upsert_deployments([one, two]) == UpsertCounts(unchanged=2)
    assert store.upsert_deployments([one, replace(two, sha=sha("c"))]) == UpsertCounts(
        updated=1, unchanged=1
    )
    three = deployment("shop-3", "d", 3)
    assert store.upsert_deployments([three, one, replace(two, ref="v2")]) == UpsertCounts(
        added=1, updated=1, unchanged=1
    )
    assert store.count_rows()["deployments"] == 3


def test_an_id_repeated_in_one_batch_is_one_record_and_the_last_one_wins(store: Store) -> None:
    first = deployment("shop-1", "a", 1)
    again = replace(first, sha=sha("b"))

    assert store.upsert_deployments([first, again]) == UpsertCounts(added=1)
    assert stored_versions(store) == {"shop-1": sha("b")}
    assert store.upsert_deployments([first, again, again]) == UpsertCounts(unchanged=1)
    assert stored_versions(store) == {"shop-1": sha("b")}
    assert store.upsert_deployments([again, first]) == UpsertCounts(updated=1)
    assert stored_versions(store) == {"shop-1": sha("a")}
    assert store.count_rows()["deployments"] == 1


def stored_versions(store: Store) -> dict[str, str]:
    with store.engine.connect() as connection:
        rows = connection.execute(select(deployments.c.external_id, deployments.c.sha))
        return {external_id: version for external_id, version in rows}


def test_re_upserting_identical_data_changes_nothing(store: Store) -> None:
    history = linear("a", "b", "c")
    found = [deployment("shop-1", "b", 1), deployment("shop-2", "c", 2)]
    assert feed(store, history, found) == 2
    before = (shipped_sets(store, "abc"), verdicts(store))

    assert store.upsert_deployments(found) == UpsertCounts(unchanged=2)
    assert store.attribute_pending(HORIZON) == 0  # nothing needed walking again
    assert store.insert_commits(store.ensure_repository(REPOSITORY), history) == 0
    assert store.attribute_pending(HORIZON) == 0
    assert (shipped_sets(store, "abc"), verdicts(store)) == before


def test_a_change_that_does_not_touch_attribution_keeps_it(store: Store) -> None:
    found = [deployment("shop-1", "b", 1), deployment("shop-2", "c", 2)]
    feed(store, linear("a", "b", "c"), found)

    assert store.upsert_deployments([replace(found[0], ref="v1.0.0")]) == UpsertCounts(updated=1)
    assert store.attribute_pending(HORIZON) == 0


def incident(external_id: str, start_hours: float, **fields: object) -> Incident:
    base = Incident(
        service="shop", external_id=external_id, source="test", started_at=at(start_hours)
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def stored_incident(store: Store, external_id: str) -> dict[str, object]:
    with store.engine.connect() as connection:
        row = connection.execute(
            select(incidents).where(incidents.c.external_id == external_id)
        ).one()
    return {
        key: row._mapping[key] for key in ("started_at", "resolved_at", "title", "change_caused")
    }


def test_upsert_incidents_counts_and_updates(store: Store) -> None:
    outage = incident("inc-1", 1, title="Checkout down")
    slow = incident("inc-2", 2, title="Slow search", change_caused=False)

    assert store.upsert_incidents([outage, slow]) == UpsertCounts(added=2)
    assert store.upsert_incidents([outage, slow]) == UpsertCounts(unchanged=2)
    resolved = replace(outage, resolved_at=at(3))
    assert store.upsert_incidents([resolved, slow]) == UpsertCounts(updated=1, unchanged=1)

    assert store.count_rows()["incidents"] == 2
    assert stored_incident(store, "inc-1") == {
        "started_at": at(1),
        "resolved_at": at(3),
        "title": "Checkout down",
        "change_caused": None,
    }
    assert stored_incident(store, "inc-2")["change_caused"] is False


def test_resolve_incident_sets_the_resolution(store: Store) -> None:
    store.upsert_incidents([incident("inc-1", 1)])

    store.resolve_incident("inc-1", at(2.5))
    assert stored_incident(store, "inc-1")["resolved_at"] == at(2.5)
    store.resolve_incident("inc-1", at(1))  # resolved the moment it started: allowed
    assert stored_incident(store, "inc-1")["resolved_at"] == at(1)


def test_resolve_incident_of_an_unknown_id_is_not_found(store: Store) -> None:
    store.upsert_incidents([incident("inc-1", 1)])

    with pytest.raises(NotFound, match="inc-404"):
        store.resolve_incident("inc-404", at(2))


def test_resolve_incident_before_it_started_is_invalid(store: Store) -> None:
    store.upsert_incidents([incident("inc-1", 1)])

    with pytest.raises(InvalidInput, match="before the incident started"):
        store.resolve_incident("inc-1", at(1) - timedelta(microseconds=1))
    assert stored_incident(store, "inc-1")["resolved_at"] is None


def test_cursors_round_trip(store: Store) -> None:
    assert store.read_cursor("git", "shop") is None

    store.write_cursor("git", "shop", {"tips": ["a" * 40], "location": "/src/shop"})
    store.write_cursor("github", "shop", 42)
    assert store.read_cursor("git", "shop") == {"tips": ["a" * 40], "location": "/src/shop"}
    assert store.read_cursor("github", "shop") == 42

    store.write_cursor("git", "shop", {"tips": []})  # replaces, never adds
    assert store.read_cursor("git", "shop") == {"tips": []}
    assert store.read_cursor("git", "api") is None


def test_failed_attempts_are_stored_but_ship_nothing(store: Store) -> None:
    found = [
        deployment("shop-1", "b", 1, status=DeploymentStatus.FAILURE),
        deployment("shop-2", "c", 2),
    ]

    feed(store, linear("a", "b", "c"), found)

    assert shipped_sets(store, "abc") == {"shop-2": frozenset("abc")}
    assert verdicts(store)["shop-1"] == (True, False, False, None)
