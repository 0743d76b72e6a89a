"""Baselines, goals and progress: what a service or team kept of a period, and how now compares.

A use case over the Report: the figures a baseline keeps are read from a ServiceReport (never
recomputed), and progress compares two of them with analysis.progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dorameter.analysis.progress import Figures, Goal, GoalMetric, ProgressRow, progress_rows
from dorameter.config import Settings
from dorameter.errors import InvalidInput
from dorameter.metrics.bands import next_band_target
from dorameter.model import Period
from dorameter.report import Report, ServiceReport, build_report
from dorameter.store import SavedBaseline, Store


@dataclass(frozen=True)
class Subject:
    """What is measured: one service, or every service of a team as one."""

    service: str | None = None
    team: str | None = None

    @property
    def scope(self) -> str:
        return f"team:{self.team}" if self.team else f"service:{self.service}"


@dataclass(frozen=True)
class Progress:
    """A baseline against now, per metric, with the goals."""

    scope: str
    baseline: SavedBaseline
    now: Figures
    rows: tuple[ProgressRow, ...]


def figures_of(report: Report, service: ServiceReport) -> Figures:
    """The counts and samples behind one service's figures in a report."""
    return Figures(
        since=report.period.since,
        until=report.period.until,
        deployments=service.deployment_frequency.count,
        lead_time_samples=service.lead_time.summary.samples,
        failed=service.change_fail_rate.numerator,
        recovery_samples=service.recovery_time.summary.samples,
        unplanned=service.rework_rate.numerator,
    )


def subject_report(store: Store, settings: Settings, period: Period, subject: Subject) -> Report:
    """The report of one service or one team (an unknown service is an error)."""
    if subject.service and subject.service not in store.service_names():
        raise InvalidInput(f"no service {subject.service!r} in the store")
    names = [subject.service] if subject.service else None
    return build_report(store, settings, period, names, team=subject.team)


def save_baseline(
    store: Store, settings: Settings, period: Period, subject: Subject, name: str
) -> tuple[Figures, bool]:
    """Keep the figures of the period under `name`; True when one was replaced."""
    report = subject_report(store, settings, period, subject)
    figures = figures_of(report, report.services[0])
    return figures, store.save_baseline(name, subject.scope, settings.bands, figures)


def suggested_target(figures: Figures, metric: GoalMetric, year: str) -> float:
    """The next band's threshold for a metric (the rework rate, unbanded: half the current)."""
    value = figures.value(metric)
    if value is None:
        raise InvalidInput(f"no {metric.value} figure in the period to suggest a target from")
    banded = metric.band_metric
    target = next_band_target(year, banded, value) if banded else value / 2
    return value if target is None else target


def set_goal(
    store: Store,
    settings: Settings,
    period: Period,
    subject: Subject,
    goal: tuple[GoalMetric, float | None, datetime | None],
) -> Goal:
    """Record a goal; without a target, the next band's threshold from the period's figure."""
    metric, target, due = goal
    if target is None:
        report = subject_report(store, settings, period, subject)
        target = suggested_target(figures_of(report, report.services[0]), metric, settings.bands)
    recorded = Goal(metric, target, due)
    store.set_goal(subject.scope, recorded)
    return recorded


def progress(
    store: Store, settings: Settings, period: Period, subject: Subject, baseline: str | None
) -> Progress:
    """The subject's baseline against the period, with its goals."""
    saved = store.load_baseline(subject.scope, baseline)
    report = subject_report(store, settings, period, subject)
    now = figures_of(report, report.services[0])
    rows = progress_rows(saved.figures, now, store.goals(subject.scope), settings.bands)
    return Progress(subject.scope, saved, now, rows)


def retro_progress(
    store: Store, report: Report, baseline: str
) -> dict[str, tuple[ProgressRow, ...]]:
    """Progress rows of each reported service that has a baseline of that name."""
    rows: dict[str, tuple[ProgressRow, ...]] = {}
    for service in report.services:
        scope = Subject(service.service).scope
        if baseline not in store.baseline_names(scope):
            continue
        saved = store.load_baseline(scope, baseline)
        now = figures_of(report, service)
        rows[service.service] = progress_rows(saved.figures, now, store.goals(scope), report.bands)
    if not rows:
        raise InvalidInput(f"no reported service has a baseline named {baseline!r}")
    return rows
