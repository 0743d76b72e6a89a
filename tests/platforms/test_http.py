"""The API client: pagination, conditional requests, rate-limit waits, retries and the one
sentence each refusal becomes. Nothing really sleeps: waits are recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from dorameter.errors import (
    ApiError,
    ApiForbidden,
    ApiNotFound,
    ApiUnauthorized,
    ApiUnavailable,
)
from dorameter.sources.github import github_access
from dorameter.sources.http import ApiClient, RetryPolicy

NOW = 1_800_000_000.0
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    def __init__(self) -> None:
        self.slept: list[float] = []
        self.messages: list[str] = []


def client_for(
    answers: Iterator[httpx.Response] | Handler, recorder: Recorder | None = None
) -> ApiClient:
    """A client whose transport gives the scripted answers in turn (or asks a handler)."""
    record = recorder or Recorder()

    def handle(request: httpx.Request) -> httpx.Response:
        return answers(request) if callable(answers) else next(answers)

    http = httpx.Client(base_url="https://api.github.com/", transport=httpx.MockTransport(handle))
    return ApiClient(
        http,
        github_access(),
        on_wait=record.messages.append,
        sleep=record.slept.append,
        clock=lambda: NOW,
        policy=RetryPolicy(attempts=3, backoff=2.0),
    )


def ok(body: object = (), **headers: str) -> httpx.Response:
    return httpx.Response(
        200, json=list(body) if isinstance(body, tuple) else body, headers=headers
    )


def test_pages_follow_link_headers() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", 1))
        link = f'<https://api.github.com/items?page={page + 1}>; rel="next", <x>; rel="last"'
        return ok([page], **({"Link": link} if page < 3 else {}))

    api = client_for(handle)
    assert [page.data for page in api.pages("items", {"per_page": 1})] == [[1], [2], [3]]
    assert api.requests == 3


def test_an_etag_is_sent_and_304_means_nothing_changed() -> None:
    seen: list[str | None] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("if-none-match"))
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return ok([1], ETag='"v1"')

    api = client_for(handle)
    first = api.get("items")
    again = list(api.pages("items", etag=first.etag))
    assert (first.etag, first.data) == ('"v1"', [1])
    assert len(again) == 1 and again[0].not_modified and again[0].data is None
    assert seen == [None, '"v1"']


def test_primary_rate_limit_waits_until_reset_with_a_message() -> None:
    limited = httpx.Response(
        403,
        json={"message": "API rate limit exceeded for user ID 1."},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 600)},
    )
    recorder = Recorder()
    api = client_for(iter([limited, ok([1])]), recorder)

    assert api.get("items").data == [1]
    assert recorder.slept == [601.0]
    assert recorder.messages == ["GitHub rate limit reached: waiting 10 min (until 08:10:01 UTC)"]


def test_an_exhausted_limit_on_a_success_delays_the_next_request() -> None:
    last = ok([1], **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)})
    recorder = Recorder()
    api = client_for(iter([last, ok([2])]), recorder)

    assert api.get("a").data == [1] and recorder.slept == []
    assert api.get("b").data == [2]
    assert recorder.slept == [31.0]


@pytest.mark.parametrize(
    ("response", "wait"),
    [
        (httpx.Response(429, headers={"Retry-After": "42"}), 42.0),
        (
            httpx.Response(
                403, json={"message": "secondary rate limit"}, headers={"retry-after": "7"}
            ),
            7.0,
        ),
        (httpx.Response(403, json={"message": "You have exceeded a secondary rate limit."}), 60.0),
        (
            httpx.Response(
                429, headers={"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(NOW) + 9)}
            ),
            10.0,
        ),
    ],
    ids=["retry-after", "403 retry-after", "secondary without header", "gitlab reset"],
)
def test_secondary_rate_limits_wait(response: httpx.Response, wait: float) -> None:
    recorder = Recorder()
    api = client_for(iter([response, ok([1])]), recorder)

    assert api.get("items").data == [1]
    assert recorder.slept == [wait]
    assert "rate limit reached" in recorder.messages[0]


def test_server_errors_and_dropped_connections_are_retried_with_backoff() -> None:
    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    answers = iter([httpx.Response(502), httpx.Response(503)])
    calls = {"n": 0}

    def handle(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return dropped(request)
        return next(answers, ok([1]))

    recorder = Recorder()
    api = client_for(handle, recorder)
    policy_attempts = 3
    api.policy = RetryPolicy(attempts=policy_attempts + 1, backoff=2.0)

    assert api.get("items").data == [1]
    assert recorder.slept == [2.0, 4.0, 8.0]
    assert recorder.messages[0].startswith("GitHub: ConnectError: connection refused from")
    assert "HTTP 502" in recorder.messages[1]
    assert api.requests == 4


def test_retries_end_in_one_clear_sentence() -> None:
    api = client_for(lambda request: httpx.Response(500))
    with pytest.raises(ApiUnavailable) as raised:
        api.get("repos/acme/shop/commits", {"per_page": 100})
    assert str(raised.value) == (
        "GitHub did not answer https://api.github.com/repos/acme/shop/commits after 3 attempts "
        "(HTTP 500): check the network and --api-url, then run again; everything stored so far "
        "is kept"
    )


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (
            401,
            ApiUnauthorized,
            "GitHub rejected the token (HTTP 401 from https://api.github.com/repos/acme/shop: "
            "Bad credentials): set GITHUB_TOKEN to a valid, unexpired token",
        ),
        (
            403,
            ApiForbidden,
            "GitHub refused access to https://api.github.com/repos/acme/shop (HTTP 403: "
            "Resource not accessible by integration): the token needs read access to the "
            "repository: a classic token the repo scope, a fine-grained one read access to "
            "contents, pull requests, deployments, actions and issues",
        ),
        (
            404,
            ApiNotFound,
            "GitHub has nothing at https://api.github.com/repos/acme/shop, or the token cannot "
            "see it (HTTP 404): check the repository name and --api-url; the token needs read "
            "access to the repository: a classic token the repo scope, a fine-grained one read "
            "access to contents, pull requests, deployments, actions and issues",
        ),
    ],
)
def test_refusals_become_one_sentence_that_says_what_to_fix(
    status: int, error: type[ApiError], message: str
) -> None:
    detail = {401: "Bad credentials", 403: "Resource not accessible by integration"}
    body = {"message": detail.get(status, "Not Found")}
    api = client_for(lambda request: httpx.Response(status, json=body))
    with pytest.raises(error) as raised:
        api.get("repos/acme/shop")
    assert str(raised.value) == message
    assert api.requests == 1  # never retried


def test_a_page_that_is_not_json_says_the_url_is_wrong() -> None:
    api = client_for(lambda request: httpx.Response(200, text="<html>login</html>"))
    with pytest.raises(ApiError, match="not JSON: check that --api-url is the API's address"):
        api.get("repos/acme/shop")


def test_endless_rate_limits_give_up_with_a_message() -> None:
    api = client_for(lambda request: httpx.Response(429, headers={"Retry-After": "1"}))
    api.policy = RetryPolicy(rate_limit_waits=3)
    with pytest.raises(ApiUnavailable, match=r"kept refusing .* for its rate limit after 3 waits"):
        api.get("items")
