"""`dorameter ingest github` and `dorameter ingest gitlab`: sync repositories from the APIs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from dorameter.cli.common import ConfigOption, DbOption, err, guarded, settings_for
from dorameter.config import Settings
from dorameter.errors import InvalidInput
from dorameter.sources.platform import SPEC_HELP, Resource, parse_deployment_spec
from dorameter.store import UpsertCounts, open_store
from dorameter.sync import SyncReport, SyncRequest, plan_repositories, sync_repositories
from dorameter.timestamps import parse_duration, parse_instant

if TYPE_CHECKING:  # the sources (and httpx) are imported when a sync runs: start-up stays fast
    from rich.progress import Progress, TaskID

    from dorameter.sources.github import GitHubSource
    from dorameter.sources.gitlab import GitLabSource
    from dorameter.sources.http import WaitNotice

RepositoriesArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Repositories (OWNER/NAME or GROUP/PROJECT) or globs (acme/*) \\[default: the "
        "configured ones].",
        show_default=False,
    ),
]
ApiUrlOption = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        help="API root of an Enterprise Server or self-managed instance \\[default: the public "
        "service].",
        show_default=False,
    ),
]
PlatformSinceOption = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="How far back a first run reads: a date or a duration like 90d \\[default: 180d].",
        show_default=False,
    ),
]
DeploymentsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--deployments",
        help="What a deployment is: "
        + SPEC_HELP.replace("[", "\\[")
        + " (repeatable) \\[default: environments].",
        show_default=False,
    ),
]
TokenEnvOption = Annotated[
    str | None,
    typer.Option(
        "--token-env",
        help="Environment variable holding the token \\[default: GITHUB_TOKEN or GITLAB_TOKEN].",
        show_default=False,
    ),
]
ServiceOption = Annotated[
    str | None,
    typer.Option(
        help="Service every repository belongs to \\[default: the repository's path].",
        show_default=False,
    ),
]
IncidentLabelOption = Annotated[
    list[str] | None,
    typer.Option(
        "--incident-label",
        help="Issue label that marks an incident (repeatable) \\[default: incident].",
        show_default=False,
    ),
]

_NAMES = {"github": "GitHub", "gitlab": "GitLab"}


def ingest_github_command(
    repositories: RepositoriesArg = None,
    api_url: ApiUrlOption = None,
    since: PlatformSinceOption = None,
    deployments: DeploymentsOption = None,
    token_env: TokenEnvOption = None,
    service: ServiceOption = None,
    incident_label: IncidentLabelOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Read pull requests, deployments, workflow runs, releases and incidents from GitHub."""
    connection = Connection("github", api_url, token_env)
    options = (repositories, since, deployments, service, incident_label)
    guarded(lambda: run_platform_ingest(connection, request_for("github", *options), config, db))


def ingest_gitlab_command(
    repositories: RepositoriesArg = None,
    api_url: ApiUrlOption = None,
    since: PlatformSinceOption = None,
    deployments: DeploymentsOption = None,
    token_env: TokenEnvOption = None,
    service: ServiceOption = None,
    incident_label: IncidentLabelOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Read merge requests, deployments, pipelines, releases and incidents from GitLab."""
    connection = Connection("gitlab", api_url, token_env)
    options = (repositories, since, deployments, service, incident_label)
    guarded(lambda: run_platform_ingest(connection, request_for("gitlab", *options), config, db))


@dataclass(frozen=True)
class Connection:
    """Which platform to call, where, and the environment variable holding the token."""

    platform: str
    api_url: str | None = None  # None: the settings' (default: the public service)
    token_env: str | None = None


def request_for(
    platform: str,
    repositories: list[str] | None,
    since: str | None,
    deployments: list[str] | None,
    service: str | None,
    incident_labels: list[str] | None,
) -> SyncRequest:
    """The command's options as a SyncRequest."""
    return SyncRequest(
        platform=platform,
        repositories=tuple(repositories or ()),
        since=_since(since),
        deployments=parse_deployment_spec(deployments) if deployments else None,
        service=service,
        incident_labels=tuple(incident_labels) if incident_labels else None,
    )


def run_platform_ingest(
    connection: Connection,
    request: SyncRequest,
    config: Path | None,
    db: str | None,
) -> list[SyncReport]:
    """Sync the requested repositories with progress bars, then print what changed."""
    settings = settings_for(config, db)
    with progress_bars() as (bars, notice):
        source = open_source(settings, connection, notice)
        targets = plan_repositories(settings, request, source.repositories, datetime.now(UTC))
        store = open_store(settings.database_url)
        reports = sync_repositories(store, settings, source, targets, bars)
    print_summary(reports, source.api.requests)
    if any(report.error for report in reports):
        raise typer.Exit(1)
    return reports


def open_source(
    settings: Settings, connection: Connection, notice: WaitNotice
) -> GitHubSource | GitLabSource:
    """The platform's source on its API, with the token read from the environment."""
    defaults = settings.platforms[connection.platform]
    api_url = connection.api_url or defaults.api_url
    variable = connection.token_env or defaults.token_env
    if not api_url.startswith(("http://", "https://")):
        raise InvalidInput(f"--api-url {api_url!r} must start with https:// (or http://)")
    token = _token(connection.platform, variable)
    from dorameter.sources.github import GitHubSource, github_api  # noqa: PLC0415 (lazy: start-up)
    from dorameter.sources.gitlab import GitLabSource, gitlab_api  # noqa: PLC0415

    if connection.platform == "gitlab":
        return GitLabSource(gitlab_api(api_url, token, token_env=variable, on_wait=notice))
    return GitHubSource(github_api(api_url, token, token_env=variable, on_wait=notice), api_url)


def _token(platform: str, variable: str) -> str:
    """The token from the environment; it is never printed or stored."""
    token = os.environ.get(variable, "").strip()
    if not token:
        raise InvalidInput(
            f"set {variable} to a {_NAMES[platform]} token with read access to the "
            "repositories (or name another variable with --token-env)"
        )
    return token


def _since(text: str | None) -> datetime | None:
    """--since: a date, or a duration back from now (90d)."""
    if text is None:
        return None
    try:
        return parse_instant(text)
    except InvalidInput:
        pass
    try:
        return datetime.now(UTC) - parse_duration(text)
    except InvalidInput:
        raise InvalidInput(
            f"--since {text!r} is neither a date (2026-01-31) nor a duration (90d)"
        ) from None


class ProgressBars:
    """A bar per repository and resource with the count read (SyncProgress for the CLI)."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.tasks: dict[tuple[str, Resource], TaskID] = {}
        self.counts: dict[tuple[str, Resource], int] = {}

    def started(self, repository: str, resource: Resource) -> None:
        label = f"{repository} {resource.value.replace('_', ' ')}"
        self.counts[(repository, resource)] = 0
        if self.progress is not None:
            self.tasks[(repository, resource)] = self.progress.add_task(escape(label), total=None)

    def advanced(self, repository: str, resource: Resource, items: int) -> None:
        self.counts[(repository, resource)] += items
        if self.progress is not None:
            self.progress.advance(self.tasks[(repository, resource)], items)

    def finished(self, repository: str, resource: Resource) -> None:
        count = self.counts[(repository, resource)]
        if self.progress is None:
            err.print(
                f"{repository} {resource.value.replace('_', ' ')}: {count:,} read", highlight=False
            )
            return
        self.progress.update(self.tasks[(repository, resource)], total=count, completed=count)


@contextmanager
def progress_bars() -> Iterator[tuple[ProgressBars, WaitNotice]]:
    """Bars on a terminal (and waits printed above them); plain lines otherwise."""
    if not err.is_terminal:
        yield ProgressBars(None), lambda message: err.print(escape(message), highlight=False)
        return
    from rich.progress import (  # noqa: PLC0415 (only a terminal shows it; 35 ms at start-up)
        BarColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} read"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err) as progress:
        yield ProgressBars(progress), lambda message: progress.console.print(escape(message))


def print_summary(reports: list[SyncReport], requests: int) -> None:
    """What each repository's sync added and changed, then notes."""
    table = Table(title=f"Synced ({requests:,} API requests)", title_justify="left")
    for column in (
        "Repository",
        "Service",
        "Commits",
        "PRs",
        "Reviews",
        "Deploys",
        "CI runs",
        "Incidents",
    ):
        table.add_column(column, justify="left" if column in ("Repository", "Service") else "right")
    for report in reports:
        counts = report.counts
        figures = [
            f"+{counts.commits_added:,}",
            _changes(counts.pull_requests),
            _changes(counts.reviews),
            _changes(counts.deployments),
            _changes(counts.pipeline_runs),
            _changes(counts.incidents),
        ]
        if report.error:
            figures = ["not read", *("-" for _ in figures[1:])]
        table.add_row(escape(report.repository), escape(report.service), *figures)
    err.print(table)
    if reports:
        err.print(f"{reports[0].attributed:,} deployments attributed", highlight=False)
    for report in reports:
        for note in report.notes:
            err.print(f"[bold yellow]warning:[/] {escape(note)}", highlight=False, soft_wrap=True)
        if report.error:
            err.print(
                f"[bold red]error:[/] {escape(report.error)}", highlight=False, soft_wrap=True
            )


def _changes(counts: UpsertCounts) -> str:
    """Added and changed, e.g. "+12 ~3" (unchanged records are not shown)."""
    return f"+{counts.added:,}" + (f" ~{counts.updated:,}" if counts.updated else "")


__all__ = ["ingest_github_command", "ingest_gitlab_command", "run_platform_ingest"]
