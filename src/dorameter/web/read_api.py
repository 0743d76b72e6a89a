"""The read API under /api/v1: the report, services, teams and paged listings, as JSON or CSV.

GET /api/v1/report          the Report in the JSON contract (docs/json-report.md)
GET /api/v1/services        each service's team, band and headline figures
GET /api/v1/teams           each team and its services
GET /api/v1/deployments     | paged rows, newest first, filtered like the report;
GET /api/v1/changes         | ?format=csv answers the same rows as CSV
GET /api/v1/pull-requests   |
GET /api/v1/incidents       |
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from dorameter.render.document import report_document
from dorameter.report import ServiceReport
from dorameter.store import Store
from dorameter.store.listings import Listing, ListQuery, Page, list_rows
from dorameter.web.refresh import Cached
from dorameter.web.views import FilterError, ReportCache, View, ViewData, ViewQuery

Reader = Callable[..., Awaitable[None]]
MAX_LIMIT = 1000
BUILT_AT_HEADER = "Dorameter-Report-Built-At"
UPDATING_HEADER = "Dorameter-Report-Updating"
_MAX_FILTER = 400


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """The one error shape of every endpoint."""

    error: ErrorDetail


class PageBody(BaseModel):
    """One page of rows: `total` rows match; `limit` and `offset` select these."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


class TeamBody(BaseModel):
    team: str
    services: list[str]


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "Read authentication is on and no valid API token was sent"),
        (404, "No such service or team"),
        (422, "A filter or paging value is invalid"),
        (503, "The store is unavailable"),
    )
}
_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


def view_query(
    since: Annotated[
        str | None, Query(description="Period start, ISO 8601 (e.g. 2026-09-01)")
    ] = None,
    until: Annotated[str | None, Query(description="Period end (exclusive); default: now")] = None,
    last: Annotated[
        str | None, Query(description="Period length back from until, e.g. 30d; default 90d")
    ] = None,
    service: Annotated[str | None, Query(description="Only this service")] = None,
    team: Annotated[str | None, Query(description="Only the services of this team")] = None,
    environment: Annotated[
        str | None,
        Query(description="Only this environment (default: the production environments)"),
    ] = None,
) -> ViewQuery:
    """The filters every read endpoint and page takes, checked for plain text."""
    values = {
        "since": since,
        "until": until,
        "last": last,
        "service": service,
        "team": team,
        "environment": environment,
    }
    for name, value in values.items():
        if value is not None and (
            len(value) > _MAX_FILTER or any(ord(char) < 32 for char in value)
        ):
            raise FilterError(name, f"{name}: at most {_MAX_FILTER} printable characters")
    return ViewQuery(**{name: value or None for name, value in values.items()})


Filters = Annotated[ViewQuery, Depends(view_query)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Rows to skip")]
OutputFormat = Annotated[Format, Query(description="json or csv")]


def read_api_router(store: Store, cache: ReportCache, reader: Reader) -> APIRouter:
    """The read routes over one store and its report cache; `reader` checks read access."""
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(reader)], responses=ERRORS)

    async def resolved(query: ViewQuery) -> View:
        return await run_in_threadpool(cache.view, query)

    async def snapshot_of(query: ViewQuery) -> Cached[ViewData]:
        view = await resolved(query)
        return await run_in_threadpool(cache.snapshot, view)

    @router.get("/report", summary="The report in the JSON contract", tags=["read"])
    async def report(filters: Filters, response: Response) -> dict[str, Any]:
        snapshot = await snapshot_of(filters)
        response.headers.update(built_headers(snapshot))
        return report_document(snapshot.value.report)

    @router.get(
        "/services",
        summary="Services with team, band and headline figures",
        tags=["read"],
        response_model=PageBody,
        responses=_CSV,
    )
    async def services(
        filters: Filters,
        limit: Limit = 100,
        offset: Offset = 0,
        format: OutputFormat = Format.JSON,
    ) -> Response:
        snapshot = await snapshot_of(filters)
        data = snapshot.value
        rows = [service_row(item, data.teams.get(item.service)) for item in data.report.services]
        page = Page(rows[offset : offset + limit], len(rows), SERVICE_COLUMNS)
        answer = _answer(page, limit, offset, format, "services")
        answer.headers.update(built_headers(snapshot))
        return answer

    @router.get("/teams", summary="Teams and their services", tags=["read"])
    async def teams() -> list[TeamBody]:
        owners = await run_in_threadpool(cache.teams)
        members: dict[str, list[str]] = {}
        for service, team in sorted(owners.items()):
            if team:
                members.setdefault(team, []).append(service)
        return [TeamBody(team=team, services=names) for team, names in sorted(members.items())]

    def listing_route(listing: Listing, path: str, summary: str) -> None:
        async def rows(
            filters: Filters,
            limit: Limit = 100,
            offset: Offset = 0,
            format: OutputFormat = Format.JSON,
        ) -> Response:
            view = await resolved(filters)
            query = ListQuery(
                view.period,
                view.services,
                (view.environment,) if view.environment else None,
                limit,
                offset,
            )
            page = await run_in_threadpool(list_rows, store.engine, listing, query)
            return _answer(page, limit, offset, format, listing.value)

        router.add_api_route(
            path,
            rows,
            methods=["GET"],
            summary=summary,
            tags=["read"],
            response_model=PageBody,
            responses=_CSV,
            name=listing.value,
        )

    listing_route(Listing.DEPLOYMENTS, "/deployments", "Deployments in the period (all statuses)")
    listing_route(Listing.CHANGES, "/changes", "Commits shipped by deployments in the period")
    listing_route(Listing.PULL_REQUESTS, "/pull-requests", "Pull requests opened in the period")
    listing_route(Listing.INCIDENTS, "/incidents", "Incidents started in the period")
    return router


SERVICE_COLUMNS = (
    "service",
    "team",
    "deployments",
    "deployments_per_day",
    "lead_time_median_seconds",
    "change_fail_rate",
    "recovery_time_median_seconds",
    "rework_rate",
    "deployment_frequency_band",
    "lead_time_band",
    "change_fail_rate_band",
    "recovery_time_band",
    "overall_band",
)


def built_headers(snapshot: Cached[Any]) -> dict[str, str]:
    """When the report answered was built, and whether a newer one is being built."""
    headers = {BUILT_AT_HEADER: snapshot.built_at.isoformat().replace("+00:00", "Z")}
    if snapshot.stale:
        headers[UPDATING_HEADER] = "true"
    return headers


def service_row(service: ServiceReport, team: str | None) -> dict[str, Any]:
    """One service's headline figures, flat enough for a table or a CSV line."""
    bands = {
        "deployment_frequency_band": service.deployment_frequency.band,
        "lead_time_band": service.lead_time.band,
        "change_fail_rate_band": service.change_fail_rate.band,
        "recovery_time_band": service.recovery_time.band,
        "overall_band": service.overall_band,
    }
    return {
        "service": service.service,
        "team": team,
        "deployments": service.deployment_frequency.count,
        "deployments_per_day": service.deployment_frequency.per_day,
        "lead_time_median_seconds": service.lead_time.summary.median_seconds,
        "change_fail_rate": service.change_fail_rate.value,
        "recovery_time_median_seconds": service.recovery_time.summary.median_seconds,
        "rework_rate": service.rework_rate.value,
    } | {name: band.value if band else None for name, band in bands.items()}


def _answer(page: Page, limit: int, offset: int, format: Format, name: str) -> Response:
    if format is Format.CSV:
        return Response(
            to_csv(page.rows, page.columns),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    body = {"items": page.rows, "total": page.total, "limit": limit, "offset": offset}
    return JSONResponse(body)


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV under a header line, which an empty page keeps (a spreadsheet still opens it)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
