"""ingest_git end to end on a real repository, on SQLite and PostgreSQL."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from dorameter.config import Settings
from dorameter.errors import GitFailed
from dorameter.git_deployments import GitIngestOptions
from dorameter.ingest import ingest_git
from dorameter.model import Commit
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


def test_git_failing_mid_history_fails_the_ingest_and_stores_nothing_of_it(
    repo: GitRepo, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The history is parsed in a thread of its own (read_ahead): git's failure must still
    # reach the caller, roll back the commits of the unfinished transaction and leave no
    # cursor, so the next run reads everything again.
    for number in range(5):
        repo.commit(f"Change {number}")
    repo.tag("v1.0.0")
    real_read = git_source.read_commits

    def failing_read(*args: object, **kwargs: object) -> Iterator[Commit]:
        commits_read = real_read(*args, **kwargs)  # type: ignore[arg-type]
        yield next(commits_read)
        yield next(commits_read)
        commits_read.close()
        raise GitFailed("`git log` failed in repo: fatal: bad object")

    threads_before = threading.active_count()
    store = open_store(store_url)
    try:
        monkeypatch.setattr(git_source, "read_commits", failing_read)
        with pytest.raises(GitFailed, match="bad object"):
            ingest(store, repo)
        assert threading.active_count() == threads_before
        assert store.count_rows()["commits"] == 0
        assert store.read_cursor("git", "repo") is None

        monkeypatch.setattr(git_source, "read_commits", real_read)
        ingest(store, repo)
        assert store.count_rows()["commits"] == 5
        assert store.read_cursor("git", "repo") is not None  # the name checked above
    finally:
        store.close()
