"""The dashboard: server-rendered pages over the same cached Report the read API serves.

GET /                  overview: every service with its keys, bands, trend; filters in the URL
GET /services/{name}   one service: trend per key with bands shaded, deployment timeline, notable
                       incidents, long-lived open pull requests, recent incidents
GET /teams/{name}      the overview of one team's services, led by the team measured as one
GET /api               the read API, described from /openapi.json, with forms to try it
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from dorameter.analysis.progress import GoalMetric, ProgressRow, progress_rows
from dorameter.errors import NotFound
from dorameter.progress import Subject, figures_of
from dorameter.render.retro_rows import OPEN_PULL_REQUESTS, cause_text
from dorameter.report import Report, ServiceReport
from dorameter.store import SavedBaseline, Store
from dorameter.web.charts import (
    TREND_KEYS,
    duration_text,
    size_chart,
    sparkline,
    stage_chart,
    timeline_chart,
    trend_chart,
)
from dorameter.web.read_api import Filters, Reader, service_row
from dorameter.web.refresh import Cached
from dorameter.web.views import ReportCache, ViewData, ViewQuery


def _plotly_js() -> Path:
    """The plotly.js bundle inside the installed plotly package (found without importing it)."""
    spec = find_spec("plotly")
    if spec is None or spec.origin is None:
        raise RuntimeError("the plotly package is missing: reinstall dorameter")
    return Path(spec.origin).parent / "package_data" / "plotly.min.js"


PLOTLY_JS = _plotly_js()
STATIC = Path(__file__).parent / "static"
PERIODS = ("7d", "30d", "90d", "180d", "365d")
RECENT_INCIDENTS = 20


def templates(login: bool = False) -> Environment:
    """The pages' templates; `login` adds the sign-out link (`serve --auth token`)."""
    environment = Environment(
        loader=PackageLoader("dorameter.web", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    environment.filters["duration"] = duration_text
    environment.globals["metric_value"] = metric_value
    environment.globals["login"] = login
    # The notable incidents and long-lived open pull requests, listed as the retrospective does.
    environment.globals["open_pull_requests_listed"] = OPEN_PULL_REQUESTS
    environment.filters["cause"] = cause_text
    environment.filters["percent"] = lambda value: "-" if value is None else f"{value * 100:.1f}%"
    environment.filters["number"] = lambda value: "-" if value is None else f"{value:.2f}"
    environment.filters["chart"] = lambda spec: Markup(json.dumps(spec).replace("</", "<\\/"))
    return environment


def mount_dashboard(
    app: FastAPI, pages: Environment, store: Store, cache: ReportCache, reader: Reader
) -> None:
    """Add the pages, the dashboard's own static files and the plotly.js the package ships."""
    app.include_router(_router(pages, store, cache, reader))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def _router(pages: Environment, store: Store, cache: ReportCache, reader: Reader) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    guarded = [Depends(reader)]

    def render(name: str, **context: Any) -> HTMLResponse:
        return HTMLResponse(pages.get_template(name).render(**context))

    async def snapshot_of(query: ViewQuery, team: str | None = None) -> Cached[ViewData]:
        view = await run_in_threadpool(cache.view, query)
        return await run_in_threadpool(cache.snapshot, view, team)

    async def choices(teams: dict[str, str | None]) -> dict[str, Any]:
        environments = await run_in_threadpool(store.environment_names)
        return {
            "services": sorted(teams),
            "teams": sorted({team for team in teams.values() if team}),
            "environments": environments,
            "periods": PERIODS,
            "owners": teams,
        }

    async def overview_page(request: Request, query: ViewQuery, title: str) -> HTMLResponse:
        # A team (not narrowed to one service) leads with the team measured as one.
        pooled_team = query.team if query.team and not query.service else None
        snapshot = await snapshot_of(query, pooled_team)
        data = snapshot.value
        options = await choices(data.teams)
        rows = [_overview_row(service, data.teams) for service in data.report.services]
        pooled_figures = data.pooled.services[0] if data.pooled else None
        pooled = _overview_row(pooled_figures, {}) if pooled_figures else None
        return render(
            "overview.html",
            title=title,
            view=data.view,
            report=data.report,
            rows=rows,
            options=options,
            path=request.url.path,
            empty=not options["services"],
            pooled=pooled,
            pooled_figures=pooled_figures,
            snapshot=snapshot,
        )

    async def known(kind: str, name: str) -> None:
        """404 for a page naming a service or team that does not exist."""
        teams = await run_in_threadpool(cache.teams)
        names = set(teams) if kind == "service" else {team for team in teams.values() if team}
        if name not in names:
            raise NotFound(f"There is no {kind} named {name!r}.")

    @router.get("/", dependencies=guarded)
    async def overview(request: Request, filters: Filters) -> HTMLResponse:
        return await overview_page(request, filters, "Overview")

    @router.get("/teams/{team_name}", dependencies=guarded)
    async def team_page(request: Request, team_name: str, filters: Filters) -> HTMLResponse:
        await known("team", team_name)
        query = ViewQuery(**(vars(filters) | {"team": team_name}))
        return await overview_page(request, query, f"Team {team_name}")

    @router.get("/services/{service_name}", dependencies=guarded)
    async def service_page(request: Request, service_name: str, filters: Filters) -> HTMLResponse:
        await known("service", service_name)
        snapshot = await snapshot_of(ViewQuery(**(vars(filters) | {"service": service_name})))
        data = snapshot.value
        figures = data.report.services[0]
        assert data.timeline is not None  # a one-service view carries its timeline
        charts = [trend_chart(figures, key, data.report.bands) for key in TREND_KEYS]
        # The flow diagnosis (issue 5) is drawn when the Report carries one.
        diagnosis = getattr(figures, "diagnosis", None)
        flow = [chart for chart in (stage_chart(diagnosis), size_chart(diagnosis)) if chart]
        goals = await run_in_threadpool(_goal_progress, store, data.report, figures)
        return render(
            "service.html",
            goals=goals,
            title=service_name,
            view=data.view,
            report=data.report,
            service=figures,
            charts=charts,
            timeline=timeline_chart(figures, data.timeline),
            options=await choices(data.teams),
            incidents=data.timeline.incidents[:RECENT_INCIDENTS],
            path=request.url.path,
            team=data.teams.get(service_name),
            diagnosis=diagnosis,
            flow=flow,
            snapshot=snapshot,
        )

    @router.get("/api", dependencies=guarded)
    async def api_page(request: Request) -> HTMLResponse:
        spec = request.app.openapi()
        operations = [
            (path, method.upper(), operation)
            for path, methods in spec["paths"].items()
            for method, operation in methods.items()
        ]
        return render("api.html", title="API", operations=operations, spec=spec, view=None)

    @router.get("/vendor/plotly.min.js")
    async def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    return router


def _overview_row(service: ServiceReport, owners: dict[str, str | None]) -> dict[str, Any]:
    row = service_row(service, owners.get(service.service))
    weekly = [float(point.deployments) for point in service.trend]
    return row | {"sparkline": sparkline(weekly), "weeks": len(weekly)}


@dataclass(frozen=True)
class GoalProgress:
    """A service's newest baseline against the period shown, with its goals."""

    baseline: SavedBaseline
    rows: tuple[ProgressRow, ...]


def _goal_progress(store: Store, report: Report, service: ServiceReport) -> GoalProgress | None:
    scope = Subject(service.service).scope
    if not store.baseline_names(scope):
        return None
    saved = store.load_baseline(scope)
    now = figures_of(report, service)
    return GoalProgress(saved, progress_rows(saved.figures, now, store.goals(scope), report.bands))


def metric_value(metric: GoalMetric, value: float | None) -> str:
    """A goal metric's value in its unit: per day, a duration, or a share."""
    if value is None:
        return "-"
    if metric is GoalMetric.DEPLOYMENT_FREQUENCY:
        return f"{value:.2f}/day"
    if metric in (GoalMetric.LEAD_TIME, GoalMetric.RECOVERY_TIME):
        return duration_text(value)
    return f"{value * 100:.1f}%"
