"""One JSON error shape for every failure: {"error": {"code": "...", "message": "..."}}.

Expected problems become a 4xx (or 503 when the store is down) with a message that says what
was wrong; only a bug is a 500, and its details go to the log, not to the caller. A browser's
paths (the dashboard's pages) get the same failure as an HTML page instead (web/error_pages.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from dorameter.errors import DorameterError, NotFound, StoreError, UsageError

log = logging.getLogger("dorameter.web")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_payload",
}


class ApiError(Exception):
    """An answer other than success, with the status, a stable code and a message."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


@dataclass(frozen=True)
class Failure:
    """An error as answered: status, code, message, headers, and the filter at fault if any."""

    status: int
    code: str
    message: str
    headers: dict[str, str] | None = None
    parameter: str | None = None


# Renders a failure for a person (an HTML page); machine paths never use it.
PageRenderer = Callable[[Request, Failure], Response]
_MACHINE_SEGMENTS = frozenset({"hooks", "events", "metrics", "healthz", "openapi.json"})


def is_machine_path(path: str) -> bool:
    """Paths that programs call (read and push API, webhooks, /metrics): JSON errors only."""
    return path.startswith("/api/") or path.split("/")[1] in _MACHINE_SEGMENTS


def install_error_handlers(app: FastAPI, page: PageRenderer | None = None) -> None:
    """Render every error in the one JSON shape, or as a page (`page`) for a browser's path."""

    def respond(request: Request, failure: Failure) -> Response:
        if page is not None and not is_machine_path(request.url.path):
            return page(request, failure)
        return error_response(failure.status, failure.code, failure.message, failure.headers)

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return respond(request, Failure(exc.status, exc.code, exc.message, exc.headers))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = _HTTP_CODES.get(exc.status_code, "error")
        failure = Failure(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))
        return respond(request, failure)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        location = [str(part) for part in first.get("loc", ())]
        where = ".".join(location)
        failure = Failure(
            422,
            "invalid_payload",
            f"{where}: {first.get('msg', 'invalid')}",
            parameter=location[-1] if location[:1] == ["query"] else None,
        )
        return respond(request, failure)

    async def domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DorameterError)
        return respond(request, _domain_failure(exc))

    async def bug(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        failure = Failure(500, "internal", "unexpected error; the server log has details")
        return respond(request, failure)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(DorameterError, domain_error)
    app.add_exception_handler(Exception, bug)


def _domain_failure(exc: DorameterError) -> Failure:
    parameter = getattr(exc, "parameter", None)  # set by filter errors (web/views.py)
    if isinstance(exc, NotFound):
        return Failure(404, "not_found", str(exc), parameter=parameter)
    if isinstance(exc, UsageError):
        return Failure(422, "invalid_payload", str(exc), parameter=parameter)
    if isinstance(exc, StoreError):
        return Failure(503, "store_unavailable", str(exc))
    return Failure(502, "source_error", str(exc))
