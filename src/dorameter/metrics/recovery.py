"""Failed deployment recovery time, and the classic incident time to restore."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dorameter.metrics.bands import Band, BandMetric, classify
from dorameter.metrics.stats import DurationSummary, summarize_durations
from dorameter.model import DeploymentOutcome, IncidentFact, Period


@dataclass(frozen=True)
class RecoveryResult:
    """Recovery durations of one period, with the failures or incidents not recovered yet."""

    summary: DurationSummary
    unrecovered: int
    band: Band | None


def recovery_time(
    outcomes: Iterable[DeploymentOutcome], period: Period, year: str
) -> RecoveryResult:
    """Time from each failed deployment's finish (in the period) to its earliest recovery."""
    durations: list[float] = []
    unrecovered = 0
    for outcome in outcomes:
        finished = outcome.deployment.finished_at
        if not outcome.failed or not period.contains(finished):
            continue
        if outcome.recovered_at is None:
            unrecovered += 1
        else:
            durations.append((outcome.recovered_at - finished).total_seconds())
    summary = summarize_durations(durations)
    band = classify(year, BandMetric.RECOVERY_TIME, summary.median_seconds)
    return RecoveryResult(summary, unrecovered, band)


def time_to_restore(incidents: Iterable[IncidentFact], period: Period, year: str) -> RecoveryResult:
    """Start-to-resolution time of incidents that started in the period; negatives left out."""
    durations: list[float] = []
    unrecovered = 0
    for incident in incidents:
        if not period.contains(incident.started_at):
            continue
        if incident.resolved_at is None:
            unrecovered += 1
            continue
        seconds = (incident.resolved_at - incident.started_at).total_seconds()
        if seconds >= 0:
            durations.append(seconds)
    summary = summarize_durations(durations)
    band = classify(year, BandMetric.TIME_TO_RESTORE, summary.median_seconds)
    return RecoveryResult(summary, unrecovered, band)
