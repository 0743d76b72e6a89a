"""Failure rules 1-4, recovery times and unplanned (rework) reasons of classify_deployments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from metrics_support import at, change, deployment, incident

from dorameter.metrics.failures import classify_deployments
from dorameter.model import (
    ChangeFact,
    DeliveryData,
    DeploymentFact,
    DeploymentOutcome,
    FailureReason,
    FailureSettings,
    IncidentFact,
    UnplannedReason,
)

LINKED = FailureReason.INCIDENT_LINKED
WINDOW = FailureReason.INCIDENT_WINDOW
ROLLED_BACK = FailureReason.ROLLED_BACK
REVERTED = FailureReason.REVERTED
HOTFIXED = FailureReason.HOTFIXED
FIX_NAMED = FailureReason.FIX_NAMED


def classify(
    deployments: list[DeploymentFact],
    changes: list[ChangeFact] | None = None,
    incidents: list[IncidentFact] | None = None,
    settings: FailureSettings | None = None,
) -> dict[int, DeploymentOutcome]:
    """Outcomes by deployment id."""
    data = DeliveryData("svc", tuple(deployments), tuple(changes or ()), tuple(incidents or ()))
    outcomes = classify_deployments(data, settings or FailureSettings())
    return {outcome.deployment.id: outcome for outcome in outcomes}


def failed_ids(outcomes: dict[int, DeploymentOutcome]) -> set[int]:
    return {id for id, outcome in outcomes.items() if outcome.failed}


def test_outcomes_come_in_finish_order() -> None:
    deployments = [deployment(3, 5), deployment(1, 1), deployment(2, 3)]
    data = DeliveryData("svc", tuple(deployments), (), ())
    outcomes = classify_deployments(data, FailureSettings())
    assert [outcome.deployment.id for outcome in outcomes] == [1, 2, 3]
    assert not any(outcome.failed or outcome.unplanned for outcome in outcomes)


def test_linked_incident_fails_its_deployment_without_window() -> None:
    outcomes = classify(
        [deployment(1, 0), deployment(2, 10)], incidents=[incident(7, 50, 52, linked=1)]
    )
    assert outcomes[1].failure_reasons == (LINKED,)
    assert outcomes[1].recovered_at == at(52)
    assert not outcomes[2].failed


@pytest.mark.parametrize(
    ("start_hours", "change_caused", "expected"),
    [
        (0, None, {1}),  # at the deployment's finish
        (24, None, {1}),  # exactly at the window's end: inclusive
        (24 + 1 / 3600, None, set()),  # one second later: outside, and not after deployment 2
        (31, None, {2}),  # after the next deployment: that one is blamed
        (-1, None, set()),  # before any deployment
        (1, True, {1}),
        (1, False, set()),  # not caused by a change: never linked
    ],
)
def test_unlinked_incident_within_window(
    start_hours: float, change_caused: bool | None, expected: set[int]
) -> None:
    outcomes = classify(
        [deployment(1, 0), deployment(2, 30)],
        incidents=[incident(7, start_hours, start_hours + 2, change_caused=change_caused)],
    )
    assert failed_ids(outcomes) == expected
    assert all(outcomes[id].failure_reasons == (WINDOW,) for id in expected)


def test_not_change_caused_incident_is_never_linked_even_explicitly() -> None:
    outcomes = classify([deployment(1, 0)], incidents=[incident(7, 1, 2, 1, change_caused=False)])
    assert failed_ids(outcomes) == set()


def test_window_is_configurable() -> None:
    settings = FailureSettings(window=timedelta(hours=2))
    outcomes = classify([deployment(1, 0)], incidents=[incident(7, 3)], settings=settings)
    assert failed_ids(outcomes) == set()


def test_rollback_to_the_middle_of_a_deployment_fails_that_deployment() -> None:
    # Deployment 2 shipped commits b and c (version c); 3 went back to b, first shipped by 2.
    deployments = [
        deployment(1, 0, "a"),
        deployment(2, 1, "c"),
        deployment(3, 2, "b", rollback=True, base=2),
    ]
    outcomes = classify(deployments)
    assert failed_ids(outcomes) == {2}
    assert outcomes[2].failure_reasons == (ROLLED_BACK,)
    assert outcomes[2].recovered_at == at(2)
    assert outcomes[3].unplanned_reasons == (UnplannedReason.ROLLBACK,)


def test_rollback_to_an_earlier_version_fails_everything_since_but_not_the_base() -> None:
    deployments = [
        deployment(1, 0, "a"),
        deployment(2, 1, "b"),
        deployment(3, 2, "c"),
        deployment(4, 100, "a", rollback=True, base=1),  # no window for rollbacks
    ]
    outcomes = classify(deployments)
    assert failed_ids(outcomes) == {2, 3}
    assert outcomes[2].recovered_at == outcomes[3].recovered_at == at(100)


def test_redeploying_the_same_version_fails_nothing() -> None:
    outcomes = classify([deployment(1, 0, "a"), deployment(2, 1, "a", rollback=True, base=1)])
    assert failed_ids(outcomes) == set()


def test_rollback_base_outside_reach_fails_every_loaded_deployment_before_it() -> None:
    deployments = [
        deployment(1, 0, "a"),
        deployment(2, 1, "b"),
        deployment(3, 2, "z", rollback=True, base=99),
    ]
    assert failed_ids(classify(deployments)) == {1, 2}


def test_explicit_rollback_flag_fails_the_latest_non_rollback_deployment() -> None:
    deployments = [
        deployment(1, 0, "a"),
        deployment(2, 1, "b"),
        deployment(3, 2, "x", rollback=True),
        deployment(4, 3, "y", rollback=True),
    ]
    outcomes = classify(deployments)
    assert failed_ids(outcomes) == {2}
    assert outcomes[2].recovered_at == at(2)  # the earliest rollback


def test_rollback_ranges_mark_each_deployment_once_with_the_earliest_rollback() -> None:
    deployments = [
        deployment(1, 0, "a"),
        deployment(2, 1, "b"),
        deployment(3, 2, "a", rollback=True, base=1),
        deployment(4, 3, "c"),
        deployment(5, 4, "a", rollback=True, base=1),
    ]
    outcomes = classify(deployments)
    assert failed_ids(outcomes) == {2, 4}
    assert outcomes[2].recovered_at == at(2)
    assert outcomes[4].recovered_at == at(4)


@pytest.mark.parametrize(("revert_hours", "failed"), [(10, True), (24, True), (25, False)])
def test_revert_within_window(revert_hours: float, failed: bool) -> None:
    outcomes = classify(
        [deployment(1, 0), deployment(2, revert_hours)],
        [change(2, revert_hours - 1, 'Revert "Add feature"', reverts=1)],
    )
    assert outcomes[1].failure_reasons == ((REVERTED,) if failed else ())
    assert outcomes[1].recovered_at == (at(revert_hours) if failed else None)
    assert outcomes[2].unplanned_reasons == (UnplannedReason.SHIPS_REVERT,)


@pytest.mark.parametrize(
    ("subject", "is_merge", "fix_hours", "failed"),
    [
        ("Merge branch 'hotfix/login' into main", True, 2, True),
        ("HOTFIX: null check", False, 2, True),
        ("Merge pull request #7 from acme/hotfix-cache", True, 24, True),
        ("hotfix cache", False, 25, False),  # outside the window
        ("Fix typo", False, 2, False),
    ],
)
def test_hotfix_fails_the_deployment_just_before(
    subject: str, is_merge: bool, fix_hours: float, failed: bool
) -> None:
    deployments = [deployment(0, -1), deployment(1, 0), deployment(2, fix_hours)]
    outcomes = classify(deployments, [change(2, 0.5, subject, is_merge)])
    assert failed_ids(outcomes) == ({1} if failed else set())
    if failed:
        assert outcomes[1].failure_reasons == (HOTFIXED,)
        assert outcomes[1].recovered_at == at(fix_hours)
    hotfix = "hotfix" in subject.lower()
    assert outcomes[2].unplanned_reasons == ((UnplannedReason.SHIPS_HOTFIX,) if hotfix else ())


def test_hotfix_pattern_is_configurable() -> None:
    settings = FailureSettings(hotfix_pattern=r"^fix\(prod\)")
    deployments = [deployment(1, 0), deployment(2, 1), deployment(3, 2)]
    changes = [change(2, 0.5, "hotfix: not by this pattern"), change(3, 1.5, "fix(prod): x")]
    outcomes = classify(deployments, changes, settings=settings)
    assert failed_ids(outcomes) == {2}


def test_named_fix_has_no_window() -> None:
    outcomes = classify([deployment(1, 0), deployment(2, 100, fixes_deployment=1)])
    assert outcomes[1].failure_reasons == (FIX_NAMED,)
    assert outcomes[1].recovered_at == at(100)
    assert outcomes[2].unplanned_reasons == (UnplannedReason.NAMED_FIX,)


def test_fix_named_for_an_incident_recovers_the_deployment_it_failed() -> None:
    outcomes = classify(
        [deployment(1, 0), deployment(2, 3, fixes_incident=7)],
        incidents=[incident(7, 1, 10, linked=1)],
    )
    assert outcomes[1].failure_reasons == (LINKED,)
    assert outcomes[1].recovered_at == at(3)
    assert not outcomes[2].failed
    assert outcomes[2].unplanned_reasons == (UnplannedReason.NAMED_FIX,)


def test_recovery_is_the_earliest_candidate_and_reasons_come_in_enum_order() -> None:
    outcomes = classify(
        [deployment(1, 0), deployment(2, 5)],
        [change(2, 4, "Revert it", reverts=1)],
        [incident(7, 1, 8), incident(8, 2, 3, linked=1), incident(9, 2, 4, linked=1)],
    )
    assert outcomes[1].failure_reasons == (LINKED, WINDOW, REVERTED)
    assert outcomes[1].recovered_at == at(3)


@pytest.mark.parametrize(
    "incidents",
    [
        [incident(7, 1)],  # never resolved
        [incident(7, -2, -1, linked=1)],  # "resolved" before the deployment finished
    ],
)
def test_failure_without_recovery(incidents: list[IncidentFact]) -> None:
    outcomes = classify([deployment(1, 0)], incidents=incidents)
    assert outcomes[1].failed
    assert outcomes[1].recovered_at is None


@pytest.mark.parametrize(
    ("fix", "changes", "expected"),
    [
        (deployment(2, 1), [], ()),
        (deployment(2, 1, rollback=True), [], (UnplannedReason.ROLLBACK,)),
        (deployment(2, 1), [change(2, 0, "Revert x", reverts=1)], (UnplannedReason.SHIPS_REVERT,)),
        (deployment(2, 1), [change(2, 0, "Revert own", reverts=2)], ()),
        (deployment(2, 1), [change(2, 0, "hotfix/x")], (UnplannedReason.SHIPS_HOTFIX,)),
        (deployment(2, 1, fixes_deployment=1), [], (UnplannedReason.NAMED_FIX,)),
        (deployment(2, 1, fixes_incident=99), [], (UnplannedReason.NAMED_FIX,)),
        (
            deployment(2, 1, rollback=True, fixes_incident=99),
            [change(2, 0, "Revert x", reverts=1), change(2, 0, "Merge branch 'hotfix/y'", True)],
            tuple(UnplannedReason),
        ),
    ],
)
def test_unplanned_reasons(
    fix: DeploymentFact, changes: list[ChangeFact], expected: tuple[UnplannedReason, ...]
) -> None:
    assert classify([deployment(1, 0), fix], changes)[2].unplanned_reasons == expected


def test_many_deployments_with_far_rollbacks_stay_fast_and_correct() -> None:
    deployments = []
    for index in range(0, 20_000, 2):
        deployments.append(deployment(index, index, f"v{index}"))
        deployments.append(deployment(index + 1, index + 1, "v0", rollback=True, base=0))
    outcomes = classify(deployments)
    assert failed_ids(outcomes) == set(range(2, 20_000, 2))
    assert all(outcomes[id].recovered_at == at(id + 1) for id in range(2, 20_000, 2))
