"""Errors on pages are HTML in the dashboard's layout; machine paths keep the JSON shape."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dorameter.web.errors import is_machine_path


@pytest.mark.parametrize(
    ("url", "what"),
    [
        ("/nope", "There is no page at /nope."),
        ("/services/does-not-exist", "There is no service named &#39;does-not-exist&#39;."),
        ("/teams/nope", "There is no team named &#39;nope&#39;."),
        ("/static/missing.css", "There is no page at /static/missing.css."),
    ],
)
def test_an_unknown_page_is_an_html_404_with_a_way_back(
    client: TestClient, url: str, what: str
) -> None:
    answer = client.get(url)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert what in answer.text
    assert 'href="/" id="back"' in answer.text
    assert '<link rel="stylesheet" href="/static/dashboard.css">' in answer.text


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/?last=soon", "last"),
        ("/?since=2026-01-01&last=30d", "last"),
        ("/?until=yesterday", "until"),
        ("/?since=2026-11-22&until=2026-11-01", "since"),
        ("/?service=nope", "service"),
        ("/?team=nope", "team"),
        ("/services/ledger?team=checkout", "service"),
        ("/teams/checkout?environment=a%00b", "environment"),
        ("/services/ledger?until=2026-11-22&since=bad", "since"),
    ],
)
def test_a_bad_filter_on_a_page_is_an_html_400_naming_it(
    client: TestClient, url: str, parameter: str
) -> None:
    answer = client.get(url)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert f"The filter <code>{parameter}</code> is not valid:" in answer.text
    assert 'id="back"' in answer.text


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/nope", 404),
        ("/api/v1/report?last=soon", 422),
        ("/api/v1/report?service=nope", 404),
        ("/metrics?last=soon", 422),
        ("/hooks/nope", 404),
        ("/events/nope", 404),
    ],
)
def test_machine_paths_keep_the_json_error_shape(client: TestClient, url: str, status: int) -> None:
    answer = client.get(url)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    assert set(answer.json()["error"]) == {"code", "message"}


def test_a_page_asked_with_another_method_says_so(client: TestClient) -> None:
    answer = client.post("/")
    assert answer.status_code == 405
    assert "/ does not take a POST." in answer.text
    assert answer.headers["allow"] == "GET"
    push = client.get("/api/v1/deployments?limit=0")  # the push API's path, read as a listing
    assert push.json()["error"]["code"] == "invalid_payload"


def test_every_described_endpoint_is_a_machine_path(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert paths and all(is_machine_path(path) for path in paths)
    assert not any(is_machine_path(path) for path in ("/", "/api", "/services/a", "/login"))
