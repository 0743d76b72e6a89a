"""Named locks: a second holder is refused while the first holds, on both databases."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from dorameter.cli import app
from dorameter.store import Store, open_store
from tests.git.gitrepo import GitRepo


def test_a_held_lock_is_refused_to_another_store_object_until_released(
    store: Store, store_url: str
) -> None:
    other = open_store(store_url)  # like another process: its own connections
    try:
        with (
            store.exclusive("git:shop") as first,
            other.exclusive("git:shop") as second,
            other.exclusive("git:web") as third,
        ):
            assert (first, second, third) == (True, False, True)
        with other.exclusive("git:shop") as after:
            assert after is True
    finally:
        other.close()


def test_an_ingest_of_a_repository_being_ingested_elsewhere_says_so(
    store: Store, store_url: str, tmp_path: Path
) -> None:
    repo = GitRepo.create(tmp_path / "shop")
    repo.commit("One")
    repo.tag("v1.0")

    with store.exclusive("git:shop"):
        result = CliRunner().invoke(app, ["ingest", "git", str(repo.path), "--db", store_url])

    assert result.exit_code == 1
    assert "another dorameter process is ingesting 'shop' right now" in result.stderr
    assert (
        CliRunner().invoke(app, ["ingest", "git", str(repo.path), "--db", store_url]).exit_code == 0
    )
