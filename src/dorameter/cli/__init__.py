"""The command line: `dorameter ...`."""

from dorameter.cli.commands import app


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
