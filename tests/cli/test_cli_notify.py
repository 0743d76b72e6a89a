"""dorameter notify against a real HTTP receiver on 127.0.0.1: delivery, retries, failures."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from typer.testing import CliRunner

from dorameter.cli import app
from dorameter.errors import NotifyFailed
from dorameter.notify import Delivery, post_webhook
from dorameter.store import Store
from tests.cli.test_cli_diagnose import shop_with_pull_requests
from tests.store.test_store_flow import PERIOD

runner = CliRunner()


class Receiver:
    """Answers POSTs with the scripted statuses in turn (then 200) and keeps the bodies."""

    def __init__(self) -> None:
        self.statuses: list[tuple[int, dict[str, str]]] = []
        self.bodies: list[Any] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                status, headers = receiver.statuses.pop(0) if receiver.statuses else (200, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"no_service")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/secret"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    thread = threading.Thread(target=lambda: found.server.serve_forever(0.05), daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def test_the_slack_digest_reaches_the_webhook(
    store: Store, store_url: str, receiver: Receiver
) -> None:
    shop_with_pull_requests(store)
    until = PERIOD.until.isoformat()

    result = runner.invoke(
        app, ["notify", "--webhook", receiver.url, "--db", store_url, "--until", until]
    )

    assert result.exit_code == 0, result.output
    assert "digest posted (1 attempt)" in result.stderr
    (body,) = receiver.bodies
    assert set(body) == {"text"}
    assert "*DORA weekly digest*" in body["text"] and "*shop*" in body["text"]
    assert "PRs wait a median 15 h for a first review" in body["text"]


def test_the_json_digest_carries_the_report(
    store: Store, store_url: str, receiver: Receiver
) -> None:
    shop_with_pull_requests(store)
    arguments = ["notify", "--webhook", receiver.url, "--format", "json", "--db", store_url]

    result = runner.invoke(app, [*arguments, "--until", PERIOD.until.isoformat()])

    assert result.exit_code == 0, result.output
    (body,) = receiver.bodies
    assert body["kind"] == "dorameter.weekly_digest"
    assert body["report"]["services"][0]["service"] == "shop"


def test_a_refusal_fails_at_once_with_a_clear_error_that_hides_the_secret(
    store: Store, store_url: str, receiver: Receiver
) -> None:
    receiver.statuses = [(404, {})]

    result = runner.invoke(app, ["notify", "--webhook", receiver.url, "--db", store_url])

    assert result.exit_code == 1
    assert len(receiver.bodies) == 1
    message = " ".join(result.stderr.split())
    assert (
        "webhook http://127.0.0.1:" in message and "answered 404 Not Found: no_service" in message
    )
    assert "secret" not in message


def test_unavailable_answers_are_retried_with_backoff(receiver: Receiver) -> None:
    receiver.statuses = [(503, {}), (429, {"Retry-After": "5"}), (200, {})]
    waits: list[float] = []

    attempts = post_webhook(receiver.url, {"text": "hi"}, sleep=waits.append)

    assert attempts == 3 and len(receiver.bodies) == 3
    assert waits == [1.0, 5.0]  # doubling backoff; Retry-After wins when longer


def test_giving_up_after_every_attempt(receiver: Receiver) -> None:
    receiver.statuses = [(500, {})] * 3
    waits: list[float] = []

    with pytest.raises(NotifyFailed, match=r"answered 500 Internal Server Error.*after 3 attempts"):
        post_webhook(receiver.url, {"text": "hi"}, Delivery(attempts=3), sleep=waits.append)
    assert waits == [1.0, 2.0]


def test_an_unreachable_webhook() -> None:
    with pytest.raises(NotifyFailed, match=r"could not be reached.*after 2 attempts"):
        post_webhook(closed_port_url(), {"text": "hi"}, Delivery(attempts=2), sleep=lambda _: None)


def test_a_webhook_that_is_not_a_url(store: Store, store_url: str) -> None:
    result = runner.invoke(app, ["notify", "--webhook", "hooks.slack.com/x", "--db", store_url])
    assert result.exit_code == 2
    assert "--webhook must be an http(s) URL" in result.stderr
