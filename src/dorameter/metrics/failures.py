"""Which deployments failed, when they recovered, and which were unplanned (metrics.md rules 1-4).

Runs in O((deployments + changes + incidents) log deployments): changes are indexed by
deployment, "the deployment before time t" is a bisection, and rollback ranges are walked with
skip pointers so that each deployment is marked rolled back at most once.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

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


@dataclass
class _Ledger:
    """Deployments in finish order, their changes, and the verdicts collected so far."""

    order: list[DeploymentFact]
    times: list[datetime]
    position: dict[int, int]
    changes: dict[int, list[ChangeFact]]
    hotfix: list[bool]  # per index: ships a change matching the hotfix pattern
    reverting: set[int]  # ids of the deployments that ship a revert of another deployment's change
    reasons: list[set[FailureReason]]  # per index: failure reasons found so far
    candidates: list[list[datetime]]  # per index: recovery candidates found so far
    incidents: list[list[int]]  # per index: ids of the incidents that failed it

    def fail(self, index: int, reason: FailureReason, recovery: datetime | None) -> None:
        """Record that deployment `index` failed for `reason`, with a possible recovery time."""
        self.reasons[index].add(reason)
        if recovery is not None:
            self.candidates[index].append(recovery)


def classify_deployments(
    data: DeliveryData, settings: FailureSettings
) -> tuple[DeploymentOutcome, ...]:
    """One outcome per deployment, in finish order: failure reasons, recovery, unplanned reasons."""
    ledger = _ledger(data, settings)
    fixed_incidents = _mark_incidents(ledger, data.incidents, settings)
    _mark_rollbacks(ledger)
    _mark_reverts_and_hotfixes(ledger, settings)
    _mark_named_fixes(ledger, fixed_incidents)
    return tuple(_outcome(ledger, index) for index in range(len(ledger.order)))


def _ledger(data: DeliveryData, settings: FailureSettings) -> _Ledger:
    """Sort deployments by finish (id breaks ties) and index changes by deployment id."""
    order = sorted(data.deployments, key=lambda deployment: (deployment.finished_at, deployment.id))
    changes: dict[int, list[ChangeFact]] = {}
    search = re.compile(settings.hotfix_pattern).search
    hotfixes: set[int] = set()  # deployments that ship a change matching the pattern
    reverting: set[int] = set()
    for change in data.changes:  # one pass over a service's (often tens of thousands) changes
        shipped_by = changes.get(change.deployment_id)
        if shipped_by is None:
            changes[change.deployment_id] = [change]
        else:
            shipped_by.append(change)
        if search(change.subject):
            hotfixes.add(change.deployment_id)
        if change.reverted_deployment_id not in (None, change.deployment_id):
            reverting.add(change.deployment_id)
    return _Ledger(
        order=order,
        times=[deployment.finished_at for deployment in order],
        position={deployment.id: index for index, deployment in enumerate(order)},
        changes=changes,
        hotfix=[deployment.id in hotfixes for deployment in order],
        reverting=reverting,
        reasons=[set() for _ in order],
        candidates=[[] for _ in order],
        incidents=[[] for _ in order],
    )


def _mark_incidents(
    ledger: _Ledger, incidents: tuple[IncidentFact, ...], settings: FailureSettings
) -> dict[int, list[int]]:
    """Rules 1 and 2: linked incidents, and unlinked ones soon after a deployment.

    Returns, per incident id, the deployments it failed, for fixes that name the incident.
    """
    failed_by: dict[int, list[int]] = defaultdict(list)
    for incident in incidents:
        if incident.change_caused is False:
            continue
        if incident.linked_deployment_id is not None:
            index = ledger.position.get(incident.linked_deployment_id)
            reason = FailureReason.INCIDENT_LINKED
        else:
            index = _deployment_before(ledger, incident, settings)
            reason = FailureReason.INCIDENT_WINDOW
        if index is not None:
            ledger.fail(index, reason, incident.resolved_at)
            ledger.incidents[index].append(incident.id)
            failed_by[incident.id].append(index)
    return failed_by


def _deployment_before(
    ledger: _Ledger, incident: IncidentFact, settings: FailureSettings
) -> int | None:
    """The last deployment finished at or before the incident started, within the window."""
    index = bisect_right(ledger.times, incident.started_at) - 1
    if index < 0 or incident.started_at - ledger.times[index] > settings.window:
        return None
    return index


class _OpenIndices:
    """Indices not yet marked rolled back, with near-constant "first open index >= i" lookups."""

    def __init__(self, closed: list[bool]) -> None:
        # _next[i] points towards the first open index >= i; len(closed) is a sentinel.
        self._next = [index + 1 if is_closed else index for index, is_closed in enumerate(closed)]
        self._next.append(len(closed))

    def first(self, index: int) -> int:
        """The first open index at or after `index` (len(closed) when there is none)."""
        root = index
        while self._next[root] != root:
            root = self._next[root]
        while index != root:  # point the path just walked straight at the answer
            following = self._next[index]
            self._next[index] = root
            index = following
        return root

    def close(self, index: int) -> None:
        """Mark `index` as no longer open."""
        self._next[index] = index + 1


def _mark_rollbacks(ledger: _Ledger) -> None:
    """Rule 3: a rollback fails the deployments it went back over, each once, by the earliest."""
    open_indices = _OpenIndices([deployment.rollback for deployment in ledger.order])
    latest_plain = _latest_non_rollback(ledger.order)
    for rollback in ledger.order:
        if not rollback.rollback:
            continue
        end = bisect_left(ledger.times, rollback.finished_at)
        if rollback.rollback_base_id is None:
            # No graph knowledge: only the latest non-rollback deployment before it.
            start = latest_plain[end - 1] if end > 0 else -1
            start = end if start < 0 else start
        else:
            base = ledger.position.get(rollback.rollback_base_id)
            # A base outside the loaded reach is older than every loaded deployment.
            start = 0 if base is None else bisect_left(ledger.times, ledger.times[base])
        index = open_indices.first(start)
        while index < end:
            if ledger.order[index].sha != rollback.sha:
                ledger.fail(index, FailureReason.ROLLED_BACK, rollback.finished_at)
                open_indices.close(index)
            index = open_indices.first(index + 1)


def _latest_non_rollback(order: list[DeploymentFact]) -> list[int]:
    """Per index, the latest index at or before it that is not a rollback (-1 when none)."""
    latest, result = -1, []
    for index, deployment in enumerate(order):
        if not deployment.rollback:
            latest = index
        result.append(latest)
    return result


def _mark_reverts_and_hotfixes(ledger: _Ledger, settings: FailureSettings) -> None:
    """Rule 4: a later deployment within the window ships a revert of D, or a hotfix after D."""
    for fix_index, fix in enumerate(ledger.order):
        for change in ledger.changes.get(fix.id, ()):
            if change.reverted_deployment_id is None:
                continue
            target = ledger.position.get(change.reverted_deployment_id)
            if target is not None and _soon_before(ledger, target, fix_index, settings):
                ledger.fail(target, FailureReason.REVERTED, fix.finished_at)
        previous = fix_index - 1
        if ledger.hotfix[fix_index] and _soon_before(ledger, previous, fix_index, settings):
            ledger.fail(previous, FailureReason.HOTFIXED, fix.finished_at)


def _soon_before(ledger: _Ledger, index: int, later: int, settings: FailureSettings) -> bool:
    """Whether deployment `index` precedes `later` and finished at most a window before it."""
    return 0 <= index < later and ledger.times[later] - ledger.times[index] <= settings.window


def _mark_named_fixes(ledger: _Ledger, failed_by_incident: dict[int, list[int]]) -> None:
    """Rule 4 by name: a later deployment named as the fix of D or of the incident that failed D."""
    for fix_index, fix in enumerate(ledger.order):
        if fix.fixes_deployment_id is not None:
            target = ledger.position.get(fix.fixes_deployment_id)
            if target is not None and target < fix_index:
                ledger.fail(target, FailureReason.FIX_NAMED, fix.finished_at)
        if fix.fixes_incident_id is not None:
            for index in failed_by_incident.get(fix.fixes_incident_id, ()):
                ledger.candidates[index].append(fix.finished_at)


def _outcome(ledger: _Ledger, index: int) -> DeploymentOutcome:
    """The verdict on one deployment; recovery is the earliest candidate at or after its finish."""
    deployment = ledger.order[index]
    found = ledger.reasons[index]
    reasons = tuple(reason for reason in _FAILURE_REASONS if reason in found) if found else ()
    recovered_at = None
    if reasons:
        after = [moment for moment in ledger.candidates[index] if moment >= deployment.finished_at]
        recovered_at = min(after, default=None)
    incidents = ledger.incidents[index]
    return DeploymentOutcome(
        deployment,
        reasons,
        recovered_at,
        _unplanned(ledger, index),
        tuple(incidents) if incidents else (),
    )


# The enums' orders, once: iterating an enum class is slow, and a report asks per deployment.
_FAILURE_REASONS = tuple(FailureReason)
_UNPLANNED_REASONS = tuple(UnplannedReason)


def _unplanned(ledger: _Ledger, index: int) -> tuple[UnplannedReason, ...]:
    """Why a deployment is unplanned rework: rollback, revert, hotfix or named fix."""
    deployment = ledger.order[index]
    holds = {
        UnplannedReason.ROLLBACK: deployment.rollback,
        UnplannedReason.SHIPS_REVERT: deployment.id in ledger.reverting,
        UnplannedReason.SHIPS_HOTFIX: ledger.hotfix[index],
        UnplannedReason.NAMED_FIX: (
            deployment.fixes_deployment_id is not None or deployment.fixes_incident_id is not None
        ),
    }
    if not any(holds.values()):
        return ()
    return tuple(reason for reason in _UNPLANNED_REASONS if holds[reason])
