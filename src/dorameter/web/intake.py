"""What every receiving endpoint does: read the body within the limit, normalise, write, answer."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import JSONResponse

from dorameter.config import Settings
from dorameter.errors import InvalidInput
from dorameter.events import Received, decode_json, kept_headers, normalise
from dorameter.model import EventRecords
from dorameter.sources.json_fields import Json
from dorameter.web.errors import ApiError
from dorameter.writer import Accepted, EventWriter

log = logging.getLogger("dorameter.web")


@dataclass(frozen=True)
class Intake:
    """What the endpoints share: settings and the writer."""

    settings: Settings
    writer: EventWriter


async def read_body(request: Request, limit: int) -> bytes:
    """The request body; 413 as soon as it passes the limit (nothing more is read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"the body is larger than the limit of {limit} bytes")


def parse_json(body: bytes) -> Json:
    """The body as a JSON object; 400 saying what is wrong with it."""
    try:
        return decode_json(body)
    except InvalidInput as error:
        raise ApiError(400, "invalid_json", str(error)) from None


@dataclass(frozen=True)
class Submitted:
    """A delivery the writer took: its answer, and what it means."""

    accepted: Accepted
    records: EventRecords | None  # None: the parser failed; the raw event is kept as failed


async def submit(
    intake: Intake, received: Received, document: Json, wait_applied: bool = False
) -> Submitted:
    """Normalise (422 when invalid, nothing stored), then write the raw event durably."""
    records, error = _normalise(intake.settings, received, document)
    future = intake.writer.submit(received, records, error, wait_applied)
    return Submitted(await asyncio.wrap_future(future), records)


def answer(submitted: Submitted, **extra: object) -> JSONResponse:
    """202 with the raw event's id (and why it is ignored), or 200 for a known delivery."""
    accepted, records = submitted.accepted, submitted.records
    if accepted.duplicate:
        return JSONResponse({"status": "duplicate", **extra}, status_code=200)
    body: dict[str, object] = {"status": "accepted", "event": accepted.raw_id, **extra}
    if records is not None and records.empty:
        body["ignored"] = records.ignored or "nothing to store"
    return JSONResponse(body, status_code=202)


async def accept(intake: Intake, received: Received, document: Json) -> JSONResponse:
    """Submit a delivery and answer as `answer` does."""
    return answer(await submit(intake, received, document))


def _normalise(
    settings: Settings, received: Received, document: Json
) -> tuple[EventRecords | None, str | None]:
    try:
        return normalise(received, settings, document), None
    except InvalidInput as error:
        raise ApiError(422, "invalid_payload", str(error)) from None
    except Exception as error:  # a parser bug: keep the raw event to re-process
        log.exception("parser failed on a %s %s event", received.source, received.event_type)
        return None, f"{type(error).__name__}: {' '.join(str(error).split())}"[:2000]


def received(
    request: Request, source: str, event_type: str, body: bytes, delivery_id: str | None
) -> Received:
    """A delivery as the events use case takes it (headers reduced to the kept ones)."""
    headers = kept_headers(request.headers.items())
    return Received(
        source=source,
        event_type=event_type or "unknown",
        body=body,
        headers=headers,
        received_at=datetime.now(UTC),
        delivery_id=_short(delivery_id) if delivery_id else None,
    )


def _short(delivery_id: str) -> str:
    """Delivery ids fit the log's column; a longer one is replaced by its hash."""
    if len(delivery_id) <= 200:
        return delivery_id
    return "sha256:" + hashlib.sha256(delivery_id.encode()).hexdigest()
