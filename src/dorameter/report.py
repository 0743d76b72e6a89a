"""Build the one Report that the CLI, the JSON output, the API and the dashboard all render."""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from dorameter.analysis.balance import KeyFigures, balance_findings
from dorameter.analysis.diagnosis import Diagnosis, StabilityFigures, diagnose
from dorameter.config import Settings
from dorameter.errors import InvalidInput
from dorameter.flow_model import FlowData
from dorameter.gc_pause import cycle_collection_paused
from dorameter.metrics.bands import BAND_RULE_NOTES, Band, restore_metric, worst
from dorameter.metrics.change_fail_rate import RateResult, change_fail_rate
from dorameter.metrics.failures import classify_deployments
from dorameter.metrics.frequency import FrequencyResult, deployment_frequency
from dorameter.metrics.incidents import NotableIncidents, notable_incidents
from dorameter.metrics.lead_time import LeadTimeResult, lead_time_figures, lead_time_samples
from dorameter.metrics.quickcheck import QuickCheck, quick_check
from dorameter.metrics.recovery import RecoveryResult, recovery_time, time_to_restore
from dorameter.metrics.rework import rework_rate
from dorameter.metrics.trends import TrendPoint, weekly_trends
from dorameter.model import DeliveryData, DeploymentOutcome, Period, Tier
from dorameter.store import Store
from dorameter.team_facts import merge_deliveries, merge_flows

# GitHub's squash merges end the subject with "(#123)": the original commits are gone.
_SQUASH_SUBJECT = re.compile(r"\(#\d+\)\s*$")


@dataclass(frozen=True)
class ServiceReport:
    """The five keys, time to restore, bands, Quick Check, trend and notes of one service."""

    service: str
    deployment_frequency: FrequencyResult
    lead_time: LeadTimeResult
    change_fail_rate: RateResult
    recovery_time: RecoveryResult
    time_to_restore: RecoveryResult
    rework_rate: RateResult
    overall_band: Band | None
    quick_check: QuickCheck
    trend: tuple[TrendPoint, ...]
    failed_attempts: int
    failed_deployments: tuple[DeploymentOutcome, ...]
    diagnosis: Diagnosis
    incidents: NotableIncidents = field(default_factory=NotableIncidents)  # started in the period
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def key_figures(self) -> KeyFigures:
        return KeyFigures(
            self.deployment_frequency, self.lead_time, self.change_fail_rate, self.recovery_time
        )


@dataclass(frozen=True)
class Report:
    """Every service's figures for one period and one band year."""

    period: Period
    bands: str
    environments: tuple[str, ...]
    generated_at: datetime
    services: tuple[ServiceReport, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


def build_report(
    store: Store,
    settings: Settings,
    period: Period,
    services: Sequence[str] | None = None,
    *,
    team: str | None = None,
    balance: bool = False,
) -> Report:
    """Load each service's facts for the period and compute its figures.

    With `team`, the team's services are measured as one (named after the team). With
    `balance`, the previous period of the same length is computed too, and each diagnosis says
    when throughput improved while stability got worse.
    """
    names = _team_services(store, team) if team else list(services or store.service_names())
    # Only the named services' environments: other services' never change these figures, and
    # finding every environment of a large store costs more than a one-service report's rest.
    scoped = names if team or services else None
    environments = settings.tiers.named(Tier.PRODUCTION, store.environment_names(scoped))
    reports = _service_reports(store, settings, period, names, environments, team)
    if balance:
        previous = Period(period.since - (period.until - period.since), period.since)
        before = _service_reports(store, settings, previous, names, environments, team)
        reports = tuple(_with_balance(now, then) for now, then in zip(reports, before, strict=True))
    notes = (BAND_RULE_NOTES[settings.bands],) if settings.bands in BAND_RULE_NOTES else ()
    return Report(
        period=period,
        bands=settings.bands,
        environments=tuple(environments),
        generated_at=datetime.now(UTC),
        services=reports,
        notes=notes,
    )


def _team_services(store: Store, team: str) -> list[str]:
    owned = sorted(name for name, owner in store.service_teams().items() if owner == team)
    if not owned:
        raise InvalidInput(f"no service belongs to team {team!r} (teams come from the settings)")
    return owned


def _service_reports(
    store: Store,
    settings: Settings,
    period: Period,
    names: Sequence[str],
    environments: Sequence[str],
    team: str | None,
) -> tuple[ServiceReport, ...]:
    with cycle_collection_paused():
        deliveries, flows = _load_facts(store, settings, period, names, environments)
        if team:
            deliveries, flows = [merge_deliveries(team, deliveries)], [merge_flows(team, flows)]
        return tuple(
            service_report(delivery, period, settings, flow)
            for delivery, flow in zip(deliveries, flows, strict=True)
        )


def _load_facts(
    store: Store,
    settings: Settings,
    period: Period,
    names: Sequence[str],
    environments: Sequence[str],
) -> tuple[list[DeliveryData], list[FlowData]]:
    """The delivery and the flow facts, the flow reads in a second thread on PostgreSQL.

    Each half waits on the server for much of its time (psycopg lets go of the GIL while a
    statement runs), and the halves share nothing: each reads on a connection of its own,
    as it did one after the other. On SQLite, in turn was measured faster (docs/scaling.md).
    """
    window = settings.failure.window
    if not store.reads_concurrently:
        deliveries = store.load_deliveries(names, environments, period, window)
        return deliveries, store.load_flows(names, environments, period)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dorameter-flows") as pool:
        pending_flows = pool.submit(store.load_flows, names, environments, period)
        deliveries = store.load_deliveries(names, environments, period, window)
        return deliveries, pending_flows.result()


def _with_balance(now: ServiceReport, then: ServiceReport) -> ServiceReport:
    found = balance_findings(then.key_figures, now.key_figures)
    if not found:
        return now
    diagnosis = replace(now.diagnosis, findings=now.diagnosis.findings + found)
    return replace(now, diagnosis=diagnosis)


def service_report(
    data: DeliveryData, period: Period, settings: Settings, flow: FlowData | None = None
) -> ServiceReport:
    """Pure: one service's figures from its loaded facts (and flow facts, for the diagnosis)."""
    year = settings.bands
    outcomes = classify_deployments(data, settings.failure)
    in_period = tuple(
        outcome for outcome in outcomes if period.contains(outcome.deployment.finished_at)
    )
    by_id = {deployment.id: deployment for deployment in data.deployments}
    frequency = deployment_frequency([o.deployment.finished_at for o in in_period], period, year)
    lead_times = lead_time_samples(data.changes, by_id, period)
    lead = lead_time_figures(lead_times, year)
    fail_rate = change_fail_rate(outcomes, period, year)
    recovery = recovery_time(outcomes, period, year)
    restore = time_to_restore(data.incidents, period, year)
    rework = rework_rate(outcomes, period)
    restore_band = recovery.band if restore_metric(year).value == "recovery_time" else restore.band
    bands = (frequency.band, lead.band, fail_rate.band, restore_band)
    return ServiceReport(
        service=data.service,
        deployment_frequency=frequency,
        lead_time=lead,
        change_fail_rate=fail_rate,
        recovery_time=recovery,
        time_to_restore=restore,
        rework_rate=rework,
        overall_band=worst(bands) if frequency.count else None,
        quick_check=quick_check(
            frequency.per_day,
            lead.summary.median_seconds,
            recovery.summary.median_seconds,
            fail_rate.value,
            rework.value,
        ),
        trend=weekly_trends(outcomes, lead_times.by_deployment, period),
        failed_attempts=data.attempts_failed,
        failed_deployments=tuple(outcome for outcome in in_period if outcome.failed),
        diagnosis=diagnose(
            flow or FlowData(data.service),
            StabilityFigures(
                {outcome.deployment.id for outcome in outcomes if outcome.failed},
                fail_rate,
                recovery,
            ),
            period,
            settings.bots,
        ),
        incidents=notable_incidents(data.incidents, outcomes, period),
        notes=data.notes + _quality_notes(data, period, frequency, lead, bands),
    )


def _quality_notes(
    data: DeliveryData,
    period: Period,
    frequency: FrequencyResult,
    lead: LeadTimeResult,
    bands: tuple[Band | None, ...],
) -> tuple[str, ...]:
    notes = []
    if not frequency.count:
        notes.append("No successful production deployment in this period.")
    if lead.negative:
        notes.append(
            f"{lead.negative} change(s) were committed after the deployment that shipped them "
            "(clock skew or rewritten dates); they are left out of lead time."
        )
    if lead.before_tracking:
        notes.append(
            f"{lead.before_tracking} change(s) were deployed before tracking began (older than "
            "the backfill horizon before the first recorded deployment); they are left out of "
            "lead time."
        )
    # Only without pull-request data (a large organisation's changes need not be searched).
    squashed = 0 if data.has_pr_data else _squash_like(data, period)
    if squashed:
        notes.append(
            f"{squashed} change(s) look like squash merges of pull requests: without pull-request "
            "data their lead time starts at the squash, not at the first commit, so lead time "
            "is understated. Ingest the pull requests (dorameter ingest github) to fix this."
        )
    if frequency.count and any(band is None for band in bands):
        notes.append(
            "The overall band covers only the metrics that have data in this period "
            "(a metric without samples has no band)."
        )
    return tuple(notes)


def _squash_like(data: DeliveryData, period: Period) -> int:
    in_period = {d.id for d in data.deployments if period.contains(d.finished_at)}
    return sum(
        1
        for change in data.changes
        if change.deployment_id in in_period
        and not change.is_merge
        and _SQUASH_SUBJECT.search(change.subject)
    )
