"""Attribution kept in step with changing data, on SQLite and PostgreSQL.

Whatever order data arrives in, and whatever is corrected later, the store must end with what a
fresh store fed the final data computes. Expected sets are written by hand; the history is

    a - b - c - d - e        authored one hour apart, a day before T0
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from dorameter.model import DeploymentStatus
from dorameter.store import Store
from tests.store.store_support import (
    HORIZON,
    at,
    before_tracking,
    commit,
    deployment,
    feed,
    linear,
    sha,
    shipped_sets,
    verdicts,
)

NAMES = "abcde"
HISTORY = linear(*NAMES)
UNKNOWN = "f" * 40

ATTRIBUTED = (True, False, False, None)  # attributed, version known, no rollback, no base


def outcome(store: Store) -> tuple[object, object]:
    return shipped_sets(store, NAMES), verdicts(store)


def test_deployments_ship_new_ancestors(store: Store) -> None:
    found = [
        deployment("shop-1", "b", 1),
        deployment("shop-2", "d", 2),
        deployment("shop-3", "d", 3),
    ]

    assert feed(store, HISTORY, found) == 3

    assert shipped_sets(store, NAMES) == {"shop-1": frozenset("ab"), "shop-2": frozenset("cd")}
    assert verdicts(store) == {"shop-1": ATTRIBUTED, "shop-2": ATTRIBUTED, "shop-3": ATTRIBUTED}


def test_a_rollback_is_recorded_with_its_base(store: Store) -> None:
    found = [
        deployment("shop-1", "b", 1),
        deployment("shop-2", "e", 2),
        deployment("shop-3", "d", 3),
    ]

    feed(store, HISTORY, found)

    assert shipped_sets(store, NAMES) == {"shop-1": frozenset("ab"), "shop-2": frozenset("cde")}
    assert verdicts(store)["shop-3"] == (True, False, True, "shop-2")


def test_environments_and_services_are_separate_chains(store: Store) -> None:
    found = [
        deployment("staging-1", "c", 1, environment="staging"),
        deployment("shop-1", "b", 2),
        deployment("shop-2", "c", 3),
        deployment("admin-1", "c", 4, service="admin"),
    ]

    feed(store, HISTORY, found)

    assert shipped_sets(store, NAMES) == {
        "staging-1": frozenset("abc"),
        "shop-1": frozenset("ab"),
        "shop-2": frozenset("c"),
        "admin-1": frozenset("abc"),
    }


def test_changing_a_version_re_attributes_like_a_fresh_store(
    store: Store, fresh_store: Store
) -> None:
    found = [
        deployment("shop-1", "b", 1),
        deployment("shop-2", "d", 2),
        deployment("shop-3", "e", 3),
    ]
    feed(store, HISTORY, found)

    corrected = [found[0], replace(found[1], sha=sha("c")), found[2]]
    assert store.upsert_deployments(corrected).updated == 1
    assert store.attribute_pending(HORIZON) == 2  # shop-2 and everything after it
    feed(fresh_store, HISTORY, corrected)

    assert shipped_sets(store, NAMES) == {
        "shop-1": frozenset("ab"),
        "shop-2": frozenset("c"),
        "shop-3": frozenset("de"),
    }
    assert outcome(store) == outcome(fresh_store)


def test_moving_a_deployment_later_re_attributes_like_a_fresh_store(
    store: Store, fresh_store: Store
) -> None:
    found = [
        deployment("shop-1", "b", 1),
        deployment("shop-2", "d", 2),
        deployment("shop-3", "e", 3),
    ]
    feed(store, HISTORY, found)

    # shop-1 really finished after shop-2: shop-2 shipped a-d, shop-1 went back to b.
    corrected = [replace(found[0], finished_at=at(2.5)), found[1], found[2]]
    assert store.upsert_deployments(corrected).updated == 1
    store.attribute_pending(HORIZON)
    feed(fresh_store, HISTORY, corrected)

    assert shipped_sets(store, NAMES) == {"shop-2": frozenset("abcd"), "shop-3": frozenset("e")}
    assert verdicts(store)["shop-1"] == (True, False, True, "shop-2")
    assert outcome(store) == outcome(fresh_store)


def test_moving_a_deployment_earlier_re_attributes_like_a_fresh_store(
    store: Store, fresh_store: Store
) -> None:
    found = [
        deployment("shop-1", "b", 1),
        deployment("shop-2", "d", 2),
        deployment("shop-3", "c", 3),
    ]
    feed(store, HISTORY, found)
    assert verdicts(store)["shop-3"] == (True, False, True, "shop-2")

    corrected = [found[0], found[1], replace(found[2], finished_at=at(1.5))]
    store.upsert_deployments(corrected)
    store.attribute_pending(HORIZON)
    feed(fresh_store, HISTORY, corrected)

    assert shipped_sets(store, NAMES) == {
        "shop-1": frozenset("ab"),
        "shop-3": frozenset("c"),
        "shop-2": frozenset("d"),
    }
    assert verdicts(store)["shop-3"] == ATTRIBUTED
    assert outcome(store) == outcome(fresh_store)


def test_moving_a_deployment_to_another_environment_re_attributes_both_chains(
    store: Store, fresh_store: Store
) -> None:
    found = [
        deployment("shop-1", "b", 1),
        deployment("shop-2", "d", 2),
        deployment("shop-3", "e", 3),
    ]
    feed(store, HISTORY, found)

    corrected = [found[0], replace(found[1], environment="staging"), found[2]]
    store.upsert_deployments(corrected)
    store.attribute_pending(HORIZON)
    feed(fresh_store, HISTORY, corrected)

    assert shipped_sets(store, NAMES) == {
        "shop-1": frozenset("ab"),
        "shop-2": frozenset("abcd"),
        "shop-3": frozenset("cde"),
    }
    assert outcome(store) == outcome(fresh_store)


def test_a_deployment_that_turns_out_failed_ships_nothing(store: Store, fresh_store: Store) -> None:
    found = [
        deployment("shop-1", "b", 1),
        deployment("shop-2", "d", 2),
        deployment("shop-3", "e", 3),
    ]
    feed(store, HISTORY, found)

    corrected = [found[0], replace(found[1], status=DeploymentStatus.FAILURE), found[2]]
    store.upsert_deployments(corrected)
    store.attribute_pending(HORIZON)
    feed(fresh_store, HISTORY, corrected)

    # Its commits are shipped by the next successful deployment, and only by it.
    assert shipped_sets(store, NAMES) == {"shop-1": frozenset("ab"), "shop-3": frozenset("cde")}
    assert outcome(store) == outcome(fresh_store)


def test_a_rollback_that_turns_out_failed_loses_its_rollback_verdict(
    store: Store, fresh_store: Store
) -> None:
    found = [
        deployment("shop-1", "b", 1),
        deployment("shop-2", "d", 2),
        deployment("shop-3", "b", 3),
    ]
    feed(store, HISTORY, found)
    assert verdicts(store)["shop-3"] == (True, False, True, "shop-1")

    corrected = [found[0], found[1], replace(found[2], status=DeploymentStatus.FAILURE)]
    store.upsert_deployments(corrected)
    store.attribute_pending(HORIZON)
    feed(fresh_store, HISTORY, corrected)

    assert verdicts(store)["shop-3"] == ATTRIBUTED
    assert outcome(store) == outcome(fresh_store)


def test_a_deployment_that_loses_its_repository_ships_nothing(store: Store) -> None:
    found = [deployment("shop-1", "b", 1), deployment("shop-2", "d", 2)]
    feed(store, HISTORY, found)

    store.upsert_deployments([replace(found[1], repository=None)])
    store.attribute_pending(HORIZON)

    assert shipped_sets(store, NAMES) == {"shop-1": frozenset("ab")}
    assert verdicts(store)["shop-2"] == (True, True, False, None)


def test_an_out_of_order_deployment_re_attributes_the_later_ones(
    store: Store, fresh_store: Store
) -> None:
    first, last = deployment("shop-1", "b", 1), deployment("shop-3", "e", 3)
    feed(store, HISTORY, [first, last])
    assert shipped_sets(store, NAMES) == {"shop-1": frozenset("ab"), "shop-3": frozenset("cde")}

    late = deployment("shop-2", "c", 2)  # finished between the two, reported last
    assert feed(store, (), [late]) == 2  # shop-2 and shop-3 walked again, shop-1 kept
    feed(fresh_store, HISTORY, [first, late, last])

    assert shipped_sets(store, NAMES) == {
        "shop-1": frozenset("ab"),
        "shop-2": frozenset("c"),
        "shop-3": frozenset("de"),
    }
    assert outcome(store) == outcome(fresh_store)


def test_an_unknown_version_is_attributed_once_its_commits_arrive(
    store: Store, fresh_store: Store
) -> None:
    # Only a and b are known when shop-1 (at d) and shop-2 (at b) are reported.
    found = [deployment("shop-1", "d", 1), deployment("shop-2", "b", 2)]
    feed(store, HISTORY[:2], found)
    assert verdicts(store)["shop-1"] == (True, True, False, None)
    assert shipped_sets(store, NAMES) == {"shop-2": frozenset("ab")}

    feed(store, HISTORY[2:], ())
    feed(fresh_store, HISTORY, found)

    assert shipped_sets(store, NAMES) == {"shop-1": frozenset("abcd")}
    assert verdicts(store) == {
        "shop-1": ATTRIBUTED,
        "shop-2": (True, False, True, "shop-1"),  # it went back to b, which shop-1 shipped
    }
    assert outcome(store) == outcome(fresh_store)


def test_an_abbreviated_version_is_resolved(store: Store) -> None:
    feed(store, HISTORY, [deployment("shop-1", sha("c")[:8], 1)])

    assert shipped_sets(store, NAMES) == {"shop-1": frozenset("abc")}


def test_a_version_that_stays_unknown_leaves_the_live_version_as_it_was(
    store: Store, fresh_store: Store
) -> None:
    # shop-2 names a version from elsewhere; shop-3 redeploys b, which is still live.
    before = [deployment("shop-1", "b", 1), deployment("shop-2", UNKNOWN, 2)]
    after = [deployment("shop-3", "b", 3)]
    feed(store, HISTORY, before)
    feed(store, (), after)  # an incremental run continues from the stored state
    feed(fresh_store, HISTORY, before + after)

    assert verdicts(store) == {
        "shop-1": ATTRIBUTED,
        "shop-2": (True, True, False, None),
        "shop-3": ATTRIBUTED,
    }
    assert outcome(store) == outcome(fresh_store)


# Commits for the backfill horizon (30 days): old is 60 days before T0, recent 1 hour.
SPREAD = [
    commit("old", hours=-60 * 24),
    commit("mid", "old", hours=-25 * 24),
    commit("recent", "mid", hours=-1),
    commit("next", "recent", hours=1),
]
SPREAD_NAMES = ["old", "mid", "recent", "next"]


def marked(store: Store) -> dict[str, frozenset[str]]:
    return before_tracking(store, SPREAD_NAMES)


def test_commits_older_than_the_horizon_before_the_first_deployment_predate_tracking(
    store: Store,
) -> None:
    feed(store, SPREAD, [deployment("shop-1", "recent", 0), deployment("shop-2", "next", 2)])

    # The cutoff is T0 - 30 days: only "old" is before it; later deployments mark nothing.
    assert marked(store) == {"shop-1": frozenset({"old"})}


def test_the_horizon_follows_a_new_first_deployment(store: Store, fresh_store: Store) -> None:
    later = [deployment("shop-1", "recent", 0)]
    feed(store, SPREAD, later)
    assert marked(store) == {"shop-1": frozenset({"old"})}

    # A deployment 20 days before T0 arrives: it is the first now, its cutoff T0 - 50 days.
    earlier = [deployment("shop-0", "mid", -20 * 24)]
    feed(store, (), earlier)
    feed(fresh_store, SPREAD, earlier + later)

    assert shipped_sets(store, SPREAD_NAMES) == {
        "shop-0": frozenset({"old", "mid"}),
        "shop-1": frozenset({"recent"}),
    }
    assert marked(store) == {"shop-0": frozenset({"old"})}
    assert marked(fresh_store) == marked(store)


def test_the_horizon_counts_from_the_first_deployment_whose_version_is_known(
    store: Store,
) -> None:
    # shop-0 names a version from elsewhere: shop-1 is the first to ship the history.
    found = [deployment("shop-0", UNKNOWN, -40 * 24), deployment("shop-1", "recent", 0)]

    feed(store, SPREAD, found)

    assert marked(store) == {"shop-1": frozenset({"old"})}


def test_the_horizon_follows_a_first_deployment_whose_version_arrives_later(
    store: Store, fresh_store: Store
) -> None:
    found = [deployment("shop-0", "mid", -20 * 24), deployment("shop-1", "recent", 0)]
    # A partial history first: shop-0's version is unknown, shop-1 ships what is known.
    feed(store, SPREAD[2:], found)
    assert shipped_sets(store, SPREAD_NAMES) == {"shop-1": frozenset({"recent"})}
    assert marked(store) == {}

    # The rest arrives: shop-0 is the first deployment now, its cutoff T0 - 50 days.
    feed(store, SPREAD[:2])
    feed(fresh_store, SPREAD, found)

    assert marked(store) == {"shop-0": frozenset({"old"})}
    assert shipped_sets(store, SPREAD_NAMES) == shipped_sets(fresh_store, SPREAD_NAMES)
    assert marked(fresh_store) == marked(store)


def test_the_horizon_is_a_setting(store: Store) -> None:
    repository_id = store.ensure_repository("shop")
    store.insert_commits(repository_id, SPREAD)
    store.upsert_deployments([deployment("shop-1", "recent", 0)])

    store.attribute_pending(timedelta(days=7))

    assert marked(store) == {"shop-1": frozenset({"old", "mid"})}
