"""What every command shares: consoles, option types, error handling, settings and periods."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from dorameter.config import Settings, load_settings
from dorameter.errors import DorameterError, InvalidInput
from dorameter.model import Period
from dorameter.timestamps import parse_duration, parse_instant

out = Console()
err = Console(stderr=True)
T = TypeVar("T")


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy URL of the store \\[env: DORAMETER_DATABASE_URL].",
        show_default=False,
    ),
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="TOML settings file \\[env: DORAMETER_CONFIG].")
]
SinceOption = Annotated[str | None, typer.Option(help="Start of the period (ISO date or time).")]
UntilOption = Annotated[
    str | None, typer.Option(help="End of the period, exclusive \\[default: now].")
]
LastOption = Annotated[
    str | None, typer.Option(help="Length of the period ending at --until or now \\[default: 90d].")
]
BandsOption = Annotated[
    str | None,
    typer.Option(help="Band thresholds of a DORA report year: 2019, 2021, 2023 (default), 2024."),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]


def fail(error: DorameterError) -> NoReturn:
    """Print an expected error as one line and exit with its code."""
    # Literal text (a settings key like [metrics] is not markup), never wrapped: one log line.
    err.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
    raise typer.Exit(error.exit_code)


def guarded(action: Callable[[], T]) -> T:
    """Run a command body, turning expected errors into a message and an exit code."""
    try:
        return action()
    except DorameterError as error:
        fail(error)
    except KeyboardInterrupt:
        err.print("interrupted: everything committed so far is kept; run again to resume")
        raise typer.Exit(130) from None


def settings_for(config: Path | None, db: str | None, bands: str | None = None) -> Settings:
    """Settings from file and environment, with the command-line flags on top."""
    return load_settings(config).with_overrides(database_url=db, bands=bands)


def period_for(since: str | None, until: str | None, last: str | None) -> Period:
    """[since, until) from the options; --last counts back from --until or now."""
    if since and last:
        raise InvalidInput("give --since or --last, not both")
    end = parse_instant(until) if until else datetime.now(UTC)
    start = parse_instant(since) if since else end - parse_duration(last or "90d")
    if start >= end:
        raise InvalidInput(
            f"the period is empty: {start:%Y-%m-%d %H:%M} is not before {end:%Y-%m-%d %H:%M}"
        )
    return Period(start, end)
