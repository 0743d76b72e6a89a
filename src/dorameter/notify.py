"""Post the weekly digest of a Report to a Slack incoming webhook or any HTTP endpoint.

Connection failures, 429 and 5xx answers are retried with exponential backoff (a Retry-After
header is honoured up to a limit); any other refusal fails at once. Errors name only the
webhook's host: a Slack webhook's path is its secret.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from dorameter.errors import InvalidInput, NotifyFailed
from dorameter.render.console import human_duration
from dorameter.render.document import report_document
from dorameter.report import Report, ServiceReport

_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_LONGEST_WAIT = 30.0


@dataclass(frozen=True)
class Delivery:
    """How to deliver: attempts, the first backoff (doubled each time), the request timeout."""

    attempts: int = 4
    backoff: float = 1.0
    timeout: float = 10.0


def digest_text(report: Report) -> str:
    """The digest as Slack mrkdwn text (readable as plain text too)."""
    lines = [
        f"*DORA weekly digest* {report.period.since:%Y-%m-%d} to {report.period.until:%Y-%m-%d}"
    ]
    for service in report.services:
        lines.append(_service_line(service))
        findings = service.diagnosis.findings
        if findings:
            lines.append(f"   {findings[0].message} _{findings[0].lever}_")
    if not report.services:
        lines.append("No services in the store.")
    return "\n".join(lines)


def _service_line(service: ServiceReport) -> str:
    fail = service.change_fail_rate
    band = service.overall_band.value.capitalize() if service.overall_band else "-"
    rate = "-" if fail.value is None else f"{fail.value:.0%} of {fail.total}"
    return (
        f"• *{service.service}* ({band}): {service.deployment_frequency.count} deployments, "
        f"lead time {human_duration(service.lead_time.summary.median_seconds)}, "
        f"change fail rate {rate}, "
        f"recovery {human_duration(service.recovery_time.summary.median_seconds)}"
    )


def digest_payload(report: Report, kind: str) -> dict[str, Any]:
    """`slack`: an incoming-webhook message; `json`: the digest text and the report document."""
    if kind == "slack":
        return {"text": digest_text(report)}
    if kind == "json":
        return {
            "kind": "dorameter.weekly_digest",
            "text": digest_text(report),
            "report": report_document(report),
        }
    raise InvalidInput(f"unknown notification format {kind!r}; use slack or json")


def post_webhook(
    url: str,
    payload: dict[str, Any],
    delivery: Delivery = Delivery(),
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST the payload as JSON; returns the attempts it took, or raises NotifyFailed."""
    host = _host(url)
    owned = client is None
    session = client or httpx.Client(timeout=delivery.timeout)
    try:
        problem = ""
        for attempt in range(1, delivery.attempts + 1):
            wait = delivery.backoff * 2 ** (attempt - 1)
            try:
                answer = session.post(url, json=payload)
            except httpx.HTTPError as error:
                problem = f"could not be reached ({type(error).__name__}: {error})"
            else:
                if answer.is_success:
                    return attempt
                problem = f"answered {answer.status_code} {answer.reason_phrase}: {_body(answer)}"
                if answer.status_code not in _RETRY_STATUSES:
                    raise NotifyFailed(f"webhook {host} {problem}; check the URL and payload")
                wait = max(wait, _retry_after(answer))
            if attempt < delivery.attempts:
                sleep(min(wait, _LONGEST_WAIT))
        raise NotifyFailed(f"webhook {host} {problem} after {delivery.attempts} attempts")
    finally:
        if owned:
            session.close()


def _host(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"--webhook must be an http(s) URL, not {url[:40]!r}")
    return f"{parts.scheme}://{parts.netloc}"


def _body(answer: httpx.Response) -> str:
    text = " ".join(answer.text.split())
    return (text[:200] + "...") if len(text) > 200 else (text or "(no body)")


def _retry_after(answer: httpx.Response) -> float:
    try:
        return float(answer.headers.get("retry-after", "0"))
    except ValueError:
        return 0.0
