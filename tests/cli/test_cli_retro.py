"""Retrospective files: they parse, need no network and carry the Report's numbers."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from typer.testing import CliRunner

from dorameter.cli import app
from dorameter.config import Settings
from dorameter.render.console import human_duration
from dorameter.report import build_report
from dorameter.store import Store
from tests.cli.test_cli_diagnose import WINDOW, shop_with_pull_requests
from tests.store.test_store_flow import PERIOD

runner = CliRunner()


class Strict(HTMLParser):
    """Collects tags and checks every opened element (but void ones) is closed in order."""

    VOID = frozenset({"meta", "rect", "line", "br", "img"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.open.pop() == tag, f"</{tag}> closes something else"


def retro(store: Store, store_url: str, kind: str, tmp_path: Path, *extra: str) -> str:
    target = tmp_path / f"retro.{kind}"
    arguments = ["report", "--db", store_url, "--format", kind, "--output", str(target), *WINDOW]
    result = runner.invoke(app, [*arguments, *extra])
    assert result.exit_code == 0, result.output
    return target.read_text(encoding="utf-8")


def test_html_retro_is_self_contained_and_carries_the_numbers(
    store: Store, store_url: str, tmp_path: Path
) -> None:
    shop_with_pull_requests(store)
    runner.invoke(app, ["baseline", "save", "before", "--db", store_url, *WINDOW])

    page = retro(store, store_url, "html", tmp_path, "--compare", "before")

    parser = Strict()
    parser.feed(page)
    assert parser.open == []
    tags = {tag for tag, _ in parser.tags}
    assert "svg" in tags and "script" not in tags and "link" not in tags
    assert not [a for _, attrs in parser.tags for a in ("src", "href") if a in attrs]
    service = build_report(store, Settings(database_url=""), PERIOD, ["shop"]).services[0]
    assert human_duration(service.lead_time.summary.median_seconds) in page
    assert service.diagnosis.findings[0].message in page
    assert "Goal progress" in page and "no clear change" in page
    assert "#2 Change 2" in page  # the slowest pull request


def test_markdown_retro_has_the_sections(store: Store, store_url: str, tmp_path: Path) -> None:
    shop_with_pull_requests(store)

    text = retro(store, store_url, "markdown", tmp_path)

    service = build_report(store, Settings(database_url=""), PERIOD, ["shop"]).services[0]
    for heading in (
        "The five keys",
        "Weekly trend",
        "Bottleneck and findings",
        "Failed deployments",
        "Slowest pull requests",
        "Biggest pull requests",
    ):
        assert f"### {heading}" in text
    assert "Goal progress" not in text  # no --compare
    frequency = service.deployment_frequency
    assert f"| deployment frequency | {frequency.per_week:.1f} per week |" in text


def test_compare_with_an_unknown_baseline(store: Store, store_url: str) -> None:
    shop_with_pull_requests(store)
    result = runner.invoke(
        app, ["report", "--db", store_url, "--format", "html", "--compare", "nope", *WINDOW]
    )
    assert result.exit_code == 2
    assert "no reported service has a baseline named 'nope'" in result.stderr
