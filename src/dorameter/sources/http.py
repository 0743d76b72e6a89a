"""A small HTTP client for platform APIs: retries, rate limits, conditional requests, pages.

Wraps an injected httpx.Client (tests give it an httpx.MockTransport) and turns every failure
into the project's errors once, here:

- 5xx answers and connection errors are retried with exponential backoff, then ApiUnavailable;
- primary rate limits (remaining 0, a reset time) and secondary ones (Retry-After, or 403/429
  without it) wait, with a message through `on_wait`, instead of failing;
- 401, 403 and 404 become one sentence that says what to fix (ApiUnauthorized, ApiForbidden,
  ApiNotFound);
- an ETag given with a request is sent as If-None-Match: a 304 means nothing changed (and costs
  no GitHub rate limit);
- Link headers (rel="next") drive pagination.

Sleeping and the clock are injectable, so tests never really wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from dorameter.errors import (
    ApiError,
    ApiForbidden,
    ApiNotFound,
    ApiUnauthorized,
    ApiUnavailable,
)

WaitNotice = Callable[[str], None]
_RATE_LIMIT_STATUSES = (403, 429)


@dataclass(frozen=True)
class ApiAccess:
    """Who is called and what to tell the user when access fails."""

    platform: str  # "GitHub"
    token_hint: str  # what to do about a rejected token
    scope_hint: str  # which scopes or access the token needs


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up."""

    attempts: int = 5  # per request, for 5xx and network errors
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    max_backoff: float = 60.0
    secondary_wait: float = 60.0  # a secondary limit without Retry-After (GitHub's advice)
    rate_limit_waits: int = 20  # consecutive rate-limit waits on one request before failing


@dataclass(frozen=True)
class ApiResponse:
    """A successful answer: parsed JSON (None for 304), headers, and the next page's URL."""

    status: int
    data: Any
    headers: httpx.Headers
    next_url: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        found: str | None = self.headers.get("etag")
        return found


class ApiClient:
    """Requests against one API with the behaviour described in the module docstring."""

    def __init__(
        self,
        client: httpx.Client,
        access: ApiAccess,
        *,
        on_wait: WaitNotice | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.client = client
        self.access = access
        self.on_wait = on_wait or (lambda _message: None)
        self.sleep = sleep
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.requests = 0  # every HTTP request sent, retries included
        self._resume_at: float | None = None  # a primary limit ran out: wait before the next

    def get(
        self, url: str, params: Mapping[str, Any] | None = None, etag: str | None = None
    ) -> ApiResponse:
        headers = {"If-None-Match": etag} if etag else {}
        return self.send("GET", url, params=params, headers=headers)

    def post(self, url: str, body: Any) -> ApiResponse:
        return self.send("POST", url, json=body)

    def pages(
        self, url: str, params: Mapping[str, Any] | None = None, etag: str | None = None
    ) -> Iterator[ApiResponse]:
        """Each page of a listing, following Link rel="next"; a 304 first page ends it."""
        page = self.get(url, params, etag)
        yield page
        while page.next_url and not page.not_modified:
            page = self.get(page.next_url)
            yield page

    def send(self, method: str, url: str, **options: Any) -> ApiResponse:
        """One request, retried and rate-limit-aware; raises ApiError subclasses."""
        failures = waits = 0
        while True:
            self._respect_exhausted_limit()
            try:
                self.requests += 1
                response = self.client.request(method, url, **options)
            except httpx.TransportError as error:
                failures += 1
                self._back_off(failures, url, f"{type(error).__name__}: {error}")
                continue
            if response.status_code >= 500:
                failures += 1
                self._back_off(failures, url, f"HTTP {response.status_code}")
                continue
            delay = self._rate_limit_delay(response)
            if delay is not None:
                waits += 1
                self._wait_for_limit(delay, waits, url)
                continue
            self._remember_exhaustion(response)
            return self._answer(response)

    def wait_for_reset(self, headers: httpx.Headers) -> None:
        """Wait out a rate limit an answer reported in its body (GitHub GraphQL's
        RATE_LIMITED), until the reset its headers give."""
        self._resume_at = None  # this is that wait
        self._wait_for_limit(self._until_reset(headers), 1, "the next request")

    def _back_off(self, failures: int, url: str, what: str) -> None:
        if failures >= self.policy.attempts:
            raise ApiUnavailable(
                f"{self.access.platform} did not answer {self._where(url)} after "
                f"{failures} attempts ({what}): check the network and --api-url, then run "
                "again; everything stored so far is kept"
            )
        delay = min(self.policy.backoff * 2 ** (failures - 1), self.policy.max_backoff)
        self.on_wait(
            f"{self.access.platform}: {what} from {self._where(url)}; "
            f"retrying in {_duration(delay)}"
        )
        self.sleep(delay)

    def _rate_limit_delay(self, response: httpx.Response) -> float | None:
        """Seconds to wait when the answer is a rate limit; None when it is not one."""
        if response.status_code not in _RATE_LIMIT_STATUSES:
            return None
        headers = response.headers
        if retry_after := headers.get("retry-after"):
            return max(_number(retry_after), 1.0)
        remaining = headers.get("x-ratelimit-remaining") or headers.get("ratelimit-remaining")
        if remaining is not None and _number(remaining) == 0:
            return self._until_reset(headers)
        if response.status_code == 429 or _mentions_rate_limit(response):
            return self.policy.secondary_wait
        return None

    def _until_reset(self, headers: httpx.Headers) -> float:
        reset = headers.get("x-ratelimit-reset") or headers.get("ratelimit-reset")
        if reset is None:
            return self.policy.secondary_wait
        return max(_number(reset) - self.clock(), 0.0) + 1.0

    def _wait_for_limit(self, delay: float, waits: int, url: str) -> None:
        if waits > self.policy.rate_limit_waits:
            raise ApiUnavailable(
                f"{self.access.platform} kept refusing {self._where(url)} for its rate limit "
                f"after {waits - 1} waits: run again later; everything stored so far is kept"
            )
        until = datetime.fromtimestamp(self.clock() + delay, UTC)
        self.on_wait(
            f"{self.access.platform} rate limit reached: waiting {_duration(delay)} "
            f"(until {until:%H:%M:%S} UTC)"
        )
        self.sleep(delay)

    def _remember_exhaustion(self, response: httpx.Response) -> None:
        """The last request of a primary limit succeeded: the next one must wait for reset."""
        headers = response.headers
        remaining = headers.get("x-ratelimit-remaining") or headers.get("ratelimit-remaining")
        if remaining is not None and _number(remaining) == 0:
            self._resume_at = self.clock() + self._until_reset(headers)

    def _respect_exhausted_limit(self) -> None:
        if self._resume_at is None:
            return
        delay, self._resume_at = self._resume_at - self.clock(), None
        if delay > 0:
            self._wait_for_limit(delay, 1, "the next request")

    def _answer(self, response: httpx.Response) -> ApiResponse:
        status = response.status_code
        if status == 304:
            return ApiResponse(status, None, response.headers, None)
        if status >= 400:
            raise self._refusal(response)
        try:
            data = response.json() if response.content else None
        except ValueError:
            raise ApiError(
                f"{self.access.platform} answered {self._where(str(response.url))} with "
                "something that is not JSON: check that --api-url is the API's address"
            ) from None
        next_link = response.links.get("next", {}).get("url")
        return ApiResponse(status, data, response.headers, next_link)

    def _refusal(self, response: httpx.Response) -> ApiError:
        error = self._explain(response)
        error.status = response.status_code
        return error

    def _explain(self, response: httpx.Response) -> ApiError:
        name, where = self.access.platform, self._where(str(response.url))
        detail = _server_message(response)
        if response.status_code == 401:
            return ApiUnauthorized(
                f"{name} rejected the token (HTTP 401 from {where}{detail}): "
                f"{self.access.token_hint}"
            )
        if response.status_code == 403:
            return ApiForbidden(
                f"{name} refused access to {where} (HTTP 403{detail}): {self.access.scope_hint}"
            )
        if response.status_code == 404:
            return ApiNotFound(
                f"{name} has nothing at {where}, or the token cannot see it (HTTP 404): "
                f"check the repository name and --api-url; {self.access.scope_hint}"
            )
        return ApiError(
            f"{name} refused {where} (HTTP {response.status_code}{detail}): "
            "check the command's options"
        )

    def _where(self, url: str) -> str:
        """The URL without its query string (tokens never travel in URLs, but keep it short)."""
        full = httpx.URL(url) if "://" in url else self.client.base_url.join(url)
        return str(full.copy_with(query=None))


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


def _mentions_rate_limit(response: httpx.Response) -> bool:
    return "rate limit" in response.text.lower()


def _server_message(response: httpx.Response) -> str:
    """The API's own explanation, when it gives one in JSON."""
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return f": {message}" if isinstance(message, str) and message else ""


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
