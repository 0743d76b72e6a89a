"""Page and API latency (p50/p95) of `dorameter serve` on a big organisation, cold and cached.

    .venv/bin/dorameter demo --scale large --today 2026-11-22 --db sqlite:////tmp/large.db
    .venv/bin/python benchmarks/dashboard_latency.py --db sqlite:////tmp/large.db \\
        [--until 2026-11-22] [--requests 20]

Starts the real app under uvicorn on a loopback port and times each URL over HTTP with httpx:
- cold: the report cache is emptied before every request (a new filter, or new data);
- cached: the same URL again (the report per filter is kept until the data changes).
Prints one line per URL and mode: p50, p95 and max in milliseconds.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import threading
import time
from collections.abc import Callable

import httpx
import uvicorn

from dorameter.config import Settings
from dorameter.store import open_store
from dorameter.web import create_app
from dorameter.web.views import ReportCache


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--until", default="2026-11-22")
    parser.add_argument("--requests", type=int, default=20)
    arguments = parser.parse_args()
    store = open_store(arguments.db)
    services = store.service_names()
    teams = sorted({team for team in store.service_teams().values() if team})
    app = create_app(Settings(database_url=arguments.db), store)
    cache: ReportCache = app.state.report_cache
    period = f"until={arguments.until}&last=90d"
    urls = [
        f"/?{period}",
        f"/services/{services[len(services) // 2]}?{period}",
        f"/teams/{teams[0]}?{period}" if teams else f"/?{period}&last=30d",
        f"/api/v1/report?{period}",
        f"/api/v1/services?{period}",
        f"/api/v1/deployments?{period}&limit=100&offset=1000",
        f"/api/v1/changes?{period}&limit=100",
        f"/metrics?{period}",
    ]
    print(f"{len(services)} services, {arguments.requests} requests per URL and mode")
    with Running(app) as base, httpx.Client(base_url=base, timeout=300) as client:
        for url in urls:
            client.get(url).raise_for_status()  # warm the process (imports, first connections)
            for mode, before in (("cold", cache.invalidate), ("cached", lambda: None)):
                times = timed(client, url, arguments.requests, before)
                print(f"{mode:7} {summary(times)}  {url}")


def timed(client: httpx.Client, url: str, count: int, before: Callable[[], None]) -> list[float]:
    times = []
    for _ in range(count):
        before()
        start = time.perf_counter()
        client.get(url).raise_for_status()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):8.1f} ms  p95 {p95:8.1f} ms  max {ordered[-1]:8.1f} ms"


class Running:
    """The app under uvicorn in a thread on a free loopback port."""

    def __init__(self, app: object) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(app, port=self.port, log_level="warning")  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


if __name__ == "__main__":
    main()
