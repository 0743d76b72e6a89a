"""A team's facts: its services' loaded facts as one, each deployment, change and incident once.

metrics.md: "Team figures are computed from the team's services; never double-count a
deployment that belongs to two of them." In a monorepo one release belongs to several services
and is stored once per service (a repository-wide version tag deploys every path service; a
platform deployment several services' definitions match is copied to each of them). The copies
share the version, the environment and the finish time: for the team they are one deployment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from dorameter.flow_model import FlowData, PullRequestFact
from dorameter.model import ChangeFact, DeliveryData, DeploymentFact, IncidentFact

Release = tuple[str, str, datetime]  # environment, sha, finished_at


def merge_deliveries(name: str, deliveries: Sequence[DeliveryData]) -> DeliveryData:
    """Several services' delivery facts as one (a team)."""
    unique = {fact.id: fact for data in deliveries for fact in data.deployments}
    kept, same = _one_per_release(unique.values())
    changes = _remapped_changes((change for data in deliveries for change in data.changes), same)
    incidents = {
        incident.id: _remapped_incident(incident, same)
        for data in deliveries
        for incident in data.incidents
    }
    return DeliveryData(
        service=name,
        deployments=tuple(sorted(kept, key=lambda d: (d.finished_at, d.id))),
        changes=tuple(changes.values()),
        incidents=tuple(incidents.values()),
        attempts_failed=sum(data.attempts_failed for data in deliveries),
        has_pr_data=any(data.has_pr_data for data in deliveries),
        notes=tuple(dict.fromkeys(note for data in deliveries for note in data.notes)),
    )


def _one_per_release(
    facts: Iterable[DeploymentFact],
) -> tuple[list[DeploymentFact], dict[int, int]]:
    """The deployments with one per release (the lowest id stands for its copies), and the id
    each copy became; a release any copy of which was a rollback is one."""
    first: dict[Release, DeploymentFact] = {}
    same: dict[int, int] = {}
    for fact in sorted(facts, key=lambda item: item.id):
        release = (fact.environment, fact.sha, fact.finished_at)
        known = first.setdefault(release, fact)
        if known is not fact:
            same[fact.id] = known.id
            if fact.rollback and not known.rollback:
                first[release] = replace(known, rollback=True)
    if not same:
        return list(first.values()), same
    return [_remapped_deployment(fact, same) for fact in first.values()], same


def _remapped_deployment(fact: DeploymentFact, same: dict[int, int]) -> DeploymentFact:
    base, fixes = fact.rollback_base_id, fact.fixes_deployment_id
    if base not in same and fixes not in same:
        return fact
    return replace(
        fact,
        rollback_base_id=same.get(base, base) if base is not None else None,
        fixes_deployment_id=same.get(fixes, fixes) if fixes is not None else None,
    )


def _remapped_changes(
    changes: Iterable[ChangeFact], same: dict[int, int]
) -> dict[tuple[int, str], ChangeFact]:
    """Changes keyed by (deployment, sha): a commit two copies shipped (under both services'
    paths) is one change of the release."""
    merged: dict[tuple[int, str], ChangeFact] = {}
    for change in changes:
        reverted = change.reverted_deployment_id
        if same and (change.deployment_id in same or reverted in same):
            change = change._replace(  # noqa: PLW2901 (the copy's change, as the release's)
                deployment_id=same.get(change.deployment_id, change.deployment_id),
                reverted_deployment_id=same.get(reverted, reverted) if reverted else None,
            )
        merged.setdefault((change.deployment_id, change.sha), change)
    return merged


def _remapped_incident(incident: IncidentFact, same: dict[int, int]) -> IncidentFact:
    linked = incident.linked_deployment_id
    if linked is None or linked not in same:
        return incident
    return replace(incident, linked_deployment_id=same[linked])


def merge_flows(name: str, flows: Sequence[FlowData]) -> FlowData:
    """Several services' flow facts as one: a PR or CI run shared by two counts once."""
    pull_requests: dict[str, PullRequestFact] = {}
    for flow in flows:
        for item in flow.pull_requests:
            known = pull_requests.get(item.external_id)
            if known is None or (item.deployed_at and not known.deployed_at):
                pull_requests[item.external_id] = item
    runs = {run.external_id: run for flow in flows for run in flow.pipeline_runs}
    still_open = {item.external_id: item for flow in flows for item in flow.open_pull_requests}
    return FlowData(
        name,
        tuple(sorted(pull_requests.values(), key=lambda item: item.merged_at)),
        tuple(sorted(runs.values(), key=lambda run: run.created_at)),
        tuple(sorted(still_open.values(), key=lambda item: item.created_at)),
    )
