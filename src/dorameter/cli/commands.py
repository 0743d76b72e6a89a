"""The main commands: analyze, ingest git, report."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from dorameter import __version__
from dorameter.cli.common import (
    BandsOption,
    ConfigOption,
    DbOption,
    FormatOption,
    LastOption,
    OutputFormat,
    SinceOption,
    UntilOption,
    err,
    guarded,
    out,
    period_for,
    settings_for,
)
from dorameter.cli.demo import demo
from dorameter.cli.diagnose import diagnose
from dorameter.cli.goals import baseline_app, goal_app, progress_command
from dorameter.cli.notify import notify
from dorameter.cli.platforms import ingest_github_command, ingest_gitlab_command
from dorameter.cli.record import record_app
from dorameter.cli.serve import reprocess, serve, token_app
from dorameter.config import Settings
from dorameter.git_deployments import GitIngestOptions
from dorameter.ingest import IngestReport, ingest_git
from dorameter.store import Store, open_store

if TYPE_CHECKING:
    from dorameter.report import Report

app = typer.Typer(
    name="dorameter",
    help="DORA metrics and delivery-flow diagnosis from git and your delivery tools.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ingest_app = typer.Typer(help="Bring delivery history into the store.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
ingest_app.command("github")(ingest_github_command)
ingest_app.command("gitlab")(ingest_gitlab_command)
app.add_typer(record_app, name="record")
app.add_typer(token_app, name="token")
app.command("serve")(serve)
app.command("reprocess")(reprocess)

PathArg = Annotated[Path, typer.Argument(help="A git repository (work tree or bare).")]
ServiceOption = Annotated[
    str | None, typer.Option(help="Service name \\[default: the repository folder's name].")
]
TagOption = Annotated[
    str | None,
    typer.Option(help="Glob of tags that are production deployments \\[default: version tags]."),
]
BranchOption = Annotated[
    str | None,
    typer.Option(help="Every first-parent commit of this branch is a production deployment."),
]
EnvironmentOption = Annotated[str, typer.Option(help="Environment the git deployments went to.")]
PathOption = Annotated[
    list[str] | None,
    typer.Option(
        "--path",
        help="With --service: that service is the commits under this folder of the repository "
        "(a monorepo service); repeatable. Several services: the settings file (services tables).",
        show_default=False,
    ),
]
LineCountsOption = Annotated[
    bool,
    typer.Option(
        "--line-counts",
        help="Also read lines added/deleted per commit (git diff-tree, rename detection on); "
        "slow on a first run over a long history.",
    ),
]


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"dorameter {__version__}")
        raise typer.Exit()


@contextmanager
def commit_progress(label: str) -> Iterator[Callable[[int], None]]:
    """A live count of commits read, shown only on a terminal."""
    if not err.is_terminal:
        yield lambda _count: None
        return
    from rich.progress import (  # noqa: PLC0415 (only a terminal shows it)
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(label, total=None)

        def update(count: int) -> None:
            progress.update(task, description=f"{label}: {count:,} commits")

        yield update


def run_git_ingest(store: Store, settings: Settings, options: GitIngestOptions) -> IngestReport:
    """Ingest with a progress display, print what changed, exit 1 if nothing is deployable."""
    with commit_progress(f"reading {options.path}") as progress:
        summary = ingest_git(store, settings, options, on_commits=progress)
    deployments = summary.deployments
    measured = ", ".join(summary.services)
    err.print(
        f"[green]{escape(summary.scope)}[/]"
        + (f" ({escape(measured)})" if summary.services != (summary.scope,) else "")
        + f": {summary.commits_added:,} new commits, "
        f"{deployments.added} new and {deployments.updated} changed deployments "
        f"({summary.deployments_matched} read), {summary.attributed} attributed"
        + (f", line counts of {summary.line_counts:,} commits" if summary.line_counts else ""),
        highlight=False,
    )
    for note in summary.notes:
        err.print(f"[bold red]error:[/] {escape(note)}", highlight=False, soft_wrap=True)
    if summary.no_deployments:
        raise typer.Exit(1)
    return summary


def show(report: Report, output: OutputFormat) -> None:
    # Lazy, as build_report below: `ingest git`, the command pipelines run after every push,
    # starts ~50 ms sooner without the report, its analysis and its renderings.
    if output is OutputFormat.JSON:
        from dorameter.render.document import report_document  # noqa: PLC0415

        sys.stdout.write(json.dumps(report_document(report), indent=2) + "\n")
    else:
        from dorameter.render.console import print_report  # noqa: PLC0415

        print_report(out, report)


@ingest_app.command("git")
def ingest_git_command(
    path: PathArg,
    service: ServiceOption = None,
    tag_pattern: TagOption = None,
    deploy_branch: BranchOption = None,
    environment: EnvironmentOption = "production",
    line_counts: LineCountsOption = False,
    paths: PathOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Read a repository's new history and its deployments (tags or branch) into the store."""

    def body() -> None:
        settings = settings_for(config, db)
        options = GitIngestOptions(
            path, service, tag_pattern, deploy_branch, environment, line_counts, tuple(paths or ())
        )
        run_git_ingest(open_store(settings.database_url), settings, options)

    guarded(body)


class ReportFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


@app.command()
def report(
    service: Annotated[
        list[str] | None, typer.Option(help="Only these services (repeatable) \\[default: all].")
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    last: LastOption = None,
    bands: BandsOption = None,
    output: Annotated[
        ReportFormat,
        typer.Option("--format", help="table, json, or a retrospective file: markdown, html."),
    ] = ReportFormat.TABLE,
    compare: Annotated[
        str | None,
        typer.Option(help="Retrospective: goal progress against this saved baseline."),
    ] = None,
    to_file: Annotated[
        Path | None, typer.Option("--output", help="Write the file here \\[default: stdout].")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Print the DORA report of the stored data for a period, or write a retrospective."""

    def body() -> None:
        from dorameter.progress import retro_progress  # noqa: PLC0415 (start-up, see show)
        from dorameter.render.retro import retro_html, retro_markdown  # noqa: PLC0415
        from dorameter.report import build_report  # noqa: PLC0415

        settings = settings_for(config, db, bands)
        period = period_for(since, until, last)
        store = open_store(settings.database_url)
        built = build_report(store, settings, period, service)
        if output in (ReportFormat.TABLE, ReportFormat.JSON):
            show(built, OutputFormat(output.value))
            return
        rows = retro_progress(store, built, compare) if compare else {}
        render = retro_html if output is ReportFormat.HTML else retro_markdown
        text = render(built, rows)
        if to_file:
            to_file.write_text(text, encoding="utf-8")
            err.print(f"wrote {to_file}", highlight=False)
        else:
            sys.stdout.write(text)

    guarded(body)


@app.command()
def analyze(
    path: PathArg = Path("."),
    service: ServiceOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    last: LastOption = None,
    tag_pattern: TagOption = None,
    deploy_branch: BranchOption = None,
    environment: EnvironmentOption = "production",
    line_counts: LineCountsOption = False,
    paths: PathOption = None,
    bands: BandsOption = None,
    output: FormatOption = OutputFormat.TABLE,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Ingest a repository (only what is new) and print its DORA report."""

    def body() -> None:
        from dorameter.report import build_report  # noqa: PLC0415 (start-up, see show)

        settings = settings_for(config, db, bands)
        period = period_for(since, until, last)
        store = open_store(settings.database_url)
        options = GitIngestOptions(
            path, service, tag_pattern, deploy_branch, environment, line_counts, tuple(paths or ())
        )
        summary = run_git_ingest(store, settings, options)
        show(build_report(store, settings, period, list(summary.services)), output)

    guarded(body)


app.command()(demo)
app.command()(diagnose)
app.add_typer(baseline_app, name="baseline")
app.add_typer(goal_app, name="goal")
app.command("progress")(progress_command)
app.command()(notify)
