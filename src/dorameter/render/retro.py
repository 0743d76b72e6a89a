"""The retrospective report: one self-contained Markdown or HTML file rendered from the Report.

Sections per service: the five keys with bands, weekly trends (inline SVG in HTML), the
bottleneck and findings, goal progress against a baseline, failed deployments and their
recovery, the notable incidents, and the slowest, biggest and long-lived open pull requests.
Every number comes from the Report (and the progress rows computed from it); nothing is
recomputed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import NamedTuple

from dorameter.analysis.progress import GoalMetric, ProgressRow
from dorameter.analysis.stages import PullRequestStages, Stage
from dorameter.metrics.bands import Band
from dorameter.render.console import human_duration
from dorameter.render.retro_rows import (
    INCIDENT_HEADER,
    OPEN_PR_HEADER,
    incident_rows,
    open_pull_request_rows,
)
from dorameter.render.svg import bar_chart
from dorameter.report import Report, ServiceReport

Rows = list[list[str]]


class Section(NamedTuple):
    """One titled part of a service's retrospective: a table, a list (no header) or nothing."""

    title: str
    header: list[str]
    rows: Rows
    note: str = ""  # said under the rows (for example how many were left out)


def retro_markdown(report: Report, progress: Mapping[str, Sequence[ProgressRow]]) -> str:
    """The retrospective as Markdown (charts as tables of numbers: Markdown has no images)."""
    lines = [f"# Delivery retrospective {_period(report)}", "", f"Bands: DORA {report.bands}.", ""]
    for service in report.services:
        lines += [f"## {service.service}", ""]
        for section in _sections(service, progress.get(service.service)):
            lines += [f"### {section.title}", ""]
            if section.header and section.rows:
                lines += _markdown_table(section.header, section.rows)
            elif section.rows:
                lines += [f"- {row[0]}" for row in section.rows]
            else:
                lines.append("None.")
            lines += ["", section.note, ""] if section.note else [""]
    lines += [f"_Generated {report.generated_at:%Y-%m-%d %H:%M} UTC by dorameter._", ""]
    return "\n".join(lines)


def retro_html(report: Report, progress: Mapping[str, Sequence[ProgressRow]]) -> str:
    """The retrospective as one HTML file with inline CSS and SVG charts (no network needed)."""
    body = [f"<h1>Delivery retrospective {escape(_period(report))}</h1>"]
    body.append(f"<p>Bands: DORA {escape(report.bands)}.</p>")
    for service in report.services:
        body.append(f"<section><h2>{escape(service.service)}</h2>")
        body.append(_charts(service))
        for section in _sections(service, progress.get(service.service)):
            body.append(f"<h3>{escape(section.title)}</h3>")
            rows = section.rows
            if section.header and rows:
                body.append(_html_table(section.header, rows))
            elif rows:
                body.append("<ul>" + "".join(f"<li>{escape(r[0])}</li>" for r in rows) + "</ul>")
            else:
                body.append("<p>None.</p>")
            if section.note:
                body.append(f'<p class="note">{escape(section.note)}</p>')
        body.append("</section>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Delivery retrospective {escape(_period(report))}</title><style>{_CSS}</style>"
        f"</head><body>{''.join(body)}<footer>Generated {report.generated_at:%Y-%m-%d %H:%M} UTC"
        " by dorameter.</footer></body></html>\n"
    )


_CSS = (
    "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;color:#222}"
    "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;"
    "text-align:right}td:first-child,th:first-child{text-align:left}"
    ".elite{color:#1a7f37;font-weight:bold}.high{color:#1a7f37}.medium{color:#9a6700}"
    ".low{color:#cf222e}svg{display:block;margin:.5rem 0}.note{color:#555}"
)


def _sections(service: ServiceReport, rows: Sequence[ProgressRow] | None) -> list[Section]:
    diagnosis = service.diagnosis
    sections = [
        Section("The five keys", ["metric", "value", "band"], _keys(service)),
        Section(
            "Weekly trend",
            ["week", "deployments", "lead time", "failed", "recovery"],
            [
                [
                    point.week_start.isoformat(),
                    str(point.deployments),
                    human_duration(point.lead_time_median_seconds),
                    str(point.failed),
                    human_duration(point.recovery_median_seconds),
                ]
                for point in service.trend
            ],
        ),
        Section(
            "Bottleneck and findings",
            [],
            [[f"{finding.message} Suggestion: {finding.lever}"] for finding in diagnosis.findings],
        ),
    ]
    if rows is not None:
        sections.append(
            Section(
                "Goal progress",
                ["metric", "baseline", "now", "change (95%)", "verdict", "target", "band"],
                [_progress_row(row) for row in rows],
            )
        )
    sections += [
        Section(
            "Failed deployments",
            ["deployment", "finished", "why", "recovered"],
            [
                [
                    outcome.deployment.external_id,
                    f"{outcome.deployment.finished_at:%Y-%m-%d %H:%M}",
                    ", ".join(reason.value for reason in outcome.failure_reasons),
                    f"{outcome.recovered_at:%Y-%m-%d %H:%M}" if outcome.recovered_at else "no",
                ]
                for outcome in service.failed_deployments
            ],
        ),
        _incidents(service),
        Section("Slowest pull requests", _PR_HEADER, [_pr_row(i) for i in diagnosis.slowest()]),
        Section("Biggest pull requests", _PR_HEADER, [_pr_row(i) for i in diagnosis.biggest()]),
        _open_pull_requests(service),
    ]
    return sections


def _incidents(service: ServiceReport) -> Section:
    found = service.incidents
    more = f"{found.more} more incident(s) of the period not listed." if found.more else ""
    return Section("Notable incidents", INCIDENT_HEADER, incident_rows(found), more)


def _open_pull_requests(service: ServiceReport) -> Section:
    trunk = service.diagnosis.trunk
    rows = open_pull_request_rows(trunk)
    more = len(trunk.long_lived_open) - len(rows)
    note = f"{more} more not listed." if more > 0 else ""
    days = f"{trunk.long_lived_threshold_seconds / 86400:g}"
    return Section(f"Pull requests open longer than {days} days", OPEN_PR_HEADER, rows, note)


_PR_HEADER = ["pull request", "author", "lines", "lead time", "bottleneck stage"]


def _keys(service: ServiceReport) -> Rows:
    frequency, lead = service.deployment_frequency, service.lead_time
    fail, recovery, rework = service.change_fail_rate, service.recovery_time, service.rework_rate
    return [
        ["deployment frequency", f"{frequency.per_week:.1f} per week", _band(frequency.band)],
        [
            "change lead time (median)",
            human_duration(lead.summary.median_seconds),
            _band(lead.band),
        ],
        ["change fail rate", _percent(fail.value, fail.numerator, fail.total), _band(fail.band)],
        [
            "failed deployment recovery time (median)",
            human_duration(recovery.summary.median_seconds),
            _band(recovery.band),
        ],
        ["deployment rework rate", _percent(rework.value, rework.numerator, rework.total), "-"],
        ["overall", "", _band(service.overall_band)],
    ]


def _pr_row(item: PullRequestStages) -> list[str]:
    fact = item.pull_request
    known = [(stage, v) for stage in _STAGES if (v := item.duration(stage)) is not None]
    slowest = max(known, key=lambda pair: pair[1])[0].value if known else "-"
    return [
        f"#{fact.number} {fact.title}",
        fact.author,
        "-" if fact.size is None else str(fact.size),
        human_duration(item.lead_seconds),
        slowest,
    ]


def _progress_row(row: ProgressRow) -> list[str]:
    change = row.change
    interval = (
        "-"
        if change is None
        else f"{_value(row.metric, change.difference)} "
        f"[{_value(row.metric, change.low)}, {_value(row.metric, change.high)}]"
    )
    return [
        row.metric.value,
        _value(row.metric, row.baseline),
        _value(row.metric, row.now),
        interval,
        row.verdict,
        _value(row.metric, row.goal.target) if row.goal else "-",
        f"{_band(row.band_then)} -> {_band(row.band_now)}",
    ]


def _value(metric: GoalMetric, value: float | None) -> str:
    if value is None:
        return "-"
    if metric in (GoalMetric.LEAD_TIME, GoalMetric.RECOVERY_TIME):
        return ("-" if value < 0 else "") + human_duration(abs(value))
    if metric is GoalMetric.DEPLOYMENT_FREQUENCY:
        return f"{value:.2f}/d"
    return f"{value:.1%}"


def _charts(service: ServiceReport) -> str:
    labels = [point.week_start.isoformat() for point in service.trend]
    deployments = [float(point.deployments) for point in service.trend]
    lead_hours = [
        None if point.lead_time_median_seconds is None else point.lead_time_median_seconds / 3600
        for point in service.trend
    ]
    return bar_chart("Deployments per week", labels, deployments) + bar_chart(
        "Median lead time per week (hours)", labels, lead_hours
    )


def _markdown_table(header: list[str], rows: Rows) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return [line(header), "|" + "---|" * len(header), *(line(row) for row in rows)]


def _html_table(header: list[str], rows: Rows) -> str:
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(_html_cell(cell) for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_cell(cell: str) -> str:
    css = cell.lower() if cell.lower() in {band.value for band in Band} else ""
    return f'<td class="{css}">{escape(cell)}</td>' if css else f"<td>{escape(cell)}</td>"


def _band(band: Band | None) -> str:
    return band.value.capitalize() if band else "-"


def _percent(value: float | None, count: int, total: int) -> str:
    return "-" if value is None else f"{value:.0%} ({count} of {total})"


def _period(report: Report) -> str:
    return f"{report.period.since:%Y-%m-%d} to {report.period.until:%Y-%m-%d}"


_STAGES = tuple(Stage)
