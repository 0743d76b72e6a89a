"""ingest_git end to end on a real repository, on SQLite and PostgreSQL."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from sqlalchemy import select

from dorameter.config import Settings
from dorameter.git_deployments import GitIngestOptions
from dorameter.ingest import ingest_git
from dorameter.store import Store, open_store
from dorameter.store.schema import commits, deployments, shipped
from tests.git.gitrepo import GitRepo


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo.create(tmp_path / "repo")


def ingest(store: Store, repo: GitRepo) -> None:
    ingest_git(store, Settings(database_url=""), GitIngestOptions(repo.path))


def test_a_first_ingest_expands_abbreviated_reverts_and_ships_every_released_commit(
    repo: GitRepo, store_url: str
) -> None:
    first = repo.commit("Add parser")
    repo.commit("Fix parser")
    repo.tag("v1.0.0")
    repo.commit(f"Revert parser\n\nThis reverts commit {first[:9]}.")
    repo.commit("Revert nothing we know\n\nThis reverts commit abcdef0.")
    repo.tag("v1.1.0")
    store = open_store(store_url)
    try:
        ingest(store, repo)

        with store.engine.connect() as connection:
            reverts = set(connection.execute(select(commits.c.reverts)).scalars())
            shipped_rows = connection.execute(select(shipped.c.commit_id)).all()
            attributed = set(connection.execute(select(deployments.c.attributed)).scalars())
    finally:
        store.close()

    assert reverts == {None, first, "abcdef0"}
    assert len(shipped_rows) == 4
    assert attributed == {True}


@pytest.mark.parametrize("enabled", [True, False])
def test_an_ingest_leaves_the_cycle_collector_as_it_found_it(
    repo: GitRepo, tmp_path: Path, enabled: bool
) -> None:
    # Collection is paused while the history is stored; its objects are then moved to the
    # oldest generation (freeze and unfreeze), so nothing may stay frozen afterwards.
    repo.commit("Add parser")
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    was_enabled = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        ingest(store, repo)
        assert gc.isenabled() is enabled
        assert gc.get_freeze_count() == 0
    finally:
        (gc.enable if was_enabled else gc.disable)()
        store.close()
