"""load_delivery on a small hand-built dataset: exact facts, on SQLite and PostgreSQL.

z - a - b ------- c - m        c reverts b; m merges f; z is 40 days older than the rest
         \\          /
          f ------
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from dorameter.model import (
    ChangeFact,
    DeliveryData,
    DeploymentFact,
    DeploymentStatus,
    Incident,
    IncidentFact,
    Period,
)
from dorameter.store import Store
from dorameter.store.reads import _LoadedDeployments
from dorameter.store.schema import deployments, incidents, to_micros
from tests.store.store_support import at, commit, deployment, feed, linear, sha


def micros_at(hours: float) -> int:
    """A change's author time as facts carry it: epoch microseconds."""
    return to_micros(at(hours))


WINDOW = timedelta(hours=24)
PRODUCTION = ["production"]
DAY = 24.0
UNKNOWN = "f" * 40

HISTORY = [
    commit("z", hours=-40 * DAY, subject="Initial commit"),
    commit("a", "z", hours=0, subject="Add parser"),
    commit("b", "a", hours=1, subject="Add bug"),
    commit("c", "b", hours=3, subject='Revert "Add bug"', reverts=sha("b")[:7]),
    commit("f", "b", hours=3.5, subject="Feature"),
    commit("m", "c", "f", hours=4, subject="Merge branch 'feature'"),
]
DEPLOYMENTS = [
    deployment("shop-1", "b", 2),
    deployment("shop-x", "m", 4.8, status=DeploymentStatus.FAILURE),  # a failed attempt
    deployment("staging-1", "m", 4.5, environment="staging"),
    deployment("shop-2", "m", 5, fixes="inc-1"),
    deployment("shop-3", "b", 6, fixes="shop-2"),  # goes back to b, which shop-1 shipped
    deployment("shop-4", UNKNOWN, 8),
]


def incident(external_id: str, start_hours: float, **fields: object) -> Incident:
    return Incident(
        service="shop",
        external_id=external_id,
        source="test",
        started_at=at(start_hours),
        **fields,  # type: ignore[arg-type]
    )


INCIDENTS = [
    incident(
        "inc-1",
        2.5,
        resolved_at=at(4),
        title="Checkout errors",
        caused_by_deployment="shop-1",
        severity="1",
    ),
    incident(
        "inc-2", 5.5, title="Feature broken", caused_by_sha=sha("f")
    ),  # a commit shop-2 shipped
    incident("inc-3", 6.5, title="Still broken", caused_by_sha=sha("m")[:8]),  # shop-2's version
    incident("inc-4", 7, resolved_at=at(7.5), title="Provider outage", change_caused=False),
    incident("inc-5", 7.5, title="Named elsewhere", caused_by_deployment="other-9"),
    incident("inc-6", 30 * DAY, title="Much later"),
    incident("inc-7", 7.6, title="Abbreviated commit", caused_by_sha=sha("c")[:7]),  # shop-2
    incident("inc-8", 7.7, title="Too short to name", caused_by_sha=sha("c")[:3]),
]


def ids(store: Store, table: object) -> dict[str, int]:
    with store.engine.connect() as connection:
        rows = connection.execute(select(table.c.external_id, table.c.id))  # type: ignore[attr-defined]
        return {external_id: int(row_id) for external_id, row_id in rows}


def test_load_delivery_returns_the_hand_computed_facts(store: Store) -> None:
    feed(store, HISTORY, DEPLOYMENTS)
    store.upsert_incidents(INCIDENTS)
    deployment_id = ids(store, deployments)
    incident_id = ids(store, incidents)
    d1, d2, d3, d4 = (deployment_id[f"shop-{n}"] for n in range(1, 5))

    data = store.load_delivery("shop", PRODUCTION, Period(at(0), at(DAY)), WINDOW)

    def fact(external_id: str, version: str, hours: float, **fields: object) -> DeploymentFact:
        return DeploymentFact(
            id=deployment_id[external_id],
            service="shop",
            environment="production",
            sha=version,
            finished_at=at(hours),
            external_id=external_id,
            **fields,  # type: ignore[arg-type]
        )

    assert data.service == "shop"
    assert data.deployments == (
        fact("shop-1", sha("b"), 2),
        fact("shop-2", sha("m"), 5, fixes_incident_id=incident_id["inc-1"]),
        fact("shop-3", sha("b"), 6, rollback=True, rollback_base_id=d1, fixes_deployment_id=d2),
        fact("shop-4", UNKNOWN, 8),
    )
    assert set(data.changes) == {
        ChangeFact(
            d1, sha("z"), micros_at(-40 * DAY), "Initial commit", False, before_tracking=True
        ),
        ChangeFact(d1, sha("a"), micros_at(0), "Add parser", False),
        ChangeFact(d1, sha("b"), micros_at(1), "Add bug", False),
        ChangeFact(
            d2, sha("c"), micros_at(3), 'Revert "Add bug"', False, reverted_deployment_id=d1
        ),
        ChangeFact(d2, sha("f"), micros_at(3.5), "Feature", False),
        ChangeFact(d2, sha("m"), micros_at(4), "Merge branch 'feature'", True),
    }
    assert len(data.changes) == 6
    assert d3 not in {change.deployment_id for change in data.changes}
    assert d4 not in {change.deployment_id for change in data.changes}

    def known(external_id: str, hours: float, title: str, **fields: object) -> IncidentFact:
        return IncidentFact(
            id=incident_id[external_id],
            service="shop",
            external_id=external_id,
            started_at=at(hours),
            resolved_at=fields.pop("resolved_at", None),  # type: ignore[arg-type]
            title=title,
            **fields,  # type: ignore[arg-type]
        )

    assert sorted(data.incidents, key=lambda item: item.started_at) == [
        known(
            "inc-1",
            2.5,
            "Checkout errors",
            resolved_at=at(4),
            linked_deployment_id=d1,
            severity="1",
        ),
        known("inc-2", 5.5, "Feature broken", linked_deployment_id=d2, caused_by_sha=sha("f")),
        known("inc-3", 6.5, "Still broken", linked_deployment_id=d2, caused_by_sha=sha("m")[:8]),
        known("inc-4", 7, "Provider outage", resolved_at=at(7.5), change_caused=False),
        known("inc-5", 7.5, "Named elsewhere"),
        known(
            "inc-7", 7.6, "Abbreviated commit", linked_deployment_id=d2, caused_by_sha=sha("c")[:7]
        ),
        known("inc-8", 7.7, "Too short to name", caused_by_sha=sha("c")[:3]),
    ]
    assert data.attempts_failed == 1
    assert data.has_pr_data is False
    assert data.notes == (
        "1 deployment(s) name a version that is not among the known commits, so their changes "
        "are not counted; ingest the repository that holds them (dorameter ingest git PATH).",
    )


def test_an_unknown_service_has_no_facts(store: Store) -> None:
    feed(store, HISTORY, DEPLOYMENTS)

    data = store.load_delivery("nope", PRODUCTION, Period(at(0), at(DAY)), WINDOW)

    assert data == DeliveryData("nope", (), (), ())


def test_environment_names_of_every_service_or_of_the_named_ones(store: Store) -> None:
    feed(
        store,
        linear("a", "b"),
        [
            deployment("shop-prod", "a", 1),
            deployment("shop-eu", "a", 2, environment="prod-eu"),
            deployment("cart-stage", "b", 3, environment="staging", service="cart"),
            deployment("cart-prod", "b", 4, service="cart"),
        ],
    )

    assert store.environment_names() == ["prod-eu", "production", "staging"]
    assert store.environment_names(["cart"]) == ["production", "staging"]
    assert store.environment_names(["shop", "cart"]) == ["prod-eu", "production", "staging"]
    assert store.environment_names(["nope"]) == []


def test_load_delivery_reaches_back_a_window_and_forward_to_rollbacks(store: Store) -> None:
    # The period is day 10; reach is [day 8, day 12) plus later rollbacks and their bases.
    found = [
        deployment("old", "a", 0),
        deployment("near", "b", 8.5 * DAY),
        deployment("in", "d", 10 * DAY + 1),
        deployment("after", "e", 11.5 * DAY),
        deployment("far", "e", 20 * DAY),  # a redeploy, not a rollback: out of reach
        deployment("back", "a", 25 * DAY),  # a rollback to what "old" shipped
        deployment("before", "a", 7.5 * DAY),  # a redeploy before the reach
    ]
    feed(store, linear("a", "b", "c", "d", "e"), found)

    data = store.load_delivery("shop", PRODUCTION, Period(at(10 * DAY), at(11 * DAY)), WINDOW)

    assert [fact.external_id for fact in data.deployments] == ["old", "near", "in", "after", "back"]
    assert {fact.external_id: fact.rollback for fact in data.deployments}["back"] is True
    base = {fact.external_id: fact.rollback_base_id for fact in data.deployments}["back"]
    assert base == ids(store, deployments)["old"]


def test_an_incident_names_the_first_loaded_deployment_of_its_cause() -> None:
    # The lookups replaced a scan of the service's deployments per incident; where several
    # match, the first loaded still wins, and an abbreviated sha still matches by prefix.
    sha256 = "ab" * 32  # a SHA-256 repository's commit beside SHA-1 ones
    facts = [
        DeploymentFact(1, "shop", "production", sha("a"), at(1), "shop-1"),
        DeploymentFact(2, "shop", "production", sha("a"), at(2), "shop-1"),  # a redeploy
        DeploymentFact(3, "shop", "production", sha("b"), at(3), "shop-3"),
        DeploymentFact(4, "shop", "production", sha256, at(4), "shop-4"),
    ]
    loaded = _LoadedDeployments(facts)

    assert [loaded.named(name) for name in ("shop-1", "shop-3", "other")] == [1, 3, None]
    assert loaded.of_version(sha("a")) == 1
    assert loaded.of_version(sha("b")[:7]) == 3  # abbreviated: by prefix
    assert loaded.of_version(sha("b")[:6]) is None  # too short to name a commit by prefix
    assert loaded.of_version(sha256[:40]) == 4  # a SHA-1 length is still a prefix here
    assert loaded.of_version(sha256) == 4
    assert _LoadedDeployments([]).of_version(sha("a")) is None
