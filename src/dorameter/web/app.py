"""The application factory: `create_app(settings, store)`; nothing connects at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from dorameter import __version__
from dorameter.config import Settings
from dorameter.events import reprocess
from dorameter.store import RawStatus, Store
from dorameter.web.api import api_router
from dorameter.web.auth import TokenCheck
from dorameter.web.dashboard import mount_dashboard, templates
from dorameter.web.error_pages import page_renderer
from dorameter.web.errors import install_error_handlers
from dorameter.web.hooks import hooks_router
from dorameter.web.intake import Intake
from dorameter.web.login import login_router
from dorameter.web.prometheus import CONTENT_TYPE, exposition
from dorameter.web.read_api import ERRORS, Filters, built_headers, read_api_router
from dorameter.web.session import ReadAccess
from dorameter.web.views import ReportCache
from dorameter.writer import EventWriter

log = logging.getLogger("dorameter.web")


def create_app(settings: Settings, store: Store) -> FastAPI:
    """The HTTP server over one store: webhooks, CDEvents and the push API."""
    writer = EventWriter(store, settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Raw events committed before a crash but never applied are applied first.
        report = await run_in_threadpool(reprocess, store, settings, [RawStatus.PENDING])
        if report.read:
            log.info("applied %d raw events left pending by the previous run", report.read)
        writer.start()
        cache.start()
        try:
            yield
        finally:
            await run_in_threadpool(cache.stop)
            await run_in_threadpool(writer.stop)

    app = FastAPI(
        title="dorameter",
        version=__version__,
        summary="DORA metrics: takes delivery events; serves the report, dashboard and /metrics.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load from a CDN; /api is served from this server
        redoc_url=None,
    )
    read_auth = settings.server.read_auth
    pages = templates(login=read_auth)
    install_error_handlers(app, page_renderer(pages))
    intake = Intake(settings, writer)
    token = TokenCheck(store, writer)
    access = ReadAccess(store, token)
    cache = ReportCache(store, settings)
    app.state.report_cache = cache

    async def reader(request: Request) -> None:
        """Reading needs an API token or a session only when started with --auth token."""
        if read_auth:
            await access(request)

    app.include_router(hooks_router(intake, token))
    app.include_router(api_router(intake, token))
    app.include_router(read_api_router(store, cache, reader))
    if read_auth:
        app.include_router(login_router(pages, token))
    mount_dashboard(app, pages, store, cache, reader)

    @app.get(
        "/metrics",
        summary="The report per service in the Prometheus text format",
        tags=["read"],
        dependencies=[Depends(reader)],
        responses=ERRORS | {200: {"content": {CONTENT_TYPE: {"schema": {"type": "string"}}}}},
        response_class=Response,
    )
    async def metrics(filters: Filters) -> Response:
        view = await run_in_threadpool(cache.view, filters)
        snapshot = await run_in_threadpool(cache.snapshot, view)
        text = exposition(snapshot.value.report, snapshot.value.teams)
        return Response(text, media_type=CONTENT_TYPE, headers=built_headers(snapshot))

    @app.get("/healthz", summary="Liveness: the server is up and its writer runs")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
