"""ingest_git end to end on a real repository, on SQLite and PostgreSQL."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from sqlalchemy import select

from dorameter.config import Settings
from dorameter.git_deployments import GitIngestOptions
from dorameter.ingest import ingest_git
from dorameter.sources import git as git_source
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


def test_a_tip_that_a_force_push_removed_is_checked_and_the_rest_read_once(
    repo: GitRepo, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.commit("Add parser")
    repo.branch("topic")
    repo.checkout("topic")
    repo.commit("Try an idea")
    repo.checkout("main")
    repo.commit("Fix parser")
    repo.tag("v1.0.0")
    asked: list[list[str]] = []
    real_existing = git_source.existing_commits

    def recording_existing(path: Path, shas: list[str]) -> list[str]:
        asked.append(list(shas))
        return real_existing(path, shas)

    monkeypatch.setattr(git_source, "existing_commits", recording_existing)
    store = open_store(store_url)
    try:
        ingest(store, repo)
        abandoned = repo.git("rev-parse", "topic").strip()
        repo.git("branch", "-D", "topic")
        repo.git("reflog", "expire", "--expire=now", "--all")
        repo.git("gc", "--prune=now", "--quiet")
        repo.commit("Ship it")
        asked.clear()
        ingest(store, repo)
        after_force_push = list(asked)
        asked.clear()
        ingest(store, repo)
        with store.engine.connect() as connection:
            stored = connection.execute(select(commits.c.sha)).scalars().all()
    finally:
        store.close()

    assert after_force_push == [[abandoned]]  # only the tip no ref points at is asked of git
    assert asked == []  # nothing new: every previous tip is a ref tip, so no git cat-file
    assert len(stored) == len(set(stored)) == 4
