"""Load `dorameter serve` on loopback and compare it with a bare endpoint of the same framework.

Starts two servers on 127.0.0.1 (uvicorn with httptools and uvloop, no access log):
- bare: a FastAPI app whose POST /api/v1/deployments reads the body and answers 202, storing
  nothing (the framework's own cost, the floor);
- dorameter: `dorameter serve` on a fresh SQLite (or --db) store, with an API token.
Then sends the same deployments to each with keep-alive connections from one asyncio process
(a raw HTTP/1.1 client, so the load generator costs little next to the servers), bounded by
--count and --seconds. Prints accepted events per second, p50/p99 latency, the ratio of
dorameter to bare, and checks that every acknowledged event is in the store.

    .venv/bin/python benchmarks/serve_load.py [--count 10000] [--seconds 20] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
BARE_APP = """
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
app = FastAPI()
@app.post("/api/v1/deployments")
async def deployments(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"status": "accepted"}, status_code=202)
@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
"""


@dataclass
class Result:
    name: str
    accepted: int
    failed: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit(f"no server on port {port}")


def request_bytes(port: int, token: str, number: int) -> bytes:
    body = json.dumps(
        {
            "service": "bench",
            "sha": f"{number:07x}",
            "id": f"bench-{number}",
            "finished_at": f"2026-03-02T10:00:00.{number:06d}Z",  # deployments in time order
        }
    ).encode()
    head = (
        f"POST /api/v1/deployments HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(
        (int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length")),
        0,
    )
    await reader.readexactly(length)
    return status


async def load(
    name: str, port: int, token: str, count: int, seconds: float, workers: int
) -> Result:
    numbers = iter(range(count))
    latencies: list[float] = []
    failed = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal failed
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for number in numbers:
                if time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                writer.write(request_bytes(port, token, number))
                status = await read_response(reader)
                if status == 202:
                    latencies.append(time.perf_counter() - started)
                else:
                    failed += 1
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return Result(name, len(latencies), failed, time.perf_counter() - began, latencies)


def start_bare(port: int) -> subprocess.Popen[bytes]:
    folder = Path(tempfile.mkdtemp(prefix="bare-app-"))
    (folder / "bare_app.py").write_text(BARE_APP)
    return subprocess.Popen(
        [
            str(BIN / "uvicorn"),
            "bare_app:app",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            "--http",
            "httptools",
            "--loop",
            "uvloop",
        ],
        cwd=folder,
        stderr=subprocess.DEVNULL,
    )


def start_dorameter(port: int, db: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(BIN / "dorameter"), "serve", "--port", str(port), "--db", db],
        stderr=subprocess.DEVNULL,
    )


def stored_raw_events(db: str) -> int:
    from dorameter.store import open_store

    store = open_store(db)
    counts = store.raw_counts()
    store.close()
    return sum(counts.values())


def run(
    name: str, process: subprocess.Popen[bytes], port: int, token: str, args: argparse.Namespace
) -> Result:
    try:
        wait_ready(port)
        return asyncio.run(load(name, port, token, args.count, args.seconds, args.concurrency))
    finally:
        process.terminate()
        process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="events per server at most")
    parser.add_argument("--seconds", type=float, default=20.0, help="time per server at most")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--db", help="store URL for dorameter (default: a temporary SQLite)")
    args = parser.parse_args()
    db = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='serve-load-')}/bench.db"
    made = subprocess.run(
        [str(BIN / "dorameter"), "token", "create", f"bench-{os.getpid()}", "--db", db],
        capture_output=True,
        text=True,
        check=True,
    )
    token = made.stdout.strip()
    bare_port, dorameter_port = free_port(), free_port()
    bare = run("bare FastAPI endpoint", start_bare(bare_port), bare_port, token, args)
    served = run(
        "dorameter serve", start_dorameter(dorameter_port, db), dorameter_port, token, args
    )
    stored = stored_raw_events(db)
    print(
        f"load: {args.concurrency} keep-alive connections, at most {args.count} events "
        f"or {args.seconds:.0f} s per server; {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}; store {db.split(':')[0]}"
    )
    print("| server | accepted | errors | events/s | p50 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for result in (bare, served):
        print(
            f"| {result.name} | {result.accepted} | {result.failed} | {result.rate:,.0f} | "
            f"{result.percentile(0.5):.1f} | {result.percentile(0.99):.1f} |"
        )
    print(
        f"dorameter / bare: throughput {served.rate / bare.rate:.2f}x, "
        f"p50 latency {served.percentile(0.5) / bare.percentile(0.5):.2f}x, "
        f"p99 latency {served.percentile(0.99) / bare.percentile(0.99):.2f}x"
    )
    print(
        f"durable: {stored} raw events stored for {served.accepted} acknowledged "
        f"({'all there' if stored >= served.accepted else 'MISSING EVENTS'}); "
        f"goal 500 events/s: {'met' if served.rate >= 500 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
