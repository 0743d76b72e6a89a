"""Receiving events: read a delivery into model objects, apply them, re-process the raw log.

The server checks and normalises a delivery before accepting it (bad input is refused with
nothing stored), writes it to the append-only raw log, answers, and then applies the records
(`apply_events`). The raw log keeps every accepted delivery, so after a parser fix
`reprocess` applies it again without asking any platform to resend.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dorameter.config import Settings
from dorameter.errors import DorameterError, InvalidInput, NotFound, UsageError
from dorameter.model import EventRecords, IncidentRules
from dorameter.sources import cdevents, push
from dorameter.sources.json_fields import Json
from dorameter.sources.webhooks import github, gitlab, opsgenie, pagerduty
from dorameter.store import RawEvent, RawStatus, Store

log = logging.getLogger("dorameter.events")

# Headers worth keeping with a raw event: what re-processing needs and what helps to debug.
# Everything else is dropped, so no signature, token or cookie ever reaches the log.
_KEPT_HEADERS = {
    "content-type",
    "user-agent",
    "x-github-event",
    "x-github-delivery",
    "x-github-hook-id",
    "x-github-hook-installation-target-type",
    "x-github-hook-installation-target-id",
    "x-gitlab-event",
    "x-gitlab-event-uuid",
    "x-gitlab-webhook-uuid",
    "x-gitlab-instance",
    "idempotency-key",
    "x-dorameter-incident",
}
_KEPT_PREFIXES = ("ce-",)  # CloudEvents binary mode: the envelope is in the headers


@dataclass(frozen=True)
class Received:
    """One delivery as the edge received it (headers already reduced to the kept ones)."""

    source: str
    event_type: str
    body: bytes
    headers: Mapping[str, str]
    received_at: datetime
    delivery_id: str | None = None

    def raw(self, error: str | None = None) -> RawEvent:
        return RawEvent(
            source=self.source,
            event_type=self.event_type[:200],
            body=self.body,
            headers=json.dumps(dict(self.headers), sort_keys=True),
            received_at=self.received_at,
            delivery_id=self.delivery_id,
            error=error,
        )


def kept_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The headers stored with a raw event (lower-case names; never a secret)."""
    return {
        name.lower(): value
        for name, value in headers
        if name.lower() in _KEPT_HEADERS or name.lower().startswith(_KEPT_PREFIXES)
    }


def decode_json(body: bytes) -> Json:
    """A request body as a JSON object; InvalidInput says what is wrong with it."""
    try:
        document = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput("the body is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise InvalidInput(f"malformed JSON: {error}") from None
    if not isinstance(document, dict):
        raise InvalidInput("the body must be a JSON object")
    return document


Parser = Callable[[Received, Json, Settings], EventRecords]


def _api(received: Received, document: Json, _settings: Settings) -> EventRecords:
    now = received.received_at  # "now" is when it arrived, also when re-processed later
    if received.event_type == "deployment":
        return EventRecords(deployments=(push.deployment_from_document(document, now),))
    if received.event_type == "incident":
        return EventRecords(incidents=(push.incident_from_document(document, now),))
    if received.event_type == "incident.resolve":
        incident = received.headers.get("x-dorameter-incident", "")
        return EventRecords(resolutions=(push.resolution_from_document(incident, document, now),))
    return EventRecords(ignored=f"API event {received.event_type} is not used")


def _cdevents(received: Received, document: Json, _settings: Settings) -> EventRecords:
    return cdevents.parse(cdevents.unwrap(received.headers, document))


def _github(received: Received, document: Json, _settings: Settings) -> EventRecords:
    return github.parse(received.event_type, document, IncidentRules())


def _gitlab(received: Received, document: Json, _settings: Settings) -> EventRecords:
    return gitlab.parse(received.event_type, document, IncidentRules())


def _pagerduty(_received: Received, document: Json, _settings: Settings) -> EventRecords:
    return pagerduty.parse(document)


def _opsgenie(_received: Received, document: Json, _settings: Settings) -> EventRecords:
    return opsgenie.parse(document)


PARSERS: dict[str, Parser] = {
    "api": _api,
    "cdevents": _cdevents,
    "github": _github,
    "gitlab": _gitlab,
    "pagerduty": _pagerduty,
    "opsgenie": _opsgenie,
}


def normalise(received: Received, settings: Settings, document: Json | None = None) -> EventRecords:
    """What a delivery means; InvalidInput when it is malformed (then nothing is stored)."""
    parser = PARSERS.get(received.source)
    if parser is None:
        return EventRecords(ignored=f"no parser for source {received.source}")
    return parser(received, decode_json(received.body) if document is None else document, settings)


@dataclass(frozen=True)
class Outcome:
    """What became of one raw event."""

    status: str
    error: str | None = None
    code: str | None = None  # for a failure: not_found, invalid or error


@dataclass(frozen=True)
class Pending:
    """A raw event written to the log, with what it means (None: normalising it failed)."""

    raw_id: int
    source: str
    event_type: str
    records: EventRecords | None
    error: str | None = None


def apply_events(
    store: Store, settings: Settings, items: Sequence[Pending], attribute: bool = True
) -> dict[int, Outcome]:
    """Apply the records of raw events (one batch, else one by one) and mark each event.

    Without `attribute`, deployments are left for the caller to attribute later (the writer
    does it at most once a second: it is the costly part and need not follow every batch).
    """
    outcomes: dict[int, Outcome] = {}
    usable: list[Pending] = []
    for item in items:
        if item.records is None:
            outcomes[item.raw_id] = Outcome(RawStatus.FAILED, item.error)
        elif item.records.empty:
            outcomes[item.raw_id] = Outcome(RawStatus.IGNORED, item.records.ignored)
        else:
            usable.append(item)
    try:
        apply_records(store, settings, [item.records for item in usable if item.records], attribute)
        outcomes.update({item.raw_id: Outcome(RawStatus.PROCESSED) for item in usable})
    except Exception:  # one bad event must not fail its batch: retry alone
        for item in usable:
            outcomes[item.raw_id] = _apply_one(store, settings, item, attribute)
    _mark(store, outcomes)
    return outcomes


def _apply_one(store: Store, settings: Settings, item: Pending, attribute: bool) -> Outcome:
    try:
        apply_records(store, settings, [item.records] if item.records else [], attribute)
    except Exception as error:  # the raw event is safe: record why and go on
        message = _describe(error)
        log.warning(
            "event %s (%s %s) not applied: %s", item.raw_id, item.source, item.event_type, message
        )
        return Outcome(RawStatus.FAILED, message, _failure_code(error))
    return Outcome(RawStatus.PROCESSED)


def _failure_code(error: Exception) -> str:
    if isinstance(error, NotFound):
        return "not_found"
    return "invalid" if isinstance(error, UsageError) else "error"


def _describe(error: Exception) -> str:
    if isinstance(error, DorameterError):
        return str(error)
    return f"{type(error).__name__}: {' '.join(str(error).split())}"[:2000]


def _mark(store: Store, outcomes: Mapping[int, Outcome]) -> None:
    groups: dict[tuple[str, str | None], list[int]] = {}
    for raw_id, outcome in outcomes.items():
        groups.setdefault((outcome.status, outcome.error), []).append(raw_id)
    for (status, error), ids in groups.items():
        store.mark_raw(ids, status, error)


def apply_records(
    store: Store, settings: Settings, batch: Sequence[EventRecords], attribute: bool = True
) -> None:
    """Write what events reported: recorded items by latest write, observed ones by time."""
    deployments = [item for records in batch for item in records.deployments]
    incidents = [item for records in batch for item in records.incidents]
    observed_deployments = [item for item in deployments if item.observed_at is not None]
    observed_incidents = [item for item in incidents if item.observed_at is not None]
    store.upsert_deployments(item for item in deployments if item.observed_at is None)
    store.upsert_observed_deployments(observed_deployments)
    store.upsert_incidents((item for item in incidents if item.observed_at is None), True)
    store.upsert_observed_incidents(observed_incidents)
    store.upsert_observed_pull_requests([i for records in batch for i in records.pull_requests])
    store.insert_pull_request_commits(
        item for records in batch for item in records.pull_request_commits
    )
    store.upsert_observed_reviews([item for records in batch for item in records.reviews])
    store.upsert_observed_pipeline_runs(
        [item for records in batch for item in records.pipeline_runs]
    )
    for records in batch:
        for resolution in records.resolutions:
            store.resolve_incident(resolution.incident, resolution.resolved_at)
    if deployments and attribute:
        store.attribute_pending(settings.backfill_horizon)


def received_from_raw(event: RawEvent) -> Received:
    """The delivery a raw log row holds."""
    headers = json.loads(event.headers) if event.headers else {}
    return Received(
        source=event.source,
        event_type=event.event_type,
        body=event.body,
        headers=headers if isinstance(headers, dict) else {},
        received_at=event.received_at,
        delivery_id=event.delivery_id,
    )


@dataclass
class ReprocessReport:
    """How many raw events re-processing read, and what became of them."""

    read: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


def reprocess(
    store: Store,
    settings: Settings,
    statuses: Sequence[str] | None = (RawStatus.PENDING, RawStatus.FAILED),
    source: str | None = None,
    batch: int = 200,
) -> ReprocessReport:
    """Normalise and apply stored raw events again, in arrival order (None: every status)."""
    report = ReprocessReport()
    chunk: list[Pending] = []
    for event in store.raw_events(statuses, source):
        report.read += 1
        chunk.append(_pending_from_raw(event, settings))
        if len(chunk) >= batch:
            _count(report, apply_events(store, settings, chunk, attribute=False))
            chunk = []
    if chunk:
        _count(report, apply_events(store, settings, chunk, attribute=False))
    if report.read:
        store.attribute_pending(settings.backfill_horizon)
    return report


def _pending_from_raw(event: RawEvent, settings: Settings) -> Pending:
    assert event.id is not None
    received = received_from_raw(event)
    try:
        records: EventRecords | None = normalise(received, settings)
        error = None
    except Exception as exc:  # a bad row is marked failed, the rest go on
        records, error = None, _describe(exc)
    return Pending(event.id, event.source, event.event_type, records, error)


def _count(report: ReprocessReport, outcomes: Mapping[int, Outcome]) -> None:
    for outcome in outcomes.values():
        report.outcomes[outcome.status] = report.outcomes.get(outcome.status, 0) + 1
