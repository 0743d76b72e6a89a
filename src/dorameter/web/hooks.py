"""Webhook and event endpoints: GitHub, GitLab, PagerDuty, Opsgenie and CDEvents.

Each checks who sent the delivery (401 and nothing stored when the signature or token is wrong
or missing), reads its type and delivery id, and hands it to `accept`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from dorameter.config import (
    GITHUB_SECRET_ENV,
    GITLAB_TOKEN_ENV,
    OPSGENIE_TOKEN_ENV,
    PAGERDUTY_SECRET_ENV,
)
from dorameter.errors import InvalidInput
from dorameter.sources import cdevents
from dorameter.sources.json_fields import Json, at
from dorameter.sources.webhooks import gitlab, opsgenie, pagerduty
from dorameter.sources.webhooks.signatures import (
    github_signature_ok,
    pagerduty_signature_ok,
    token_ok,
)
from dorameter.web.auth import require_secret, unauthorized
from dorameter.web.errors import ApiError
from dorameter.web.intake import Intake, accept, parse_json, read_body, received

OPSGENIE_HEADER = "X-Dorameter-Token"


def hooks_router(intake: Intake, token: Callable[[Request], Awaitable[int]]) -> APIRouter:
    """The receiving endpoints, bound to one server's settings and writer."""
    router = APIRouter()
    server = intake.settings.server
    limit = server.max_body_bytes

    @router.post("/hooks/github", summary="GitHub webhooks")
    async def github_hook(request: Request) -> JSONResponse:
        secret = require_secret(server.github_secret, "GitHub", GITHUB_SECRET_ENV)
        body = await read_body(request, limit)
        if not github_signature_ok(secret, body, request.headers.get("x-hub-signature-256")):
            raise unauthorized("wrong or missing X-Hub-Signature-256", "HMAC")
        _require_json(request)
        event = _header(request, "x-github-event")
        document = parse_json(body)
        if event == "ping":
            return JSONResponse({"status": "pong", "zen": str(at(document, "zen") or "")})
        delivery = request.headers.get("x-github-delivery")
        return await accept(intake, received(request, "github", event, body, delivery), document)

    @router.post("/hooks/gitlab", summary="GitLab webhooks")
    async def gitlab_hook(request: Request) -> JSONResponse:
        secret = require_secret(server.gitlab_token, "GitLab", GITLAB_TOKEN_ENV)
        if not token_ok(secret, request.headers.get("x-gitlab-token")):
            raise unauthorized("wrong or missing X-Gitlab-Token", "Token")
        body = await read_body(request, limit)
        document = parse_json(body)
        event = gitlab.event_type(document, request.headers.get("x-gitlab-event"))
        delivery = request.headers.get("x-gitlab-event-uuid")
        return await accept(intake, received(request, "gitlab", event, body, delivery), document)

    @router.post("/hooks/pagerduty", summary="PagerDuty v3 webhooks")
    async def pagerduty_hook(request: Request) -> JSONResponse:
        secret = require_secret(server.pagerduty_secret, "PagerDuty", PAGERDUTY_SECRET_ENV)
        body = await read_body(request, limit)
        if not pagerduty_signature_ok(secret, body, request.headers.get("x-pagerduty-signature")):
            raise unauthorized("wrong or missing X-PagerDuty-Signature", "HMAC")
        document = parse_json(body)
        event_id = at(document, "event.id")
        delivery = str(event_id) if event_id else None
        return await accept(
            intake,
            received(request, "pagerduty", pagerduty.event_type(document), body, delivery),
            document,
        )

    @router.post("/hooks/opsgenie", summary="Opsgenie alert webhooks")
    async def opsgenie_hook(request: Request) -> JSONResponse:
        secret = require_secret(server.opsgenie_token, "Opsgenie", OPSGENIE_TOKEN_ENV)
        if not token_ok(secret, request.headers.get(OPSGENIE_HEADER)):
            raise unauthorized(f"wrong or missing {OPSGENIE_HEADER}", "Token")
        body = await read_body(request, limit)
        document = parse_json(body)
        kind = opsgenie.event_type(document)
        return await accept(
            intake,
            received(request, "opsgenie", kind, body, _opsgenie_delivery(document, kind)),
            document,
        )

    @router.post("/events/cdevents", summary="CDEvents (plain or CloudEvents)")
    async def cdevents_hook(request: Request, _token: int = Depends(token)) -> JSONResponse:
        body = await read_body(request, limit)
        document = parse_json(body)
        try:
            event = cdevents.unwrap(request.headers, document)
            kind = cdevents.event_type(event)
            delivery = cdevents.delivery_id(request.headers, document, event)
        except InvalidInput as error:
            raise ApiError(422, "invalid_payload", str(error)) from None
        return await accept(intake, received(request, "cdevents", kind, body, delivery), document)

    return router


def _header(request: Request, name: str) -> str:
    value = request.headers.get(name, "").strip()
    if not value:
        raise ApiError(400, "missing_header", f"missing header {name}")
    return value


def _require_json(request: Request) -> None:
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if kind not in ("application/json", ""):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"content type {kind} is not accepted: set the webhook's content type to "
            "application/json",
        )


def _opsgenie_delivery(document: Json, action: str) -> str | None:
    """Opsgenie sends no delivery id: the alert, action and update time identify a delivery."""
    alert_id, updated = at(document, "alert.alertId"), at(document, "alert.updatedAt")
    if not alert_id or updated is None:
        return None
    return f"{alert_id}:{action}:{updated}"
