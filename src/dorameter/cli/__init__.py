"""The command line: `dorameter ...`."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer


def main() -> None:
    """Console-script entry point."""
    _commands_imported_frozen()
    from dorameter.cli.commands import app  # noqa: PLC0415 (imported just above)

    app()


def _commands_imported_frozen() -> None:
    """Import the commands with the cycle collector off, then freeze what the imports made.

    Start-up creates some 70,000 long-lived objects the collector tracks (SQLAlchemy, Typer,
    Rich, then the database driver), none of them garbage. Left to the collector, its passes
    walk them again and again while the imports run and while the driver imports later. With
    them frozen, importing the command line and psycopg took 0.49 s against 0.69 s (best of 12
    alternated runs on one machine), and `dorameter ingest git` with nothing new to read about
    7% less (docs/benchmarks.md). They live until the process ends anyway.
    (cycle_collection_paused unfreezes them when an ingest or a report ends, which only returns
    them to the oldest generation.)
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        import dorameter.cli.commands  # noqa: F401, PLC0415
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def __getattr__(name: str) -> typer.Typer:
    # `from dorameter.cli import app` (the tests, embedding) without the start-up freeze.
    if name == "app":
        from dorameter.cli.commands import app  # noqa: PLC0415

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
