"""`dorameter demo --serve` and `dorameter serve --auth token` as real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_line(process: subprocess.Popen[str], start: str, seconds: float) -> str:
    assert process.stderr is not None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if line.startswith(start):
            return line.strip()
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"no line starting with {start!r}")


def run(arguments: list[str]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "dorameter", *arguments]
    environment = os.environ | {"NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=environment
    )


def test_demo_serve_starts_the_dashboard_on_the_demo_store(tmp_path: Path) -> None:
    port = free_port()
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    process = run(["demo", "--today", "2026-11-22", "--db", url, "--serve", "--port", str(port)])
    try:
        line = wait_for_line(process, "dashboard:", 120)
        assert line == f"dashboard: http://127.0.0.1:{port}/?until=2026-11-22"
        page = _get(line.split(" ", 1)[1])
        assert page.status_code == 200
        assert 'data-service="checkout-api"' in page.text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_serve_with_read_auth_refuses_readers_without_a_token(tmp_path: Path) -> None:
    port = free_port()
    process = run(
        ["serve", "--db", f"sqlite:///{tmp_path / 's.db'}", "--port", str(port), "--auth", "token"]
    )
    try:
        assert wait_for_line(process, "reading:", 60) == "reading: API token required"
        wait_for_line(process, "dashboard:", 30)
        base = f"http://127.0.0.1:{port}"
        assert _get(f"{base}/api/v1/report").status_code == 401
        page = _get(f"{base}/services/x?last=7d")
        assert page.status_code == 303  # a browser is sent to sign in, and back afterwards
        assert page.headers["location"] == "/login?next=%2Fservices%2Fx%3Flast%3D7d"
        assert _get(f"{base}/healthz").status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def _get(url: str) -> httpx.Response:
    for _attempt in range(100):
        try:
            return httpx.get(url, timeout=30)
        except httpx.TransportError:
            time.sleep(0.1)
    return httpx.get(url, timeout=30)
