"""`dorameter demo`: generate the demo organisation and show its report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dorameter.cli.common import ConfigOption, OutputFormat, err, guarded, settings_for
from dorameter.config import Settings
from dorameter.errors import InvalidInput
from dorameter.model import Period
from dorameter.store import Store, open_store
from dorameter.store.database import data_folder
from dorameter.timestamps import parse_instant

if TYPE_CHECKING:
    from dorameter.demo import DemoOptions


def demo_database_path() -> Path:
    """The demo's own SQLite file in the data folder, so real data is never mixed in."""
    return data_folder() / "demo.db"


def demo(
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed and day give the same data.")
    ] = 7,
    scale: Annotated[
        str, typer.Option(help="small (8 services) or large (200 services, 2 years).")
    ] = "small",
    today: Annotated[
        str | None, typer.Option(help="Day the history ends (exclusive) \\[default: today, UTC].")
    ] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Then serve the dashboard on it.")] = False,
    host: Annotated[str, typer.Option(help="With --serve: address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="With --serve: port to listen on.")] = 8000,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.TABLE,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Store URL \\[default: a fresh demo.db beside the default store]."
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Generate a realistic demo organisation into a store and print its report."""

    def body() -> None:
        from dorameter.demo import SCALES, DemoOptions  # noqa: PLC0415 (lazy: start-up)
        from dorameter.report import build_report  # noqa: PLC0415 (lazy: start-up)

        if scale not in SCALES:
            raise InvalidInput(f"unknown scale {scale!r}; choose small or large")
        end_day = (parse_instant(today) if today else datetime.now(UTC)).date()
        url = db or f"sqlite:///{demo_database_path()}"
        if db is None:
            _start_fresh(demo_database_path())
        settings = settings_for(config, url)
        store = open_store(settings.database_url)
        _generate(store, settings, DemoOptions(seed, scale, end_day))
        end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=UTC)
        report = build_report(store, settings, Period(end - timedelta(days=90), end))
        from dorameter.cli.commands import show  # noqa: PLC0415 (commands imports this module)

        show(report, output)
        err.print(
            f"demo store: {settings.database_url} (use --db with other commands to explore it)"
        )
        if serve:
            from dorameter.cli.serve import run_server  # noqa: PLC0415 (only --serve needs it)

            # The demo's history ends on its day, so the dashboard link names that day.
            run_server(settings, host, port, dashboard=f"/?until={end_day.isoformat()}")

    guarded(body)


def _start_fresh(path: Path) -> None:
    """The default demo store is rebuilt on every run: a new day is a new history."""
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


def _generate(store: Store, settings: Settings, options: DemoOptions) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn  # noqa: PLC0415

    from dorameter.demo import generate_demo, organisation  # noqa: PLC0415 (lazy: start-up)

    profiles, _days = organisation(options.scale)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("generating services", total=len(profiles))
        generate_demo(store, settings, options, lambda _name, _report: progress.advance(task))
