"""Send records to a dorameter server's push API (`dorameter record ... --server URL`).

A record carries a stable id, so sending it again is harmless: connection failures and 5xx
answers are retried a few times before giving up with a message that says what to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from dorameter.config import API_TOKEN_ENV
from dorameter.errors import InvalidInput, NotFound, SourceError


@dataclass(frozen=True)
class PushClient:
    """The push API of one server, with one token."""

    server: str
    token: str
    attempts: int = 4
    backoff: float = 0.5  # seconds before the first retry, doubled each time
    transport: httpx.BaseTransport | None = None  # tests pass a mock or an in-process app
    sleep: Callable[[float], None] = time.sleep

    def send(self, method: str, path: str, document: dict[str, Any]) -> dict[str, Any]:
        """Send one JSON document; the server's JSON answer, or a project error."""
        if not self.token:
            raise InvalidInput(f"--server needs an API token: pass --token or set {API_TOKEN_ENV}")
        url = self.server.rstrip("/") + path
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(transport=self.transport, timeout=30.0) as client:
            for attempt in range(self.attempts):
                retry = attempt + 1 < self.attempts
                try:
                    response = client.request(method, url, json=document, headers=headers)
                except httpx.HTTPError as error:
                    if not retry:
                        raise SourceError(f"cannot reach {self.server}: {error}") from None
                else:
                    if response.status_code < 500 or not retry:
                        return _answer(self.server, response)
                self.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover


def _answer(server: str, response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.is_success:
        return body
    error = body.get("error")
    message = str(
        (error.get("message") if isinstance(error, dict) else None) or response.reason_phrase
    )
    if response.status_code == 401:
        raise SourceError(f"{server} refused the API token: {message}")
    if response.status_code == 404:
        raise NotFound(message)
    if response.status_code in (400, 413, 422):
        raise InvalidInput(f"{server} refused the record: {message}")
    raise SourceError(f"{server} answered {response.status_code}: {message}")
