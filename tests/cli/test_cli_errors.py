"""Expected failures end with one clear line on stderr and the documented exit code.

docs/cli.md: exit 1 for a runtime failure, 2 for a usage error; never a traceback.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dorameter.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "500"}  # a wide terminal: the message itself must be one line


def fails(arguments: list[str], env: dict[str, str] | None = None) -> Any:
    """Run a command that must fail cleanly; returns the result."""
    result = runner.invoke(app, arguments, env=WIDE | (env or {}))
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return result


def one_line(result: Any) -> str:
    """The single error line on stderr, without its "error: " prefix."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return str(lines[0].removeprefix("error: "))


def a_closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    return ["--db", f"sqlite:///{tmp_path / 'store.db'}"]


def test_a_path_that_is_not_a_repository(tmp_path: Path, db: list[str]) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()

    for command in (["analyze", str(folder)], ["ingest", "git", str(folder)]):
        result = fails([*command, *db])
        assert result.exit_code == 1
        assert one_line(result).startswith(f"{folder} is not a git repository")


def test_a_path_that_does_not_exist(tmp_path: Path, db: list[str]) -> None:
    result = fails(["analyze", str(tmp_path / "missing"), *db])

    assert result.exit_code == 1
    assert str(tmp_path / "missing") in one_line(result)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--since", "2026-13-45"], "'2026-13-45' is not a date; use ISO 8601"),
        (["--until", "tomorrow"], "'tomorrow' is not a date"),
        (["--since", "2026-01-01", "--last", "30d"], "give --since or --last, not both"),
        (["--last", "30 days"], "'30 days' is not a duration"),
        (["--last", "0d"], "must be longer than zero"),
        (["--since", "2026-03-08", "--until", "2026-03-01"], "the period is empty"),
        (["--since", "2026-03-01", "--until", "2026-03-01"], "the period is empty"),
        (["--since", "1900-01-01"], "is not a plausible time"),
        (["--bands", "2020"], "unknown bands '2020'; choose one of 2019, 2021, 2023, 2024"),
    ],
)
def test_report_usage_errors(arguments: list[str], message: str, db: list[str]) -> None:
    result = fails(["report", *arguments, *db])

    assert result.exit_code == 2
    assert message in one_line(result)


def test_an_unopenable_database(tmp_path: Path) -> None:
    result = fails(["report", "--db", "nosuchdb://x"])

    assert result.exit_code == 1
    assert one_line(result).startswith("cannot open database nosuchdb://x")


def test_an_unreachable_postgresql_hides_the_password() -> None:
    url = f"postgresql://dora:s3cr3t-pw@127.0.0.1:{a_closed_port()}/metrics"

    result = fails(["report", "--db", url])

    assert result.exit_code == 1
    message = one_line(result)
    assert "s3cr3t-pw" not in result.output
    assert "dora:***@127.0.0.1" in message


def test_the_database_url_from_the_environment(tmp_path: Path) -> None:
    result = fails(["report"], env={"DORAMETER_DATABASE_URL": "nosuchdb://from-env"})

    assert result.exit_code == 1
    assert "nosuchdb://from-env" in one_line(result)


def test_an_invalid_settings_file(tmp_path: Path, db: list[str]) -> None:
    settings = tmp_path / "dorameter.toml"
    settings.write_text('[metrics]\nhotfix_pattern = "hotfix("\n')

    result = fails(["report", "--config", str(settings), *db])

    assert result.exit_code == 2
    assert "hotfix_pattern: 'hotfix(' is not a valid Python regular expression" in one_line(result)


def test_an_error_message_is_printed_literally(tmp_path: Path, db: list[str]) -> None:
    settings = tmp_path / "dorameter.toml"
    settings.write_text('[metrics]\nhotfix_pattern = "hotfix("\n')

    result = fails(["report", "--config", str(settings), *db])

    assert one_line(result).startswith("[metrics].hotfix_pattern: 'hotfix(' is not a valid")


def test_resolving_an_unknown_incident(db: list[str]) -> None:
    result = fails(["record", "resolve", "inc-404", *db])

    assert result.exit_code == 1
    assert one_line(result) == "no incident with id 'inc-404'; record it first"


def test_resolving_before_the_incident_started(db: list[str]) -> None:
    started = ["--id", "inc-1", "--started-at", "2026-03-02T12:00:00Z"]
    recorded = runner.invoke(app, ["record", "incident", "--service", "shop", *started, *db])
    assert recorded.exit_code == 0, recorded.output

    result = fails(["record", "resolve", "inc-1", "--resolved-at", "2026-03-02T11:00:00Z", *db])

    assert result.exit_code == 2
    assert "is before the incident started" in one_line(result)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--started-at", "2026-03-02T12:00:00Z", "--resolved-at", "2026-03-02T11:00:00Z"],
            "--resolved-at is before --started-at",
        ),
        (["--started-at", "2026-13-45"], "--started-at: '2026-13-45' is not a date"),
        (["--resolved-at", "soon"], "--resolved-at: 'soon' is not a date"),
        (
            ["--not-change-caused", "--caused-by-sha", "abc1234"],
            "--not-change-caused contradicts --caused-by-...",
        ),
    ],
)
def test_record_incident_usage_errors(arguments: list[str], message: str, db: list[str]) -> None:
    result = fails(["record", "incident", "--service", "shop", *arguments, *db])

    assert result.exit_code == 2
    assert message in one_line(result)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--finished-at", "2026-13-45"], "--finished-at: '2026-13-45' is not a date"),
        (
            ["--finished-at", "2026-03-02T10:00:00Z", "--started-at", "2026-03-02T11:00:00Z"],
            "--started-at is after --finished-at",
        ),
    ],
)
def test_record_deployment_usage_errors(arguments: list[str], message: str, db: list[str]) -> None:
    result = fails(
        ["record", "deployment", "--service", "shop", "--sha", "abc1234", *arguments, *db]
    )

    assert result.exit_code == 2
    assert message in one_line(result)


def test_nothing_is_stored_after_a_usage_error(tmp_path: Path, db: list[str]) -> None:
    fails(["record", "incident", "--service", "shop", "--started-at", "2026-13-45", *db])

    assert not (tmp_path / "store.db").exists()


def test_an_unknown_option_is_a_usage_error(db: list[str]) -> None:
    result = runner.invoke(app, ["report", "--frobnicate", *db])

    assert result.exit_code == 2
    assert "--frobnicate" in result.stderr


def test_a_long_error_is_one_line_in_a_log(db: list[str]) -> None:
    result = runner.invoke(app, ["report", "--since", "2026-13-45", *db], env={"COLUMNS": "80"})

    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
