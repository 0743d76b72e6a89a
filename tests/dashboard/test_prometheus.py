"""GET /metrics: the report's figures per service in the Prometheus text format."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from dorameter.metrics.bands import Band
from dorameter.report import Report
from dorameter.web.prometheus import BAND_NUMBERS, exposition
from dorameter.web.views import ReportCache, ViewQuery
from tests.dashboard.conftest import QUARTER

SAMPLE = re.compile(r'^([a-z_]+)\{((?:[a-z_]+="(?:[^"\\]|\\.)*",?)+)\} (-?[0-9.e+-]+)$')


def samples(text: str) -> dict[tuple[str, str], float]:
    found = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) dorameter_[a-z_]+ .+$", line), line
            continue
        match = SAMPLE.match(line)
        assert match, line
        found[(match.group(1), match.group(2))] = float(match.group(3))
    return found


def test_metrics_agree_with_the_report(client: TestClient) -> None:
    answer = client.get(f"/metrics?{QUARTER}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = samples(answer.text)
    report = client.get(f"/api/v1/report?{QUARTER}").json()
    for service in report["services"]:
        labels = f'service="{service["service"]}",team="'
        by_name = {
            (name, label): value
            for (name, label), value in found.items()
            if label.startswith(labels)
        }
        values = {
            name: value
            for (name, label), value in by_name.items()
            if "," not in label[len(labels) :]
        }
        assert values["dorameter_deployments"] == service["deployment_frequency"]["count"]
        if service["change_fail_rate"]["value"] is not None:
            assert values["dorameter_change_fail_rate"] == service["change_fail_rate"]["value"]
        median = service["lead_time"]["median_seconds"]
        quantiles = {
            label.rsplit("quantile=", 1)[1]: value
            for (name, label), value in by_name.items()
            if name == "dorameter_lead_time_seconds"
        }
        if median is not None:
            assert quantiles['"0.5"'] == median
        overall = [
            value
            for (name, label), value in by_name.items()
            if name == "dorameter_band" and label.endswith('metric="overall"')
        ]
        expected = BAND_NUMBERS[Band(service["overall_band"])] if service["overall_band"] else 0
        assert overall == [expected]


def test_metrics_follow_the_filters(client: TestClient) -> None:
    text = client.get(f"/metrics?{QUARTER}&team=checkout").text
    services = set(re.findall(r'service="([^"]+)"', text))
    assert services == {"checkout-api", "checkout-web"}


def test_labels_are_escaped_and_missing_figures_left_out(client: TestClient) -> None:
    cache: ReportCache = client.app.state.report_cache  # type: ignore[attr-defined]
    view = cache.view(ViewQuery(until="2026-11-22", service="ledger"))
    report: Report = cache.snapshot(view).value.report
    text = exposition(report, {"ledger": 'pay"ments\\team'})
    assert 'team="pay\\"ments\\\\team"' in text
    assert "None" not in text and "nan" not in text


def test_an_empty_store_has_headers_only(empty_client: TestClient) -> None:
    text = empty_client.get("/metrics").text
    assert all(line.startswith("#") for line in text.splitlines())


def test_the_grafana_dashboard_uses_only_exported_metrics(client: TestClient) -> None:
    exported = set(re.findall(r"^# TYPE (\S+) gauge$", client.get("/metrics").text, re.M))
    document = json.loads(
        (Path(__file__).parents[2] / "docs" / "grafana-dashboard.json").read_text()
    )
    queried = {
        name
        for panel in document["panels"]
        for target in panel["targets"]
        for name in re.findall(r"dorameter_[a-z_]+", target["expr"])
    }
    assert queried and queried <= exported
