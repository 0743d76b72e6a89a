"""Schemathesis against /openapi.json: no generated read request gets a 500 or an odd answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dorameter.config import Settings
from dorameter.store import open_store
from dorameter.web import create_app


@pytest.fixture(scope="module")
def read_app(demo_url: str) -> Iterator[FastAPI]:
    store = open_store(demo_url)
    try:
        yield create_app(Settings(database_url=demo_url), store)
    finally:
        store.close()


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_read_endpoints_answer_as_described(read_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", read_app).include(method="GET")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_described(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        answers_as_described()
