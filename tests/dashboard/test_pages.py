"""The dashboard pages: the Report's figures, charts with the right points, filters, empty state."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dorameter.analysis.progress import GoalMetric
from dorameter.config import Settings
from dorameter.metrics.bands import Band, BandMetric
from dorameter.model import Period
from dorameter.progress import Subject, save_baseline, set_goal
from dorameter.report import build_report
from dorameter.store import Store
from dorameter.web.charts import band_regions, duration_text, sparkline
from tests.dashboard.conftest import END, QUARTER


def charts(html: str) -> dict[str, dict[str, Any]]:
    found = re.findall(
        r'<div class="chart[^"]*" id="([^"]+)"[^>]*><script type="application/json">(.*?)</script>',
        html,
        re.S,
    )
    return {name: json.loads(spec) for name, spec in found}


def test_the_overview_shows_every_service_with_its_bands(client: TestClient) -> None:
    html = client.get(f"/?{QUARTER}").text
    report = client.get(f"/api/v1/report?{QUARTER}").json()
    rows = re.findall(r'<tr data-service="([^"]+)">', html)
    assert rows == [service["service"] for service in report["services"]]
    for service in report["services"]:
        if service["overall_band"]:
            row = html.split(f'<tr data-service="{service["service"]}">')[1].split("</tr>")[0]
            assert f'class="band {service["overall_band"]}"' in row
    assert html.count('<svg class="sparkline"') == len(rows)


def test_sparklines_hold_one_point_per_week(client: TestClient) -> None:
    html = client.get(f"/?{QUARTER}&service=ledger").text
    report = client.get(f"/api/v1/report?{QUARTER}&service=ledger").json()
    points = re.search(r'<polyline points="([^"]+)" data-points="(\d+)"', html)
    assert points
    assert len(points.group(1).split()) == len(report["services"][0]["trend"])


def test_the_service_page_draws_a_trend_per_key_and_a_timeline(client: TestClient) -> None:
    html = client.get(f"/services/ledger?{QUARTER}").text
    report = client.get(f"/api/v1/report?{QUARTER}&service=ledger").json()["services"][0]
    drawn = charts(html)
    trends = [spec for name, spec in drawn.items() if name.startswith("trend-")]
    assert len(trends) == 5
    for spec in trends:
        assert len(spec["data"][0]["x"]) == len(report["trend"])
    assert any(spec["layout"]["shapes"] for spec in trends)  # band ranges shaded
    timeline = drawn["timeline"]
    deployments = client.get(
        f"/api/v1/deployments?{QUARTER}&service=ledger&environment=production&limit=1000"
    ).json()
    marked = sum(len(trace["x"]) for trace in timeline["data"] if trace["mode"] == "markers")
    assert marked == deployments["total"]
    failed = next(trace for trace in timeline["data"] if trace["name"] == "failed")
    assert len(failed["x"]) == len(report["failed_deployments"])
    assert '<script src="/vendor/plotly.min.js">' in html


def test_the_team_page_lists_only_its_services(client: TestClient) -> None:
    html = client.get(f"/teams/checkout?{QUARTER}").text
    assert re.findall(r'<tr data-service="([^"]+)">', html) == ["checkout-api", "checkout-web"]


def test_filters_are_in_the_url_and_change_the_figures(client: TestClient) -> None:
    everything = client.get(f"/?{QUARTER}").text
    short = client.get("/?until=2026-11-22&last=7d").text
    assert everything != short
    assert '<option value="7d" selected>' in short
    team = client.get(f"/?{QUARTER}&team=search").text
    assert re.findall(r'<tr data-service="([^"]+)">', team) == ["search-api", "search-indexer"]
    assert "<option selected>search</option>" in team
    link = re.search(r'href="/services/search-api\?([^"]+)"', team)
    assert link and "until=2026-11-22" in link.group(1) and "last=90d" in link.group(1)


def test_an_empty_store_shows_how_to_ingest(empty_client: TestClient) -> None:
    html = empty_client.get("/").text
    assert 'id="empty-state"' in html
    assert "dorameter ingest git" in html
    assert "<table" not in html


def test_the_api_page_and_plotly_are_served_locally(client: TestClient) -> None:
    page = client.get("/api").text
    assert "/api/v1/deployments" in page and "/metrics" in page
    assert "http://" not in page.replace("http://localhost", "") and "https://" not in page
    for url in ("/", f"/services/ledger?{QUARTER}"):
        html = client.get(url).text
        assert not re.search(r'(src|href)="(https?:)?//', html)
    script = client.get("/vendor/plotly.min.js")
    assert script.status_code == 200
    assert "plotly" in script.text[:2000].lower()


@pytest.mark.parametrize("url", ["/services/nope", "/teams/nope"])
def test_unknown_pages_answer_not_found(client: TestClient, url: str) -> None:
    assert client.get(url).status_code == 404


def test_pages_are_not_in_the_openapi_description(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and "/api" not in paths


def test_band_regions_cover_the_2023_lead_time_bands() -> None:
    regions = band_regions("2023", BandMetric.LEAD_TIME)
    assert [band for band, _low, _high in regions] == [
        Band.ELITE,
        Band.HIGH,
        Band.MEDIUM,
        Band.LOW,
    ]
    assert regions[0][2] == pytest.approx(86400)
    frequency = band_regions("2023", BandMetric.DEPLOYMENT_FREQUENCY)
    assert [band for band, _low, _high in frequency][-1] == Band.ELITE


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "-"), (120, "2 min"), (7200, "2.0 h"), (3 * 86400, "3.0 d")]
)
def test_durations_read_well(seconds: float | None, text: str) -> None:
    assert duration_text(seconds) == text


def test_a_sparkline_needs_two_points() -> None:
    assert sparkline([3.0]) == ""
    assert len(sparkline([0.0, 1.0, 2.0]).split()) == 3


def test_the_flow_diagnosis_is_drawn_when_the_report_has_one(client: TestClient) -> None:
    html = client.get(f"/services/checkout-api?{QUARTER}").text
    report = client.get(f"/api/v1/report?{QUARTER}&service=checkout-api").json()["services"][0]
    flow = {name: spec for name, spec in charts(html).items() if name.startswith("flow-")}
    if "diagnosis" not in report:
        assert flow == {}
        return
    stages, sizes = flow["flow-1"], flow["flow-2"]
    assert [trace["name"] for trace in stages["data"]] == ["coding", "pickup", "review", "deploy"]
    assert stages["layout"]["barmode"] == "stack"
    assert len(sizes["data"][0]["x"]) > 0


def test_the_service_page_shows_goal_progress_against_the_baseline(
    client: TestClient, demo_store: Store
) -> None:
    assert 'id="no-baseline"' in client.get(f"/services/billing?{QUARTER}").text
    settings = Settings(database_url="")
    before = Period(END - timedelta(days=270), END - timedelta(days=180))
    save_baseline(demo_store, settings, before, Subject("billing"), "then")
    set_goal(
        demo_store, settings, before, Subject("billing"), (GoalMetric.LEAD_TIME, 86400.0, None)
    )
    html = client.get(f"/services/billing?{QUARTER}").text
    assert 'id="goals"' in html and "baseline then" in html
    rows = re.findall(r'<tr data-metric="([a-z_]+)">', html)
    assert rows == [metric.value for metric in GoalMetric]
    lead = html.split('<tr data-metric="lead_time">')[1].split("</tr>")[0]
    assert "<td>24.0 h</td>" in lead  # the goal's target
    assert "not yet" in lead


def test_the_team_page_leads_with_the_team_measured_as_one(client: TestClient) -> None:
    html = client.get(f"/teams/checkout?{QUARTER}").text
    total = html.split('<tr id="team-total" data-team="checkout">')[1].split("</tr>")[0]
    services = client.get(f"/api/v1/services?{QUARTER}&team=checkout").json()["items"]
    per_day = sum(service["deployments_per_day"] for service in services)
    assert f"{per_day:.2f}" in total
    assert 'id="team-total"' not in client.get(f"/?{QUARTER}").text


def _listed(html: str, section: str, attribute: str) -> list[str]:
    found = html.split(f'<section id="{section}">')[1].split("</section>", maxsplit=1)[0]
    return re.findall(rf'<tr {attribute}="([^"]+)">', found)


def test_the_service_page_lists_the_reports_notable_incidents_and_open_pull_requests(
    client: TestClient, demo_store: Store
) -> None:
    period = Period(END - timedelta(days=90), END)
    settings = Settings(database_url=demo_store.url)
    # platform-gateway has a pull request open longer than 3 days at the quarter's end; ledger none.
    for name, open_long in (("platform-gateway", 1), ("ledger", 0)):
        figures = build_report(demo_store, settings, period, [name]).services[0]
        html = client.get(f"/services/{name}?{QUARTER}").text
        incidents = _listed(html, "notable-incidents", "data-incident")
        assert incidents == [item.incident.external_id for item in figures.incidents.items]
        assert len(incidents) == figures.incidents.total > 0
        assert 'id="more-incidents"' not in html
        still_open = figures.diagnosis.trunk.long_lived_open
        assert len(still_open) == open_long
        assert _listed(html, "open-pull-requests", "data-pull-request") == [
            age.pull_request.external_id for age in still_open
        ]
        for age in still_open:
            assert f"#{age.pull_request.number}" in html and age.pull_request.author in html
        assert ("No pull request has been open that long" in html) == (not still_open)


def test_the_team_page_lists_the_team_reports_incidents_and_how_many_more(
    client: TestClient, demo_store: Store
) -> None:
    settings = Settings(database_url=demo_store.url)
    period = Period(END - timedelta(days=90), END)
    figures = build_report(demo_store, settings, period, team="search").services[0]
    html = client.get(f"/teams/search?{QUARTER}").text
    incidents = _listed(html, "notable-incidents", "data-incident")
    assert incidents == [item.incident.external_id for item in figures.incidents.items]
    assert len(incidents) == 10 < figures.incidents.total
    more = re.search(r'<p class="hint" id="more-incidents">(\d+) more', html)
    assert more and int(more.group(1)) == figures.incidents.more
    assert 'id="notable-incidents"' not in client.get(f"/?{QUARTER}").text
