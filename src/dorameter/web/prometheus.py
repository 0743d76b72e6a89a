"""GET /metrics: the Report of a view in the Prometheus text exposition format (version 0.0.4).

Every figure is a gauge labelled with service and team; bands are numbers (elite 4 .. low 1,
0 when a metric has no band), so a dashboard can colour them and alert on a drop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from dorameter.metrics.bands import Band
from dorameter.report import Report, ServiceReport

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BAND_NUMBERS = {Band.ELITE: 4, Band.HIGH: 3, Band.MEDIUM: 2, Band.LOW: 1}


@dataclass(frozen=True)
class Gauge:
    """One metric family: its name, help text and the value of each service."""

    name: str
    help: str
    value: Callable[[ServiceReport], float | None]


def _band(band: Band | None) -> float:
    return float(BAND_NUMBERS[band]) if band else 0.0


GAUGES = (
    Gauge(
        "dorameter_deployments",
        "Successful production deployments in the period.",
        lambda s: s.deployment_frequency.count,
    ),
    Gauge(
        "dorameter_deployments_per_day",
        "Deployment frequency: successful production deployments per day.",
        lambda s: s.deployment_frequency.per_day,
    ),
    Gauge(
        "dorameter_change_fail_rate",
        "Change fail rate: share of production deployments that failed (0..1).",
        lambda s: s.change_fail_rate.value,
    ),
    Gauge(
        "dorameter_rework_rate",
        "Rework rate: share of deployments that were unplanned (0..1).",
        lambda s: s.rework_rate.value,
    ),
    Gauge(
        "dorameter_failed_deployment_recovery_seconds_median",
        "Failed deployment recovery time, median in seconds.",
        lambda s: s.recovery_time.summary.median_seconds,
    ),
    Gauge(
        "dorameter_time_to_restore_seconds_median",
        "Time to restore service after an incident, median in seconds.",
        lambda s: s.time_to_restore.summary.median_seconds,
    ),
)
BANDS: tuple[tuple[str, Callable[[ServiceReport], Band | None]], ...] = (
    ("deployment_frequency", lambda s: s.deployment_frequency.band),
    ("lead_time", lambda s: s.lead_time.band),
    ("change_fail_rate", lambda s: s.change_fail_rate.band),
    ("recovery_time", lambda s: s.recovery_time.band),
    ("time_to_restore", lambda s: s.time_to_restore.band),
    ("overall", lambda s: s.overall_band),
)


def exposition(report: Report, teams: dict[str, str | None]) -> str:
    """The report's figures per service as Prometheus text; figures without data are left out."""
    return "".join(f"{line}\n" for line in _lines(report, teams))


def _lines(report: Report, teams: dict[str, str | None]) -> Iterator[str]:
    services = [(s, _labels(s.service, teams.get(s.service))) for s in report.services]
    for gauge in GAUGES:
        yield from _header(gauge.name, gauge.help)
        for service, labels in services:
            yield from _sample(gauge.name, labels, gauge.value(service))
    yield from _header(
        "dorameter_lead_time_seconds", "Change lead time quantiles in seconds (commit to deploy)."
    )
    for service, labels in services:
        summary = service.lead_time.summary
        for quantile, value in (
            ("0.5", summary.median_seconds),
            ("0.75", summary.p75_seconds),
            ("0.9", summary.p90_seconds),
        ):
            yield from _sample(
                "dorameter_lead_time_seconds", f'{labels},quantile="{quantile}"', value
            )
    yield from _header(
        "dorameter_band", "Performance band per metric: 4 elite, 3 high, 2 medium, 1 low, 0 none."
    )
    for service, labels in services:
        for metric, band in BANDS:
            yield from _sample(
                "dorameter_band", f'{labels},metric="{metric}"', _band(band(service))
            )


def _header(name: str, text: str) -> Iterator[str]:
    yield f"# HELP {name} {text}"
    yield f"# TYPE {name} gauge"


def _sample(name: str, labels: str, value: float | None) -> Iterator[str]:
    if value is None or not math.isfinite(value):
        return
    number = float(value)
    yield f"{name}{{{labels}}} {int(number) if number.is_integer() else repr(number)}"


def _labels(service: str, team: str | None) -> str:
    return f'service="{_escape(service)}",team="{_escape(team or "")}"'


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
