"""The real server process on loopback: killed with SIGKILL mid-stream, nothing acknowledged is
lost; `dorameter token` and `dorameter record --server` against it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dorameter.store import open_store

DORAMETER = Path(sys.executable).parent / "dorameter"
pytestmark = pytest.mark.skipif(os.name != "posix", reason="uses SIGKILL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DORAMETER), *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


class Server:
    """`dorameter serve` in a child process, on a free loopback port."""

    def __init__(self, url: str) -> None:
        self.db = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(DORAMETER), "serve", "--port", str(self.port), "--db", self.db],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError("the server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    started = Server(f"sqlite:///{tmp_path / 'served.db'}")
    try:
        yield started
    finally:
        started.kill()


def create_token(db: str) -> str:
    made = run("token", "create", "ci", "--db", db)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


def test_every_acknowledged_event_survives_a_sigkill(server: Server) -> None:
    token = create_token(server.db)
    server.start()
    acknowledged: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    killed_at = 150
    with httpx.Client(base_url=server.base, headers=headers, timeout=5) as client:
        for number in range(400):  # bounded: stops at the kill, or after 400 events
            if number == killed_at:
                server.kill()
            document = {"service": "shop", "sha": f"{number:07x}", "id": f"dep-{number}"}
            try:
                answer = client.post("/api/v1/deployments", json=document)
            except httpx.HTTPError:
                break
            if answer.status_code == 202:
                acknowledged.append(document["id"])
    server.start()  # applies what was written but not yet applied
    server.stop()

    store = open_store(server.db)
    with store.engine.connect() as connection:
        from sqlalchemy import text

        stored = {row[0] for row in connection.execute(text("SELECT external_id FROM deployments"))}
    store.close()
    assert len(acknowledged) == killed_at
    assert set(acknowledged) <= stored


def test_record_sends_to_the_server_and_tokens_can_be_revoked(server: Server) -> None:
    token = create_token(server.db)
    server.start()
    env = {**os.environ, "DORAMETER_API_TOKEN": token}
    record = ("--server", server.base)

    deployment = run(
        "record", "deployment", "--service", "shop", "--sha", "3f2a9c1", *record, env=env
    )
    incident = run("record", "incident", "--service", "shop", "--id", "INC-1", *record, env=env)
    resolved = run("record", "resolve", "INC-1", *record, env=env)
    missing = run("record", "resolve", "INC-2", *record, env=env)
    listed = run("token", "list", "--db", server.db)
    revoked = run("token", "revoke", "ci", "--db", server.db)
    time.sleep(0)
    server.stop()
    server.start()  # a new process: no cached token
    refused = run("record", "incident", "--service", "shop", *record, env=env)
    server.stop()

    assert deployment.returncode == 0, deployment.stderr
    assert "accepted" in deployment.stderr
    assert incident.returncode == 0, incident.stderr
    assert resolved.returncode == 0 and "resolved" in resolved.stderr
    assert missing.returncode == 1 and "INC-2" in missing.stderr
    assert "ci" in listed.stdout and token not in listed.stdout
    assert revoked.returncode == 0
    assert refused.returncode == 1 and "refused the API token" in refused.stderr
    store = open_store(server.db)
    assert store.count_rows()["deployments"] == 1
    store.close()


def test_record_server_without_a_token_is_a_usage_error(server: Server) -> None:
    env = {key: value for key, value in os.environ.items() if key != "DORAMETER_API_TOKEN"}

    result = run(
        "record", "deployment", "--service", "s", "--sha", "abc", "--server", server.base, env=env
    )

    assert result.returncode == 2
    assert "DORAMETER_API_TOKEN" in result.stderr
