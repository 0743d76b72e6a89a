"""The OpenAPI description: every read endpoint it lists answers as it says, errors included."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.dashboard.conftest import QUARTER


def read_operations(client: TestClient) -> list[tuple[str, dict[str, Any]]]:
    spec = client.get("/openapi.json").json()
    return [
        (path, operation["get"])
        for path, operation in spec["paths"].items()
        if "get" in operation and "{" not in path
    ]


def test_the_description_lists_the_read_api(client: TestClient) -> None:
    paths = {path for path, _operation in read_operations(client)}
    assert {
        "/api/v1/report",
        "/api/v1/services",
        "/api/v1/teams",
        "/api/v1/deployments",
        "/api/v1/changes",
        "/api/v1/pull-requests",
        "/api/v1/incidents",
        "/metrics",
    } <= paths


def test_every_read_endpoint_answers_as_described(client: TestClient) -> None:
    for path, operation in read_operations(client):
        answer = client.get(f"{path}?{QUARTER}")
        assert str(answer.status_code) in operation["responses"], path
        documented = operation["responses"][str(answer.status_code)].get("content", {})
        kind = answer.headers["content-type"].split(";")[0]
        if documented:
            assert any(media.split(";")[0] == kind for media in documented), (path, kind)


def test_every_documented_error_has_the_one_shape(client: TestClient) -> None:
    for path, operation in read_operations(client):
        if not path.startswith("/api/v1/") and path != "/metrics":
            continue
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        if "last" not in names:
            continue
        answer = client.get(f"{path}?last=never")
        assert answer.status_code == 422, path
        assert "422" in operation["responses"], path
        assert set(answer.json()["error"]) == {"code", "message"}


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_no_page_loads_from_a_cdn(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404
