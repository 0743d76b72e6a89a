"""A second, empty store of the same kind, to compare incremental runs with fresh ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dorameter.store import Store
from tests.store.store_support import fresh_store_like


@pytest.fixture
def fresh_store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    """An empty store on the database kind of `store_url` (SQLite file or PostgreSQL)."""
    yield from fresh_store_like(store_url, str(tmp_path))
