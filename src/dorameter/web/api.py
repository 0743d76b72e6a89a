"""The push API: any pipeline or tool records deployments and incidents (API token required).

POST  /api/v1/deployments           a deployment (fields as `dorameter record deployment`)
POST  /api/v1/incidents             an incident (fields as `dorameter record incident`)
PATCH /api/v1/incidents/{id}        {"resolved_at": TIME} (default: now) resolves one
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from dorameter.store import RawStatus
from dorameter.web.errors import ApiError
from dorameter.web.intake import Intake, Submitted, answer, parse_json, read_body, received, submit

Token = Callable[[Request], Awaitable[int]]


def api_router(intake: Intake, token: Token) -> APIRouter:
    """The push API's routes, bound to one server's settings and writer."""
    router = APIRouter(prefix="/api/v1")
    limit = intake.settings.server.max_body_bytes

    async def post(request: Request, kind: str) -> JSONResponse:
        body = await read_body(request, limit)
        delivery = request.headers.get("idempotency-key")
        event = received(request, "api", kind, body, delivery)
        submitted = await submit(intake, event, parse_json(body))
        return answer(submitted, **_stored_id(submitted))

    @router.post("/deployments", summary="Record a deployment", status_code=202)
    async def deployments(request: Request, _token: int = Depends(token)) -> JSONResponse:
        return await post(request, "deployment")

    @router.post("/incidents", summary="Record an incident", status_code=202)
    async def incidents(request: Request, _token: int = Depends(token)) -> JSONResponse:
        return await post(request, "incident")

    @router.patch("/incidents/{incident_id:path}", summary="Resolve an incident")
    async def resolve(
        incident_id: str, request: Request, _token: int = Depends(token)
    ) -> JSONResponse:
        body = (await read_body(request, limit)).strip() or b"{}"
        event = received(request, "api", "incident.resolve", body, None)
        event = replace(event, headers={**event.headers, "x-dorameter-incident": incident_id})
        # Waits until applied, so the answer can say whether the incident exists.
        submitted = await submit(intake, event, parse_json(body), wait_applied=True)
        return _resolved(submitted, incident_id)

    return router


def _stored_id(submitted: Submitted) -> dict[str, object]:
    records = submitted.records
    if records is None:
        return {}
    ids = [item.external_id for item in records.deployments] + [
        item.external_id for item in records.incidents
    ]
    return {"id": ids[0]} if ids else {}


def _resolved(submitted: Submitted, incident_id: str) -> JSONResponse:
    outcome = submitted.accepted.outcome
    if outcome is not None and outcome.status == RawStatus.FAILED:
        status = {"not_found": 404, "invalid": 422}.get(outcome.code or "", 503)
        code = {404: "not_found", 422: "invalid_payload"}.get(status, "not_applied")
        raise ApiError(status, code, outcome.error or "the resolution was not applied")
    records = submitted.records
    if outcome is None or outcome.status != RawStatus.PROCESSED or not records:
        return answer(submitted, id=incident_id)
    resolved_at = records.resolutions[0].resolved_at.isoformat()
    return JSONResponse(
        {"status": "resolved", "id": incident_id, "resolved_at": resolved_at}, status_code=200
    )
