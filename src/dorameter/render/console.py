"""The Report as Rich tables for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from dorameter.metrics.bands import Band
from dorameter.metrics.change_fail_rate import RateResult
from dorameter.metrics.trends import TrendPoint

if TYPE_CHECKING:  # annotations only: goals and diagnose print bands without building reports
    from dorameter.report import Report, ServiceReport

BAND_STYLES = {
    Band.ELITE: "bold green",
    Band.HIGH: "green",
    Band.MEDIUM: "yellow",
    Band.LOW: "red",
}
_SPARKS = "▁▂▃▄▅▆▇█"


def print_report(console: Console, report: Report) -> None:
    """The summary table, then each service's details."""
    console.print(summary_table(report))
    if len(report.services) == 1:
        console.print(service_details(report.services[0]))
    elif report.services:
        console.print(Text("Details of one service: dorameter report --service NAME", style="dim"))
    for note in report.notes:
        console.print(Text(f"Note: {note}", style="dim"))


def summary_table(report: Report) -> Table:
    """One row per service: each key's value coloured by its band, with the band's initial."""
    period = f"{report.period.since:%Y-%m-%d} to {report.period.until:%Y-%m-%d}"
    table = Table(
        title=f"DORA metrics, {period} ({report.bands} bands)",
        title_justify="left",
        caption="CFR: change fail rate. Bands: E elite, H high, M medium, L low.",
        caption_justify="left",
    )
    table.add_column("Service", overflow="fold", min_width=12)
    for header in ("Deploy/wk", "Lead time", "CFR", "Recovery", "Rework"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("Overall", no_wrap=True)
    for service in report.services:
        table.add_row(*_summary_cells(service))
    if not report.services:
        table.add_row("(no data yet: run dorameter analyze PATH or dorameter demo)", *[""] * 6)
    return table


def _summary_cells(service: ServiceReport) -> list[RenderableType]:
    frequency = service.deployment_frequency
    lead = service.lead_time.summary
    recovery = service.recovery_time.summary
    return [
        service.service,
        _with_band(f"{frequency.per_week:.1f}", frequency.band),
        _with_band(human_duration(lead.median_seconds), service.lead_time.band),
        _with_band(_percent_of(service.change_fail_rate), service.change_fail_rate.band),
        _with_band(human_duration(recovery.median_seconds), service.recovery_time.band),
        Text(_percent_of(service.rework_rate)),
        band_text(service.overall_band),
    ]


def service_details(service: ServiceReport) -> Group:
    """Distributions, intervals, Quick Check, trend and notes of one service."""
    table = Table(title=f"{service.service}: details", title_justify="left", show_header=True)
    table.add_column("Metric")
    table.add_column("Value", justify="right")
    table.add_column("p75 / p90 or 95% interval", justify="right")
    table.add_column("Samples", justify="right")
    frequency = service.deployment_frequency
    low, high = frequency.ci95_per_day
    table.add_row(
        "Deployment frequency",
        f"{frequency.per_day:.2f}/day",
        f"{low:.2f} - {high:.2f}/day",
        f"{frequency.count} ({frequency.active_day_share:.0%} of days)",
    )
    lead = service.lead_time.summary
    table.add_row(
        "Change lead time (median)",
        human_duration(lead.median_seconds),
        f"{human_duration(lead.p75_seconds)} / {human_duration(lead.p90_seconds)}",
        str(lead.count),
    )
    table.add_row("Change fail rate", *_rate_cells(service.change_fail_rate))
    recovery = service.recovery_time
    table.add_row(
        "Failed deployment recovery",
        human_duration(recovery.summary.median_seconds),
        f"{human_duration(recovery.summary.p75_seconds)} / "
        f"{human_duration(recovery.summary.p90_seconds)}",
        f"{recovery.summary.count} ({recovery.unrecovered} open)",
    )
    restore = service.time_to_restore
    table.add_row(
        "Time to restore (incidents)",
        human_duration(restore.summary.median_seconds),
        f"{human_duration(restore.summary.p75_seconds)} / "
        f"{human_duration(restore.summary.p90_seconds)}",
        f"{restore.summary.count} ({restore.unrecovered} open)",
    )
    table.add_row("Deployment rework rate", *_rate_cells(service.rework_rate))
    parts: list[RenderableType] = [table, _quick_check_line(service), _trend_line(service.trend)]
    parts += [Text(f"Note: {note}", style="yellow") for note in service.notes]
    return Group(*parts)


def _rate_cells(rate: RateResult) -> tuple[str, str, str]:
    interval = "-" if rate.ci95 is None else f"{rate.ci95[0]:.0%} - {rate.ci95[1]:.0%}"
    return _percent_of(rate), interval, f"{rate.numerator} of {rate.total}"


def _quick_check_line(service: ServiceReport) -> Text:
    check = service.quick_check

    def score(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    return Text(
        f"Quick Check (0-10): overall {score(check.overall)}, throughput "
        f"{score(check.throughput)}, stability {score(check.stability)}",
        style="cyan",
    )


def _trend_line(trend: tuple[TrendPoint, ...]) -> Text:
    counts = [point.deployments for point in trend]
    if not counts:
        return Text("")
    top = max(counts) or 1
    sparks = "".join(
        _SPARKS[min(len(_SPARKS) - 1, count * len(_SPARKS) // (top + 1))] for count in counts
    )
    return Text(f"Deployments per week: {sparks} (max {top})")


def _with_band(value: str, band: Band | None) -> Text:
    if band is None:
        return Text(f"{value}  ")
    return Text(f"{value} {band.value[0].upper()}", style=BAND_STYLES[band])


def band_text(band: Band | None) -> Text:
    if band is None:
        return Text("-", style="dim")
    return Text(band.value.capitalize(), style=BAND_STYLES[band])


def _percent_of(rate: RateResult) -> str:
    return "-" if rate.value is None else f"{rate.value:.0%}"


def human_duration(seconds: float | None) -> str:
    """Seconds as the unit a person would say: 45 s, 12 min, 5.2 h, 3.1 d."""
    if seconds is None:
        return "-"
    for limit, unit, size in ((120, "s", 1), (7200, "min", 60), (172800, "h", 3600)):
        if abs(seconds) < limit:
            return f"{seconds / size:.0f} {unit}" if unit != "h" else f"{seconds / size:.1f} h"
    return f"{seconds / 86400:.1f} d"
