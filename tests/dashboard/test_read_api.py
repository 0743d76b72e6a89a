"""The read API: the same report as the CLI, paged listings, CSV, filters, errors and auth."""

from __future__ import annotations

import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dorameter.config import Settings
from dorameter.model import Deployment, Period
from dorameter.render.document import report_document
from dorameter.report import build_report
from dorameter.store import Store
from dorameter.web import views
from dorameter.web.read_api import BUILT_AT_HEADER, UPDATING_HEADER
from tests.dashboard.conftest import END, QUARTER, started

LISTINGS = ["deployments", "changes", "pull-requests", "incidents"]


def without_time(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "generated_at"}


def test_the_report_is_the_cli_report(client: TestClient, demo_store: Store) -> None:
    answer = client.get(f"/api/v1/report?{QUARTER}")
    assert answer.status_code == 200
    expected = build_report(
        demo_store, Settings(database_url=""), Period(END - timedelta(days=90), END)
    )
    assert without_time(answer.json()) == without_time(report_document(expected))


def test_service_and_team_filters_narrow_the_report(client: TestClient) -> None:
    one = client.get(f"/api/v1/report?{QUARTER}&service=checkout-api").json()
    assert [service["service"] for service in one["services"]] == ["checkout-api"]
    team = client.get(f"/api/v1/report?{QUARTER}&team=checkout").json()
    assert [service["service"] for service in team["services"]] == ["checkout-api", "checkout-web"]


def test_an_environment_filter_reports_that_environment(client: TestClient) -> None:
    environments = {
        row["environment"]
        for row in client.get(f"/api/v1/deployments?{QUARTER}&limit=1000").json()["items"]
    }
    other = sorted(environments - {"production"})
    report = client.get(f"/api/v1/report?{QUARTER}&environment=production").json()
    assert report["environments"] == ["production"]
    if other:
        staging = client.get(f"/api/v1/report?{QUARTER}&environment={other[0]}").json()
        assert staging["environments"] == [other[0]]


def test_services_list_the_headline_figures_and_teams(client: TestClient) -> None:
    page = client.get(f"/api/v1/services?{QUARTER}").json()
    report = client.get(f"/api/v1/report?{QUARTER}").json()
    assert page["total"] == len(report["services"]) == len(page["items"])
    first, figures = page["items"][0], report["services"][0]
    assert first["service"] == figures["service"]
    assert first["deployments"] == figures["deployment_frequency"]["count"]
    assert first["overall_band"] == figures["overall_band"]
    assert first["team"]


def test_teams_name_their_services(client: TestClient) -> None:
    teams = {team["team"]: team["services"] for team in client.get("/api/v1/teams").json()}
    assert teams["checkout"] == ["checkout-api", "checkout-web"]


@pytest.mark.parametrize("listing", LISTINGS)
def test_listings_page_through_every_row_once(client: TestClient, listing: str) -> None:
    everything = client.get(f"/api/v1/{listing}?{QUARTER}&limit=1000").json()
    assert everything["total"] > 0
    rows = everything["items"][:25]
    paged = []
    for offset in range(0, 25, 10):
        page = client.get(f"/api/v1/{listing}?{QUARTER}&limit=10&offset={offset}").json()
        assert page["total"] == everything["total"]
        assert (page["limit"], page["offset"]) == (10, offset)
        paged += page["items"]
    assert paged[:25] == rows


@pytest.mark.parametrize("listing", ["deployments", "changes", "incidents"])
def test_listings_follow_the_service_filter(client: TestClient, listing: str) -> None:
    page = client.get(f"/api/v1/{listing}?{QUARTER}&service=ledger&limit=1000").json()
    assert page["items"]
    assert {row["service"] for row in page["items"]} == {"ledger"}


def test_deployments_follow_the_period_and_environment(client: TestClient) -> None:
    url = "/api/v1/deployments?since=2026-11-01&until=2026-11-08&environment=production"
    rows = client.get(url + "&limit=1000").json()["items"]
    assert rows
    assert all("2026-11-01" <= row["finished_at"] < "2026-11-08" for row in rows)
    assert {row["environment"] for row in rows} == {"production"}


@pytest.mark.parametrize("listing", [*LISTINGS, "services"])
def test_csv_holds_the_same_rows(client: TestClient, listing: str) -> None:
    json_page = client.get(f"/api/v1/{listing}?{QUARTER}&limit=5").json()
    answer = client.get(f"/api/v1/{listing}?{QUARTER}&limit=5&format=csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert f'filename="{listing.replace("-", "_")}.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row[next(iter(row))] for row in rows] == [
        str(item[next(iter(item))]) for item in json_page["items"]
    ]


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/v1/report?service=nope", 404, "not_found"),
        ("/api/v1/report?team=nope", 404, "not_found"),
        ("/api/v1/report?service=ledger&team=checkout", 404, "not_found"),
        ("/api/v1/report?last=soon", 422, "invalid_payload"),
        ("/api/v1/report?since=2026-01-01&last=30d", 422, "invalid_payload"),
        ("/api/v1/report?since=2026-11-22&until=2026-11-01", 422, "invalid_payload"),
        ("/api/v1/report?until=yesterday", 422, "invalid_payload"),
        ("/api/v1/report?service=a%00b", 422, "invalid_payload"),
        ("/api/v1/deployments?limit=0", 422, "invalid_payload"),
        ("/api/v1/deployments?limit=1001", 422, "invalid_payload"),
        ("/api/v1/deployments?offset=-1", 422, "invalid_payload"),
        ("/api/v1/incidents?format=xml", 422, "invalid_payload"),
        ("/metrics?last=0d", 422, "invalid_payload"),
    ],
)
def test_bad_filters_answer_in_the_one_error_shape(
    client: TestClient, url: str, status: int, code: str
) -> None:
    answer = client.get(url)
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["message"]


def test_an_empty_store_answers_empty_pages(empty_client: TestClient) -> None:
    assert empty_client.get("/api/v1/report").json()["services"] == []
    assert empty_client.get("/api/v1/deployments").json() == {
        "items": [],
        "total": 0,
        "limit": 100,
        "offset": 0,
    }
    assert empty_client.get("/api/v1/teams").json() == []


@pytest.mark.parametrize("listing", [*LISTINGS, "services"])
def test_an_empty_csv_keeps_its_header_line(
    client: TestClient, empty_client: TestClient, listing: str
) -> None:
    full = client.get(f"/api/v1/{listing}?{QUARTER}&limit=1&format=csv").text
    header = full.splitlines()[0]
    assert header.count(",") >= 3
    assert empty_client.get(f"/api/v1/{listing}?format=csv").text == header + "\n"
    past_the_end = client.get(f"/api/v1/{listing}?{QUARTER}&offset=1000000&format=csv")
    assert past_the_end.text == header + "\n"


def test_read_auth_needs_a_token(demo_store: Store, token: str) -> None:
    with started(demo_store, read_auth=True) as client:
        for path in ("/api/v1/report", "/api/v1/deployments", "/metrics"):
            refused = client.get(path)
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == "unauthorized"
            assert refused.headers["www-authenticate"] == "Bearer"
            assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
            allowed = client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert allowed.status_code == 200


def test_reading_is_open_without_read_auth(client: TestClient) -> None:
    assert client.get("/api/v1/report").status_code == 200


def late_deployment(store: Store, service: str, name: str) -> None:
    store.upsert_deployments(
        [
            Deployment(
                service=service,
                environment="production",
                sha="f" * 40,
                finished_at=END - timedelta(hours=1),
                external_id=f"test:{service}:{name}",
                source="test",
            )
        ]
    )


def deployments_of(answer: Any) -> int:
    return int(answer.json()["services"][0]["deployment_frequency"]["count"])


def test_new_data_is_answered_from_the_previous_report_until_rebuilt(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "VERSION_CHECK_SECONDS", 0.0)
    with started(demo_store) as client:
        cache: views.ReportCache = client.app.state.report_cache  # type: ignore[attr-defined]
        url = f"/api/v1/report?{QUARTER}&service=ledger"
        first = client.get(url)
        built_at = first.headers[BUILT_AT_HEADER]
        assert UPDATING_HEADER not in first.headers
        misses = cache.misses
        assert deployments_of(client.get(url)) == deployments_of(first)
        assert cache.misses == misses
        late_deployment(demo_store, "ledger", "late")
        meanwhile = client.get(url)
        assert deployments_of(meanwhile) == deployments_of(first)
        assert meanwhile.headers[UPDATING_HEADER] == "true"
        assert meanwhile.headers[BUILT_AT_HEADER] == built_at
        assert cache.wait_idle(120)
        after = client.get(url)
        assert deployments_of(after) == deployments_of(first) + 1
        assert UPDATING_HEADER not in after.headers
        assert cache.misses == misses + 1


def test_a_view_never_seen_is_built_on_request_with_the_new_data(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "VERSION_CHECK_SECONDS", 0.0)
    with started(demo_store) as client:
        before = deployments_of(client.get(f"/api/v1/report?{QUARTER}&service=billing"))
        late_deployment(demo_store, "billing", "unseen")
        quarter = client.get(f"/metrics?{QUARTER}&service=billing")
        assert quarter.headers[UPDATING_HEADER] == "true"  # seen before: the previous report
        other = client.get("/api/v1/report?until=2026-11-22&last=30d&service=billing")
        assert UPDATING_HEADER not in other.headers
        month = Period(END - timedelta(days=30), END)
        expected = build_report(demo_store, Settings(database_url=""), month, ["billing"])
        assert deployments_of(other) == expected.services[0].deployment_frequency.count
        assert client.app.state.report_cache.wait_idle(120)  # type: ignore[attr-defined]
        assert deployments_of(client.get(f"/api/v1/report?{QUARTER}&service=billing")) == (
            before + 1
        )


def test_a_team_page_never_mixes_old_and_new_figures(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "VERSION_CHECK_SECONDS", 0.0)
    with started(demo_store) as client:
        url = f"/teams/checkout?{QUARTER}"
        old = client.get(url).text
        late_deployment(demo_store, "checkout-web", "mixed")
        meanwhile = client.get(url).text
        assert 'id="updating"' in meanwhile and "updating with new data" in meanwhile
        assert figures(meanwhile) == figures(old)  # the team total and each service: all old
        assert client.app.state.report_cache.wait_idle(120)  # type: ignore[attr-defined]
        new = client.get(url).text
        assert 'id="updating"' not in new
        assert figures(new) != figures(old)


def figures(html: str) -> list[str]:
    """The figure cells of the overview table (team total and services), without the note."""
    return re.findall(r"<td[^>]*>([0-9.]+ <span class=\"band)", html)


def test_concurrent_requests_for_one_view_build_its_report_once(client: TestClient) -> None:
    cache: views.ReportCache = client.app.state.report_cache  # type: ignore[attr-defined]
    cache.invalidate()
    misses = cache.misses
    url = f"/api/v1/report?{QUARTER}&team=payments"
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _n: client.get(url), range(4)))
    assert {answer.status_code for answer in answers} == {200}
    assert cache.misses == misses + 1


def test_pull_requests_of_a_monorepo_service_are_the_ones_it_shipped(client: TestClient) -> None:
    # The demo's search monorepo numbers search-api's PRs from 1, search-indexer's from 100001.
    def numbers(name: str) -> set[int]:
        page = client.get(f"/api/v1/pull-requests?{QUARTER}&service={name}&limit=1000").json()
        assert {row["repository"] for row in page["items"]} == {"search"}
        return {row["number"] for row in page["items"]}

    api, indexer = numbers("search-api"), numbers("search-indexer")
    assert api and indexer
    assert max(api) < 100_000 < min(indexer)
