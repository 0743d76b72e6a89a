"""What the fake platform APIs share: routing, Link pagination, ETags, faults, a real server.

A fake's `handle` is an httpx handler: tests mount it with httpx.MockTransport, and
`serve(fake)` puts it behind a real HTTP server on 127.0.0.1 for end-to-end tests and the
benchmark, reached through --api-url. Faults (5xx, rate limits, dropped connections, crashes)
are scripted with `fail`.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

import httpx

Fault = Callable[[httpx.Request], httpx.Response | None]
Route = tuple[str, Callable[..., tuple[Any, list[Any] | None]]]


class FakeApi:
    """Request log, faults, token check, REST routing and paging; subclasses add routes."""

    prefix = ""  # the API root's path, e.g. /api/v4

    def __init__(self, token: str | None, page_limit: int) -> None:
        self.token = token
        self.page_limit = page_limit
        self.requests: list[str] = []  # "GET /repos/o/r/commits", "POST graphql:PullRequests"
        self.faults: list[Fault] = []
        self.lock = threading.Lock()

    def fail(self, fault: Fault) -> None:
        """Ask `fault` first about every request until faults are cleared: it answers (a 5xx,
        a rate limit), raises (a dropped connection, a crash), or returns None to let the
        request through."""
        self.faults.append(fault)

    def counts(self) -> Counter[str]:
        return Counter(self.requests)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(self.label(request))
            for fault in self.faults:
                response = fault(request)
                if response is not None:
                    return response
        if self.token and not self.authorized(request):
            return httpx.Response(401, json={"message": "Bad credentials"})
        try:
            if request.method == "POST":
                return self.post(request)
            return self.rest(request)
        except LookupError:
            return httpx.Response(404, json={"message": "404 Not Found"})

    def authorized(self, request: httpx.Request) -> bool:
        raise NotImplementedError

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def post(self, request: httpx.Request) -> httpx.Response:
        raise LookupError(request.url.path)

    def path(self, request: httpx.Request) -> str:
        """The request's path below the API root, %2F-encoded project paths decoded."""
        raw = request.url.raw_path.decode().split("?", 1)[0]
        return unquote(raw.removeprefix(self.prefix)).rstrip("/") or "/"

    def label(self, request: httpx.Request) -> str:
        return "GET " + re.sub(r"/\d+", "/N", self.path(request))

    def rest(self, request: httpx.Request) -> httpx.Response:
        path = self.path(request)
        query = {key: values[-1] for key, values in parse_qs(request.url.query.decode()).items()}
        for pattern, route in self.routes():
            match = re.fullmatch(pattern, path)
            if match:
                body, items = route(query, *match.groups())
                return self.respond(request, body, items, query)
        raise LookupError(path)

    def wrap(self, request: httpx.Request, page: list[Any], total: int) -> Any:
        """A page of items as the API sends it (GitHub wraps workflow runs)."""
        return page

    def respond(
        self, request: httpx.Request, body: Any, items: list[Any] | None, query: dict[str, str]
    ) -> httpx.Response:
        headers = {}
        if items is not None:
            size = min(int(query.get("per_page", 30)), self.page_limit)
            page = int(query.get("page", 1))
            body = self.wrap(request, items[(page - 1) * size : page * size], len(items))
            if page * size < len(items):
                following = urlencode(query | {"page": str(page + 1)})
                headers["Link"] = f'<{request.url.copy_with(query=following.encode())}>; rel="next"'
        content = json.dumps(body).encode()
        etag = '"' + hashlib.sha1(content + headers.get("Link", "").encode()).hexdigest() + '"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        return httpx.Response(200, content=content, headers=headers | {"ETag": etag})


@contextmanager
def serve(fake: FakeApi) -> Iterator[str]:
    """Serve `fake` on 127.0.0.1 in a thread; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            request = httpx.Request(
                self.command,
                f"http://{self.headers.get('host', '127.0.0.1')}{self.path}",
                headers=dict(self.headers.items()),
                content=self.rfile.read(length) if length else b"",
            )
            response = fake.handle(request)
            self.send_response(response.status_code)
            for key, value in response.headers.items():
                if key.lower() not in ("content-length", "transfer-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.content)))
            self.end_headers()
            self.wfile.write(response.content)

        do_GET = do_POST = _answer  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
