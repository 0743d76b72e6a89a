"""Idempotent writes on SQLite and PostgreSQL: commits, deployments, incidents, cursors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from dorameter.errors import InvalidInput, NotFound
from dorameter.model import DeploymentStatus, Incident
from dorameter.store import Store, UpsertCounts
from dorameter.store.reverts import _sha_bytewise
from dorameter.store.schema import commits, deployments, incidents
from dorameter.store.writes import BATCH
from tests.store.store_support import (
    HORIZON,
    REPOSITORY,
    at,
    commit,
    deployment,
    feed,
    fresh_store_like,
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


def test_a_batch_holding_a_known_commit_stores_the_rest_and_keeps_earlier_batches(
    store: Store,
) -> None:
    # PostgreSQL copies each batch straight into the table and, when a row exists already,
    # rolls that batch back to its savepoint and stores it the staging way: the batch before,
    # in the same transaction, must stay, and nothing may be stored twice.
    repository_id = store.ensure_repository(REPOSITORY)
    history = linear(*(f"c{index}" for index in range(BATCH + 10)))
    known = history[BATCH + 4 : BATCH + 6]
    assert store.insert_commits(repository_id, known) == 2

    assert store.insert_commits(repository_id, history) == BATCH + 8
    with store.engine.connect() as connection:
        stored = list(connection.execute(select(commits.c.sha).order_by(commits.c.id)).scalars())
    assert sorted(stored) == sorted(item.sha for item in history)
    # The new commits keep the history's order; the two known ones came first.
    assert stored[2:] == [item.sha for item in history if item not in known]


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


def test_an_abbreviated_revert_of_a_commit_stored_in_an_earlier_run_is_expanded(
    store: Store,
) -> None:
    repository_id = store.ensure_repository(REPOSITORY)
    store.insert_commits(repository_id, [commit("a"), commit("b", "a")])

    store.insert_commits(repository_id, [commit("r", "b", reverts=sha("a")[:8])])

    assert stored_reverts(store)[sha("r")] == sha("a")


def test_an_abbreviated_revert_naming_no_stored_commit_is_left_as_it_is(store: Store) -> None:
    repository_id = store.ensure_repository(REPOSITORY)
    # "abc9" sorts between the two shas; "fff0" after every one.
    twins = ["abc0" + "0" * 36, "abca" + "a" * 36]
    history = [
        commit("x", full_sha=twins[0]),
        commit("y", full_sha=twins[1]),
        commit("r", reverts="abc9"),
        commit("s", reverts="fff0"),
        commit("t", reverts="abc"),  # shorter than git's shortest abbreviation
    ]

    store.insert_commits(repository_id, history)

    reverts = stored_reverts(store)
    assert (reverts[sha("r")], reverts[sha("s")], reverts[sha("t")]) == ("abc9", "fff0", "abc")


def test_an_abbreviated_revert_matches_by_prefix_only(store: Store) -> None:
    repository_id = store.ensure_repository(REPOSITORY)
    # The range after "abc9" starts at "abc:" (the next character): "abca..." is not in it.
    shas = ["abc9" + "9" * 36, "abca" + "a" * 36, "abcf" + "f" * 36, "abd0" + "0" * 36]
    history = [
        *(commit(name, full_sha=full) for name, full in zip("wxyz", shas, strict=True)),
        commit("r", reverts="abc9"),
        commit("s", reverts="abcf"),
    ]

    store.insert_commits(repository_id, history)

    reverts = stored_reverts(store)
    assert (reverts[sha("r")], reverts[sha("s")]) == (shas[0], shas[2])


def test_an_abbreviated_revert_made_ambiguous_by_a_later_run_is_left_as_it_is(
    store: Store,
) -> None:
    repository_id = store.ensure_repository(REPOSITORY)
    store.insert_commits(repository_id, [commit("r", reverts="abcdef")])

    twins = [commit("x", full_sha="abcdef1" + "1" * 33), commit("y", full_sha="abcdef2" + "2" * 33)]
    store.insert_commits(repository_id, twins)

    assert stored_reverts(store)[sha("r")] == "abcdef"


def test_abbreviated_reverts_resolve_within_their_own_repository(store: Store) -> None:
    shop, fork = store.ensure_repository(REPOSITORY), store.ensure_repository("shop-fork")
    store.insert_commits(fork, [commit("a")])

    store.insert_commits(shop, [commit("r", reverts=sha("a")[:7])])
    store.insert_commits(fork, [commit("r", reverts=sha("a")[:7])])

    query = select(commits.c.repository_id, commits.c.reverts).where(commits.c.sha == sha("r"))
    with store.engine.connect() as connection:
        assert dict(connection.execute(query).all()) == {
            shop: sha("a")[:7],
            fork: sha("a"),
        }


@pytest.fixture
def postgres_store(tmp_path: Path) -> Iterator[Store]:
    """A store on PostgreSQL (skipped without one): only there can shas have a collation."""
    yield from fresh_store_like("postgresql", str(tmp_path))


def collate_shas(store: Store, collation: str) -> None:
    """Give commits.sha a collation of the server's (the test skips when it lacks it)."""
    with store.engine.begin() as connection:
        known = connection.execute(
            text("SELECT 1 FROM pg_collation WHERE collname = :name"), {"name": collation}
        ).first()
        if known is None:
            pytest.skip(f"this PostgreSQL server has no collation {collation!r}")
        connection.execute(
            text(f'ALTER TABLE commits ALTER COLUMN sha TYPE varchar(64) COLLATE "{collation}"')
        )


# Danish sorts "aa" as "å", after "z": "abcaa1..." comes after "abcb...", outside the range
# from "abca" to "abcb" that holds every sha starting with "abca" in byte order.
DANISH_TWINS = ["abcaa1" + "1" * 34, "abca01" + "0" * 34]


def test_on_postgresql_abbreviated_reverts_match_by_prefix_whatever_the_collation(
    postgres_store: Store,
) -> None:
    collate_shas(postgres_store, "da-x-icu")
    repository_id = postgres_store.ensure_repository(REPOSITORY)
    history = [
        *(commit(name, full_sha=full) for name, full in zip("xy", DANISH_TWINS, strict=True)),
        commit("r", reverts="abcaa"),  # only the first starts with it
        commit("s", reverts="abca"),  # both do
    ]

    postgres_store.insert_commits(repository_id, history)

    reverts = stored_reverts(postgres_store)
    assert (reverts[sha("r")], reverts[sha("s")]) == (DANISH_TWINS[0], "abca")


@pytest.mark.parametrize(
    ("collation", "bytewise"),
    [("C", True), ("POSIX", True), ("ucs_basic", True), ("da-x-icu", False)],
)
def test_on_postgresql_index_ranges_are_used_only_for_byte_order_collations(
    postgres_store: Store, collation: str, bytewise: bool
) -> None:
    collate_shas(postgres_store, collation)

    with postgres_store.engine.connect() as connection:
        assert _sha_bytewise(connection) is bytewise


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
