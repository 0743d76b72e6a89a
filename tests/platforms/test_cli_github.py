"""`dorameter ingest github` end to end: the command, as a user runs it, against the fake GitHub
API served on 127.0.0.1 and reached through --api-url as a GitHub Enterprise Server would be."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from dorameter.cli import app
from dorameter.store import open_store
from dorameter.store.schema import deployments, pull_requests, services
from tests.platforms.fake_api import serve
from tests.platforms.fake_github import FakeGitHub
from tests.platforms.github_support import busy_history, three_merge_styles

runner = CliRunner()
TOKEN = "secret-token"


@pytest.fixture
def server() -> Iterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub(token=TOKEN, page_limit=10)  # REST listings of several pages
    three_merge_styles(fake)
    busy_history(fake, pulls=30, repository="acme/billing")
    with serve(fake) as url:
        yield fake, url + "/api/v3"


def dorameter(
    *args: str, token: str | None = TOKEN, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed command in a new process, as a user types it."""
    env = {key: value for key, value in os.environ.items() if key != "GITHUB_TOKEN"}
    env |= {"GITHUB_TOKEN": token} if token else {}
    env["COLUMNS"] = "200"
    return subprocess.run(  # noqa: PLW1510 - the tests read returncode
        [sys.executable, "-m", "dorameter", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def count(url: str, table: Any, *where: Any) -> int:
    store = open_store(url)
    with store.engine.connect() as connection:
        found = connection.execute(
            select(func.count()).select_from(table).where(*where)
        ).scalar_one()
    store.close()
    return int(found)


def test_ingest_github_from_an_enterprise_server_then_report(
    server: tuple[FakeGitHub, str], store_url: str
) -> None:
    fake, api = server
    first = dorameter(
        "ingest",
        "github",
        "acme/shop",
        "acme/billing",
        "--api-url",
        api,
        "--since",
        "2026-02-01",
        "--deployments",
        "environments",
        "--db",
        store_url,
    )
    assert first.returncode == 0, first.stderr
    assert "acme/shop pull requests: 3 read" in first.stderr
    assert "acme/billing pull requests: 30 read" in first.stderr
    assert "Synced (" in first.stderr and "API requests)" in first.stderr
    assert TOKEN not in first.stdout + first.stderr
    assert count(store_url, pull_requests) == 33
    assert count(store_url, deployments) == 2 + 3

    fake.requests.clear()
    again = dorameter(
        "ingest", "github", "acme/*", "--api-url", api, "--since", "2026-02-01", "--db", store_url
    )
    assert again.returncode == 0, again.stderr
    assert "GET /orgs/acme/repos" in fake.requests  # the glob listed the organisation
    assert "+0" in again.stderr
    assert count(store_url, pull_requests) == 33  # nothing twice

    shown = dorameter(
        "report",
        "--service",
        "acme/shop",
        "--since",
        "2026-02-28",
        "--until",
        "2026-03-03",
        "--format",
        "json",
        "--db",
        store_url,
    )
    assert shown.returncode == 0, shown.stderr
    assert '"from_pr_start": 3' in shown.stdout


def test_a_configuration_file_maps_repositories_to_services_and_teams(
    server: tuple[FakeGitHub, str], tmp_path: Path
) -> None:
    _, api = server
    url = f"sqlite:///{tmp_path / 'store.db'}"
    settings = tmp_path / "dorameter.toml"
    settings.write_text(
        f"""
[github]
api_url = "{api}"
since = "2000d"
incident_labels = ["incident"]

[flow]
bots = ['\\[bot\\]$', '^renovate']

[[repositories]]
github = "acme/shop"
service = "{{name}}"
team = "payments"
deployments = ["environments:production"]

[[repositories]]
github = "acme/bill*"
service = "billing-api"
team = "finance"
deployments = ["workflow:Deploy@production"]
"""
    )
    result = dorameter("ingest", "github", "--config", str(settings), "--db", url)

    assert result.returncode == 0, result.stderr
    store = open_store(url)
    assert store.service_teams() == {"shop": "payments", "billing-api": "finance"}
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(services.c.name, func.count())
            .select_from(deployments.join(services, services.c.id == deployments.c.service_id))
            .group_by(services.c.name)
        ).all()
    assert dict(rows) == {"shop": 2, "billing-api": 3}  # billing deploys by workflow runs


@pytest.mark.parametrize(
    ("arguments", "token", "message"),
    [
        ((), TOKEN, "name a repository to read (OWNER/NAME) or list them as [[repositories]]"),
        (("acme/shop",), None, "set GITHUB_TOKEN to a GitHub token with read access"),
        (("acme/shop",), "wrong", "GitHub rejected the token (HTTP 401 from"),
        (("acme/nope",), TOKEN, "GitHub has nothing at"),
        (
            ("acme/shop", "--deployments", "deploys"),
            TOKEN,
            "unknown deployment definition 'deploys'",
        ),
        (("acme/shop", "--since", "last week"), TOKEN, "--since 'last week' is neither a date"),
        (("acme/zz*",), TOKEN, "no github repository matches 'acme/zz*'"),
    ],
)
def test_mistakes_are_one_clear_line(
    server: tuple[FakeGitHub, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    arguments: tuple[str, ...],
    token: str | None,
    message: str,
) -> None:
    _, api = server
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    if token:
        monkeypatch.setenv("GITHUB_TOKEN", token)
    result = runner.invoke(
        app,
        ["ingest", "github", *arguments, "--api-url", api, "--db", f"sqlite:///{tmp_path}/s.db"],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code in (1, 2), result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and message in line
    assert (token or "secret") not in result.output


def test_an_unreadable_repository_among_several_is_reported_and_exits_1(
    server: tuple[FakeGitHub, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, api = server
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    url = f"sqlite:///{tmp_path}/s.db"
    result = runner.invoke(
        app,
        [
            "ingest",
            "github",
            "acme/shop",
            "acme/nope",
            "--api-url",
            api,
            "--since",
            "2026-02-01",
            "--db",
            url,
        ],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 1
    assert "acme/nope" in result.stderr and "not read" in result.stderr
    assert "error: GitHub has nothing at" in result.stderr
    assert count(url, pull_requests) == 3  # acme/shop was read
