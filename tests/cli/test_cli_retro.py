"""Retrospective files: they parse, need no network and carry the Report's numbers."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from dorameter.cli import app
from dorameter.config import Settings
from dorameter.model import Incident
from dorameter.render.console import human_duration
from dorameter.render.document import report_document
from dorameter.report import build_report
from dorameter.store import Store
from tests.cli.test_cli_diagnose import WINDOW, shop_with_pull_requests
from tests.store.store_support import at
from tests.store.test_store_flow import PERIOD, pull_request

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
        "Notable incidents",
        "Slowest pull requests",
        "Biggest pull requests",
        "Pull requests open longer than 3 days",
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


class Tables(HTMLParser):
    """The text of each <h3> heading's table rows (header row left out), by heading."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[list[str]]] = {}
        self.notes: dict[str, str] = {}
        self._heading = ""
        self._in: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr" and self._heading:
            self.sections.setdefault(self._heading, []).append([])
        if tag in ("h3", "td", "p"):
            self._in, self._text = tag, ""

    def handle_data(self, data: str) -> None:
        self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag != self._in:
            return
        if tag == "h3":
            self._heading = self._text
        elif tag == "td":
            self.sections[self._heading][-1].append(self._text)
        elif tag == "p" and self._heading:
            self.notes[self._heading] = self._text
        self._in = None


def shop_with_incidents(store: Store) -> None:
    """The PR scenario (deployments d1 at -59 h, d2 at 3 h) and twelve incidents of the period,
    one before it: two that failed d2, an open one, one not caused by a change, one naming an
    unknown commit, and seven short ones."""
    shop_with_pull_requests(store)

    def incident(number: int, start: float, end: float | None, **fields: Any) -> Incident:
        resolved = None if end is None else at(end)
        return Incident("shop", f"INC-{number}", "test", at(start), resolved, **fields)

    store.upsert_incidents(
        [
            incident(1, 4, 10, title="Checkout errors", severity="1"),  # 1 h after d2
            incident(2, 20, 21, caused_by_deployment="d2"),
            incident(3, 32, None, title="Slow search"),  # 29 h after d2: out of the window
            incident(4, 40, 100, title="Cloud outage", change_caused=False),
            incident(5, -100, -99),  # before the period
            incident(6, 60, 61, caused_by_sha="abc1234567890"),
            *(incident(10 + n, 70 + n, 70.01 + n, change_caused=False) for n in range(7)),
        ]
    )


INCIDENT_ROWS = [
    [*cells.split(" ; ")]
    for cells in (
        "shop ; INC-1 Checkout errors ; 1 ; 2026-03-02 13:00 ; 2026-03-02 19:00 ; 6.0 h ; "
        "deployment d2 (started soon after it)",
        "shop ; INC-2 ; - ; 2026-03-03 05:00 ; 2026-03-03 06:00 ; 60 min ; "
        "deployment d2 (named by the incident)",
        "shop ; INC-3 Slow search ; - ; 2026-03-03 17:00 ; still open ; at least 3.7 d ; "
        "unknown (no deployment just before it)",
        "shop ; INC-4 Cloud outage ; - ; 2026-03-04 01:00 ; 2026-03-06 13:00 ; 2.5 d ; "
        "not caused by a change",
        "shop ; INC-6 ; - ; 2026-03-04 21:00 ; 2026-03-04 22:00 ; 60 min ; "
        "commit abc123456789 (no deployment in reach shipped it)",
        *(
            f"shop ; INC-{10 + n} ; - ; 2026-03-05 {7 + n:02d}:00 ; 2026-03-05 {7 + n:02d}:00 ; "
            "36 s ; not caused by a change"
            for n in range(5)
        ),
    )
]


def test_the_retro_lists_the_reports_notable_incidents(
    store: Store, store_url: str, tmp_path: Path
) -> None:
    shop_with_incidents(store)
    service = build_report(store, Settings(database_url=""), PERIOD, ["shop"]).services[0]
    listed = [item.incident.external_id for item in service.incidents.items]
    assert listed == ["INC-1", "INC-2", "INC-3", "INC-4", "INC-6", *(f"INC-1{n}" for n in range(5))]
    assert (service.incidents.total, service.incidents.more) == (12, 2)

    text = retro(store, store_url, "markdown", tmp_path)
    section = text.split("### Notable incidents\n\n", 1)[1].split("\n### ", 1)[0]
    lines = section.strip().splitlines()
    assert lines[0] == (
        "| service | incident | severity | started | resolved | time to restore | caused by |"
    )
    rows = [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[2:12]]
    assert rows == INCIDENT_ROWS
    assert lines[12:] == ["", "2 more incident(s) of the period not listed."]

    tables = Tables()
    tables.feed(retro(store, store_url, "html", tmp_path))
    assert tables.sections["Notable incidents"][1:] == INCIDENT_ROWS  # after the header row
    assert tables.notes["Notable incidents"] == "2 more incident(s) of the period not listed."

    document = report_document(build_report(store, Settings(database_url=""), PERIOD, ["shop"]))
    found = document["services"][0]["notable_incidents"]
    assert found["total"] == 12 and len(found["incidents"]) == 10
    assert found["incidents"][0] == {
        "id": "INC-1",
        "service": "shop",
        "title": "Checkout errors",
        "severity": "1",
        "started_at": "2026-03-02T13:00:00Z",
        "resolved_at": "2026-03-02T19:00:00Z",
        "restore_seconds": 6 * 3600.0,
        "open_seconds": None,
        "cause": "deployment",
        "deployment": "d2",
        "link": "incident_window",
        "commit": None,
    }


def test_the_retro_lists_pull_requests_open_longer_than_the_threshold(
    store: Store, store_url: str, tmp_path: Path
) -> None:
    shop_with_pull_requests(store)
    ages = {7: -100, 8: 100, 9: -36}  # open at the period's end (120 h): 220 h, 20 h, 156 h
    store.upsert_pull_requests(
        pull_request(number, None, created_at=at(hours)) for number, hours in ages.items()
    )

    text = retro(store, store_url, "markdown", tmp_path)

    section = text.split("### Pull requests open longer than 3 days\n\n", 1)[1]
    assert section.splitlines()[:4] == [
        "| pull request | author | opened | open for |",
        "|---|---|---|---|",
        "| #7 Change 7 | ada | 2026-02-26 05:00 | 9.2 d |",
        "| #9 Change 9 | ada | 2026-02-28 21:00 | 6.5 d |",
    ]
    # 2 of the 2 merged and 3 open PRs: the finding names the open ones
    assert "2 still open: #7 Change 7 (9.2 d), #9 Change 9 (6.5 d)." in text
