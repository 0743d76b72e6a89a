"""Every command documents itself: --help works and shows every option with its help text.

Fails when someone adds a command or an option without help, or writes help that Rich would
mangle (an unescaped "[default: ...]" is taken for markup and disappears).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from rich.text import Text
from typer.testing import CliRunner

from dorameter.cli import app

runner = CliRunner()
NARROW = {"COLUMNS": "80"}  # a common terminal, and Rich's width when not on a terminal


def commands(
    command: Any = None, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group under the app, with the words that invoke it."""
    command = command or typer.main.get_command(app)
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from commands(sub, (*path, name))


ALL = dict(commands())


def visible_text(output: str) -> str:
    """Help output as one line of words, without Rich's box drawing."""
    for box in "│╭╮╰╯─":
        output = output.replace(box, " ")
    return " ".join(output.split())


def words(help_text: str) -> str:
    """Help text as a user reads it: escaped brackets shown literally, spaces collapsed."""
    return " ".join(help_text.replace("\\[", "[").split())


CLI_DOCS = Path(__file__).parents[2] / "docs" / "cli.md"


@pytest.mark.parametrize("path", [path for path in ALL if path], ids=" ".join)
def test_every_command_is_documented_in_docs_cli(path: tuple[str, ...]) -> None:
    assert f"dorameter {' '.join(path)}" in CLI_DOCS.read_text(encoding="utf-8")


def test_the_core_commands_exist() -> None:
    expected = {"analyze", "demo", "ingest git", "record deployment", "record incident", "report"}
    assert expected <= {" ".join(path) for path in ALL}


@pytest.mark.parametrize("path", list(ALL), ids=lambda path: " ".join(path) or "dorameter")
def test_help_exits_0_and_shows_every_option_with_its_help(path: tuple[str, ...]) -> None:
    command = ALL[path]

    result = runner.invoke(app, [*path, "--help"], env=NARROW)

    assert result.exit_code == 0, result.output
    shown = visible_text(result.stdout)
    assert "…" not in shown, "Rich cut something short at 80 columns"
    assert command.help, f"`dorameter {' '.join(path)}` has no help text"
    assert words(command.help) in shown
    for parameter in command.params:
        names = [*parameter.opts, *parameter.secondary_opts]
        label = "/".join(names)
        assert parameter.help, f"{label} of `dorameter {' '.join(path)}` has no help"
        if parameter.param_type_name == "argument":
            variadic = "..." if parameter.nargs == -1 else ""  # click shows "repositories..."
            usage = {f" {parameter.name}{variadic} ", f" [{parameter.name}]{variadic} "}
            assert any(form in f" {shown} " for form in usage), f"{label} missing from usage"
        else:
            for name in names:
                assert name in shown, f"{name} missing from `dorameter {' '.join(path)} --help`"
        assert words(parameter.help) in shown, f"help of {label} is not shown as written"
    for name, sub in getattr(command, "commands", {}).items():
        assert name in shown
        assert sub.help, f"`dorameter {' '.join((*path, name))}` has no help text"


@pytest.mark.parametrize("path", list(ALL), ids=lambda path: " ".join(path) or "dorameter")
def test_help_texts_survive_rich_markup(path: tuple[str, ...]) -> None:
    command = ALL[path]
    texts = [command.help or "", *(parameter.help or "" for parameter in command.params)]

    for text in texts:
        assert Text.from_markup(text).plain == text.replace("\\[", "["), text


def test_the_version_option() -> None:
    result = runner.invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.stdout.startswith("dorameter ")


def test_no_arguments_shows_the_help() -> None:
    result = runner.invoke(app, [], env=NARROW)

    assert "Usage: dorameter" in result.output
    for name in ("analyze", "report", "ingest", "record"):
        assert name in result.output
