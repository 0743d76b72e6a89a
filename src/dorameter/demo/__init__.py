"""`dorameter demo`: a synthetic but realistic organisation, written through the ingest path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dorameter.config import Settings
from dorameter.demo.monorepo import weave_main_lines
from dorameter.demo.organisation import (
    HISTORY_DAYS,
    SMALL_ORGANISATION,
    ServiceProfile,
    large_organisation,
)
from dorameter.demo.simulate import ServiceSimulation
from dorameter.ingest import IngestReport, ingest_batch
from dorameter.store import Store

SCALES = ("small", "large")
LARGE_HISTORY_DAYS = 730


@dataclass(frozen=True)
class DemoOptions:
    """What to generate: the seed, the scale, and the day the history ends (exclusive)."""

    seed: int = 7
    scale: str = "small"
    today: date | None = None


def organisation(scale: str) -> tuple[tuple[ServiceProfile, ...], int]:
    """The services and the history length in days for a scale."""
    if scale == "large":
        return large_organisation(), LARGE_HISTORY_DAYS
    return SMALL_ORGANISATION, HISTORY_DAYS


def generate_demo(
    store: Store,
    settings: Settings,
    options: DemoOptions,
    on_service: Callable[[str, IngestReport], None] | None = None,
) -> list[IngestReport]:
    """Simulate every service and ingest its history; deterministic for a seed and a date."""
    today = options.today or datetime.now(UTC).date()
    end = datetime(today.year, today.month, today.day, tzinfo=UTC)
    profiles, days = organisation(options.scale)
    start = end - timedelta(days=days)
    store.set_service_teams({profile.name: profile.team for profile in profiles})
    reports = []
    for group in _by_repository(profiles):
        # One repository, one sequence of pull request numbers: each service its own range.
        simulations = [
            ServiceSimulation(profile, options.seed, start, end, numbers_after=index * 100_000)
            for index, profile in enumerate(group)
        ]
        batches = [simulation.run() for simulation in simulations]
        if group[0].monorepo:
            weave_main_lines(simulations)
        for profile, batch in zip(group, batches, strict=True):
            if profile.folder:
                store.set_service_paths(profile.name, profile.repository, [profile.folder])
            report = ingest_batch(store, settings, batch, attribute=False)
            reports.append(report)
            if on_service:
                on_service(profile.name, report)
    store.attribute_pending(settings.backfill_horizon)
    return reports


def _by_repository(profiles: tuple[ServiceProfile, ...]) -> list[list[ServiceProfile]]:
    """Services grouped by repository, in the order they first appear: a monorepo's services
    are simulated together so that their histories can be woven into one."""
    groups: dict[str, list[ServiceProfile]] = {}
    for profile in profiles:
        groups.setdefault(profile.repository, []).append(profile)
    return list(groups.values())
