"""Chart specifications (Plotly data and layout as plain dicts) and sparklines from a Report.

The browser draws them with the plotly.js that the plotly package ships; nothing here knows HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from dorameter.metrics.bands import DAY, Band, BandMetric, classify, next_band_target
from dorameter.metrics.trends import TrendPoint
from dorameter.report import ServiceReport
from dorameter.timestamps import moment

BAND_COLOURS = {
    Band.ELITE: "rgba(46, 160, 67, 0.12)",
    Band.HIGH: "rgba(56, 139, 253, 0.12)",
    Band.MEDIUM: "rgba(210, 153, 34, 0.14)",
    Band.LOW: "rgba(248, 81, 73, 0.12)",
}
_LAYOUT = {
    "margin": {"l": 56, "r": 16, "t": 36, "b": 40},
    "height": 260,
    "showlegend": False,
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
}


@dataclass(frozen=True)
class TrendKey:
    """One key's weekly series: its title, unit scale, band metric and value per week."""

    title: str
    unit: str
    scale: float  # shown value = raw value / scale
    metric: BandMetric | None
    value: Callable[[TrendPoint], float | None]


TREND_KEYS = (
    TrendKey(
        "Deployments per day",
        "per day",
        1.0,
        BandMetric.DEPLOYMENT_FREQUENCY,
        lambda p: p.deployments / 7,
    ),
    TrendKey(
        "Lead time (median)",
        "hours",
        3600.0,
        BandMetric.LEAD_TIME,
        lambda p: p.lead_time_median_seconds,
    ),
    TrendKey(
        "Change fail rate", "%", 0.01, BandMetric.CHANGE_FAIL_RATE, lambda p: p.change_fail_rate
    ),
    TrendKey(
        "Recovery time (median)",
        "hours",
        3600.0,
        BandMetric.RECOVERY_TIME,
        lambda p: p.recovery_median_seconds,
    ),
    TrendKey("Unplanned deployments (rework)", "count", 1.0, None, lambda p: p.unplanned),
)


def band_regions(year: str, metric: BandMetric) -> list[tuple[Band, float, float]]:
    """The bands of a metric as (band, low, high) value ranges, walking from worst to best."""
    higher_better = metric is BandMetric.DEPLOYMENT_FREQUENCY
    value = 0.0 if higher_better else 1e12
    edges: list[float] = []
    for _step in range(4):
        target = next_band_target(year, metric, value)
        if target is None or target == value:
            break
        edges.append(target)
        value = target * (1.000001 if higher_better else 0.999999)
    bounds = [0.0, *sorted(edges), 1e12]
    regions = []
    for low, high in pairwise(bounds):
        probe = (low + high) / 2 if high < 1e12 else low * 2 + 1
        band = classify(year, metric, probe)
        if band is not None:
            regions.append((band, low, high))
    return regions


def trend_chart(service: ServiceReport, key: TrendKey, year: str) -> dict[str, Any]:
    """A weekly line of one key with the band ranges shaded behind it."""
    weeks = [point.week_start.isoformat() for point in service.trend]
    values = [key.value(point) for point in service.trend]
    shown = [None if value is None else value / key.scale for value in values]
    known = [value for value in shown if value is not None]
    top = max(known) * 1.2 if known else 1.0
    shapes = []
    if key.metric is not None:
        for band, low, high in band_regions(year, key.metric):
            if low / key.scale > top:
                continue
            shapes.append(
                {
                    "type": "rect",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "yref": "y",
                    "y0": low / key.scale,
                    "y1": min(high / key.scale, top),
                    "fillcolor": BAND_COLOURS[band],
                    "line": {"width": 0},
                    "layer": "below",
                    "name": band.value,
                }
            )
    trace = {
        "type": "scatter",
        "mode": "lines+markers",
        "x": weeks,
        "y": shown,
        "name": key.title,
        "connectgaps": False,
        "line": {"color": "#1f6feb"},
    }
    layout = _LAYOUT | {
        "title": {"text": f"{key.title} ({key.unit})", "font": {"size": 14}},
        "yaxis": {"range": [0, top], "rangemode": "tozero"},
        "shapes": shapes,
    }
    return {"data": [trace], "layout": layout}


@dataclass(frozen=True)
class TimelineFacts:
    """What the deployment timeline marks: deployments, failed ones, and incidents."""

    deployments: Sequence[dict[str, Any]]
    incidents: Sequence[dict[str, Any]]


def timeline_chart(service: ServiceReport, facts: TimelineFacts) -> dict[str, Any]:
    """Deployments by kind on one row, failures with their recovery, incidents on another."""
    failed = {outcome.deployment.external_id: outcome for outcome in service.failed_deployments}
    kinds: dict[str, list[dict[str, Any]]] = {
        "deployed": [],
        "failed": [],
        "rollback": [],
        "fix": [],
        "attempt failed": [],
    }
    for row in facts.deployments:
        kinds[_kind(row, failed)].append(row)
    styles = {
        "deployed": ("circle", "#2ea043"),
        "failed": ("x", "#f85149"),
        "rollback": ("triangle-down", "#d29922"),
        "fix": ("diamond", "#1f6feb"),
        "attempt failed": ("circle-open", "#8b949e"),
    }
    data: list[dict[str, Any]] = []
    for kind, rows in kinds.items():
        symbol, colour = styles[kind]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": kind,
                "x": [row["finished_at"] for row in rows],
                "y": ["deployments"] * len(rows),
                "text": [f"{row['id']} {row['sha'][:10]}" for row in rows],
                "marker": {"symbol": symbol, "color": colour, "size": 9},
            }
        )
    recoveries = [o for o in service.failed_deployments if o.recovered_at is not None]
    data.append(_spans("recovery", recoveries_spans(recoveries), "failed deployments", "#f85149"))
    incident_spans = [
        (row["started_at"], row["resolved_at"], row["title"]) for row in facts.incidents
    ]
    data.append(_spans("incident", incident_spans, "incidents", "#a371f7"))
    layout = _LAYOUT | {
        "height": 240,
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.25},
        "title": {"text": "Deployment timeline", "font": {"size": 14}},
        "yaxis": {
            "type": "category",
            "categoryorder": "array",
            "categoryarray": ["incidents", "failed deployments", "deployments"],
        },
    }
    return {"data": data, "layout": layout}


def _kind(row: dict[str, Any], failed: dict[str, Any]) -> str:
    if row["status"] != "success":
        return "attempt failed"
    if row["id"] in failed:
        return "failed"
    if row["rollback"]:
        return "rollback"
    if row["fixes"]:
        return "fix"
    return "deployed"


def recoveries_spans(outcomes: Sequence[Any]) -> list[tuple[str, str, str]]:
    spans = []
    for outcome in outcomes:
        start, end = outcome.deployment.finished_at, outcome.recovered_at
        spans.append(
            (_iso(start), _iso(end), f"recovered in {duration_text((end - start).total_seconds())}")
        )
    return spans


def _spans(
    name: str, spans: Sequence[tuple[str, str | None, str]], row: str, colour: str
) -> dict[str, Any]:
    """Line segments from start to end (open ones as a single point), separated by gaps."""
    xs: list[str | None] = []
    texts: list[str | None] = []
    for start, end, text in spans:
        xs += [start, end or start, None]
        texts += [text, text, None]
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": xs,
        "y": [row if x is not None else None for x in xs],
        "text": texts,
        "line": {"color": colour, "width": 4},
        "marker": {"size": 6},
    }


def sparkline(points: Sequence[float], width: int = 120, height: int = 28) -> str:
    """An inline SVG polyline's points attribute for a series (empty when nothing to draw)."""
    if len(points) < 2:
        return ""
    top = max(points) or 1.0
    step = width / (len(points) - 1)
    return " ".join(
        f"{index * step:.1f},{height - 2 - (value / top) * (height - 4):.1f}"
        for index, value in enumerate(points)
    )


def duration_text(seconds: float | None) -> str:
    """A duration in the largest sensible unit: 45 min, 5.2 h, 3.1 d."""
    if seconds is None:
        return "-"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * DAY:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / DAY:.1f} d"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


STAGE_COLOURS = {"coding": "#1f6feb", "pickup": "#d29922", "review": "#a371f7", "deploy": "#2ea043"}


def stage_chart(diagnosis: Any) -> dict[str, Any] | None:
    """Median hours of each lead time stage per week of merge, stacked (None without PRs)."""
    per_pr = getattr(diagnosis, "pull_request_stages", ())
    if not per_pr:
        return None
    weeks: dict[str, dict[str, list[float]]] = {}
    for item in per_pr:
        merged = moment(item.pull_request.merged_at)
        week = (merged.date() - timedelta(days=merged.weekday())).isoformat()
        for stage in STAGE_COLOURS:
            value = getattr(item, stage)
            if value is not None:
                weeks.setdefault(week, {}).setdefault(stage, []).append(value)
    order = sorted(weeks)
    data = [
        {
            "type": "bar",
            "name": stage,
            "x": order,
            "y": [_median(weeks[week].get(stage, [])) for week in order],
            "marker": {"color": colour},
        }
        for stage, colour in STAGE_COLOURS.items()
    ]
    layout = _LAYOUT | {
        "barmode": "stack",
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.2},
        "title": {"text": "Lead time stages per week (median hours)", "font": {"size": 14}},
    }
    return {"data": data, "layout": layout}


def size_chart(diagnosis: Any) -> dict[str, Any] | None:
    """Each merged PR's size (lines changed) against its lead time in hours."""
    points = []
    for item in getattr(diagnosis, "pull_request_stages", ()):
        fact = item.pull_request
        parts = [getattr(item, stage) for stage in STAGE_COLOURS]
        if fact.additions is None or any(part is None for part in parts):
            continue
        size = fact.additions + (fact.deletions or 0)
        points.append((max(size, 1), sum(parts) / 3600, f"#{fact.number} {fact.title}"))
    if not points:
        return None
    trace = {
        "type": "scatter",
        "mode": "markers",
        "name": "pull requests",
        "x": [p[0] for p in points],
        "y": [p[1] for p in points],
        "text": [p[2] for p in points],
        "marker": {"color": "#1f6feb", "opacity": 0.6, "size": 6},
    }
    layout = _LAYOUT | {
        "title": {"text": "PR size (lines) against lead time (hours)", "font": {"size": 14}},
        "xaxis": {"type": "log"},
        "yaxis": {"type": "log"},
    }
    return {"data": [trace], "layout": layout}


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    value = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return value / 3600
