"""The application factory: `create_app(settings, store)`; nothing connects at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from dorameter import __version__
from dorameter.config import Settings
from dorameter.events import reprocess
from dorameter.store import RawStatus, Store
from dorameter.web.api import api_router
from dorameter.web.auth import TokenCheck
from dorameter.web.errors import install_error_handlers
from dorameter.web.hooks import hooks_router
from dorameter.web.intake import Intake
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
        try:
            yield
        finally:
            await run_in_threadpool(writer.stop)

    app = FastAPI(
        title="dorameter",
        version=__version__,
        summary="Receives delivery events: webhooks, CDEvents and a push API.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    intake = Intake(settings, writer)
    token = TokenCheck(store, writer)
    app.include_router(hooks_router(intake, token))
    app.include_router(api_router(intake, token))

    @app.get("/healthz", summary="Liveness: the server is up and its writer runs")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
