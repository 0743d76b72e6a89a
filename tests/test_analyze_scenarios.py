"""End to end: real repositories in temp folders -> `dorameter analyze` -> exact JSON numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dorameter.cli import app
from tests.git.gitrepo import GitRepo

HOUR = 3600.0
PERIOD = ["--since", "2026-03-01", "--until", "2026-03-08"]
runner = CliRunner()


def analyze(repo: GitRepo, store_url: str, *extra: str) -> dict[str, Any]:
    result = runner.invoke(
        app, ["analyze", str(repo.path), "--db", store_url, "--format", "json", *PERIOD, *extra]
    )
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def build_release_history(repo: GitRepo) -> dict[str, str]:
    """A week of releases with a merge, a revert, a hotfix and a rollback (see test below)."""
    shas = {}
    repo.commit("Add parser", author_date="2026-03-02T09:00:00Z")
    shas["c2"] = repo.commit("Add lexer", author_date="2026-03-02T16:30:00+05:30")  # 11:00Z
    repo.tag("v1.0.0", annotated=True, date="2026-03-02T12:00:00Z")
    repo.commit("Refactor", author_date="2026-03-03T09:00:00Z")
    repo.branch("feature")
    repo.commit("Feature part 1", author_date="2026-03-03T10:00:00Z")
    repo.commit("Feature part 2", author_date="2026-03-03T03:00:00-08:00")  # 11:00Z
    repo.checkout("main")
    repo.merge("feature", "Merge branch 'feature'", date="2026-03-04T09:00:00Z")
    repo.tag("v1.1.0", annotated=True, date="2026-03-04T10:00:00Z")
    shas["bug"] = repo.commit(
        "Add bug", author_date="2026-03-05T09:00:00Z", files={"bug.py": "1 / 0\n"}
    )
    repo.tag("v1.2.0", annotated=True, date="2026-03-05T10:00:00Z")
    repo.revert(shas["bug"], date="2026-03-05T11:00:00Z")
    repo.tag("v1.2.1", annotated=True, date="2026-03-05T12:00:00Z")
    repo.commit("Add cache", author_date="2026-03-06T09:00:00Z")
    repo.tag("v1.3.0", annotated=True, date="2026-03-06T10:00:00Z")
    shas["hotfix"] = repo.commit("Hotfix: null check in cache", author_date="2026-03-06T11:00:00Z")
    repo.tag("v1.3.1", annotated=True, date="2026-03-06T13:00:00Z")
    repo.commit("Big redesign", author_date="2026-03-07T09:00:00Z")
    repo.tag("v1.4.0", annotated=True, date="2026-03-07T10:00:00Z")
    repo.tag("v1.3.2", sha=shas["hotfix"], annotated=True, date="2026-03-07T12:00:00Z")
    return shas


def test_release_history_gives_the_hand_computed_figures(tmp_path: Path, store_url: str) -> None:
    repo = GitRepo.create(tmp_path / "shop")
    build_release_history(repo)

    service = analyze(repo, store_url)["services"][0]

    assert service["service"] == "shop"
    # 8 releases in 7 days; v1.3.2 goes back to v1.3.1's commit: a rollback, still a deployment.
    frequency = service["deployment_frequency"]
    assert frequency["count"] == 8
    assert frequency["per_week"] == pytest.approx(8.0)
    assert frequency["per_day"] == pytest.approx(8 / 7)
    assert frequency["band"] == "elite"
    # Lead times (hours): 3, 1 | 25, 24, 23 (merge skipped) | 1 | 1 (revert) | 1 | 2 | 1.
    lead = service["lead_time"]
    assert lead["count"] == 10
    assert lead["merges_skipped"] == 1
    assert lead["median_seconds"] == pytest.approx(1.5 * HOUR)
    assert lead["p75_seconds"] == pytest.approx(18 * HOUR)
    assert lead["p90_seconds"] == pytest.approx(24.1 * HOUR)
    assert lead["band"] == "elite"
    # Failed: v1.2.0 (reverted 2 h later), v1.3.0 (hotfix 3 h later), v1.4.0 (rolled back 2 h
    # later).
    fail = service["change_fail_rate"]
    assert (fail["failed"], fail["total"]) == (3, 8)
    assert fail["value"] == pytest.approx(0.375)
    assert fail["band"] == "low"
    reasons = {
        item["id"].rsplit(":", 1)[1]: item["reasons"] for item in service["failed_deployments"]
    }
    assert reasons == {"v1.2.0": ["reverted"], "v1.3.0": ["hotfixed"], "v1.4.0": ["rolled_back"]}
    recovery = service["recovery_time"]
    assert recovery["count"] == 3
    assert recovery["median_seconds"] == pytest.approx(2 * HOUR)
    assert recovery["band"] == "high"
    # Unplanned: v1.2.1 ships the revert, v1.3.1 the hotfix, v1.3.2 is the rollback.
    rework = service["rework_rate"]
    assert (rework["unplanned"], rework["total"]) == (3, 8)
    assert service["overall_band"] == "low"


def test_second_run_reads_only_what_is_new(tmp_path: Path, store_url: str) -> None:
    repo = GitRepo.create(tmp_path / "shop")
    build_release_history(repo)
    analyze(repo, store_url)

    again = runner.invoke(app, ["ingest", "git", str(repo.path), "--db", store_url])
    assert again.exit_code == 0, again.output
    assert "0 new commits" in again.stderr
    assert "0 new and 0 changed deployments" in again.stderr

    repo.commit("After the period", author_date="2026-03-09T09:00:00Z")
    repo.tag("v1.5.0", annotated=True, date="2026-03-09T10:00:00Z")
    more = runner.invoke(app, ["ingest", "git", str(repo.path), "--db", store_url])
    assert more.exit_code == 0, more.output
    assert "1 new commits" in more.stderr
    assert "1 new and 0 changed deployments" in more.stderr


def test_a_tag_added_later_on_an_old_commit_gives_the_same_result_as_a_fresh_run(
    tmp_path: Path, store_url: str
) -> None:
    repo = GitRepo.create(tmp_path / "lib")
    first = repo.commit("One", author_date="2026-03-02T08:00:00Z")
    repo.commit("Two", author_date="2026-03-03T08:00:00Z")
    repo.tag("v2.0", annotated=True, date="2026-03-03T10:00:00Z")
    before = analyze(repo, store_url)["services"][0]
    assert before["lead_time"]["count"] == 2

    # A lightweight tag on the first commit: a deployment at that commit's date, earlier than
    # v2.0, so v2.0 no longer ships "One". The incremental run must re-attribute.
    repo.tag("v1.0", sha=first)
    incremental = analyze(repo, store_url)["services"][0]
    fresh_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    fresh = analyze(repo, fresh_url)["services"][0]

    assert incremental["lead_time"] == fresh["lead_time"]
    assert incremental["deployment_frequency"]["count"] == 2
    # "One" shipped at its own commit time (0 h) by v1.0, "Two" 2 h later by v2.0.
    assert incremental["lead_time"]["median_seconds"] == pytest.approx(1 * HOUR)


def test_deploy_branch_makes_every_first_parent_commit_a_deployment(
    tmp_path: Path, store_url: str
) -> None:
    repo = GitRepo.create(tmp_path / "api")
    repo.commit("Base", author_date="2026-03-02T08:00:00Z")
    repo.branch("topic")
    repo.commit("Topic work", author_date="2026-03-02T09:00:00Z")
    repo.checkout("main")
    repo.merge("topic", "Merge branch 'topic'", date="2026-03-02T12:00:00Z")

    service = analyze(repo, store_url, "--deploy-branch", "main")["services"][0]

    assert service["deployment_frequency"]["count"] == 2
    # Base deploys itself at 08:00 (0 h); the merge ships "Topic work" 3 h after it was written.
    assert service["lead_time"]["count"] == 2
    assert service["lead_time"]["p90_seconds"] == pytest.approx(2.7 * HOUR)


def test_negative_lead_time_is_excluded_and_noted(tmp_path: Path, store_url: str) -> None:
    repo = GitRepo.create(tmp_path / "skew")
    repo.commit("Fine", author_date="2026-03-02T08:00:00Z")
    repo.commit(
        "From the future", author_date="2026-03-04T08:00:00Z", committer_date="2026-03-02T09:00:00Z"
    )
    repo.tag("v1.0")  # lightweight: finished at the commit date, 2026-03-02T09:00Z

    service = analyze(repo, store_url)["services"][0]

    assert service["lead_time"]["count"] == 1
    assert service["lead_time"]["negative_excluded"] == 1
    assert any("committed after the deployment" in note for note in service["notes"])


def test_history_before_the_backfill_horizon_is_not_lead_time(
    tmp_path: Path, store_url: str
) -> None:
    repo = GitRepo.create(tmp_path / "old")
    repo.commit("Ancient", author_date="2025-01-01T08:00:00Z")
    repo.commit("Recent", author_date="2026-03-02T08:00:00Z")
    repo.tag("v1.0", annotated=True, date="2026-03-02T10:00:00Z")

    service = analyze(repo, store_url)["services"][0]

    assert service["lead_time"]["count"] == 1
    assert service["lead_time"]["median_seconds"] == pytest.approx(2 * HOUR)
    assert service["lead_time"]["before_tracking_excluded"] == 1


def test_no_matching_tag_is_an_error_that_says_how_to_fix_it(
    tmp_path: Path, store_url: str
) -> None:
    repo = GitRepo.create(tmp_path / "untagged")
    repo.commit("Only commit")
    repo.tag("nightly")

    result = runner.invoke(app, ["analyze", str(repo.path), "--db", store_url, *PERIOD])

    assert result.exit_code == 1
    assert "matched no tag" in result.stderr
    assert "nightly" in result.stderr
    assert "--deploy-branch" in result.stderr


def test_line_counts_are_read_only_when_asked_and_only_once(tmp_path: Path, store_url: str) -> None:
    from sqlalchemy import select

    from dorameter.store import open_store
    from dorameter.store.schema import commits

    repo = GitRepo.create(tmp_path / "lines")
    repo.commit("Three lines", files={"a.txt": "1\n2\n3\n"})
    repo.commit("Edit one, add one", files={"a.txt": "1\nTWO\n3\n4\n"})
    repo.tag("v1.0")
    plain = runner.invoke(app, ["ingest", "git", str(repo.path), "--db", store_url])
    assert plain.exit_code == 0, plain.output
    counted = runner.invoke(
        app, ["ingest", "git", str(repo.path), "--db", store_url, "--line-counts"]
    )
    assert counted.exit_code == 0, counted.output
    assert "line counts of 2 commits" in counted.stderr
    again = runner.invoke(
        app, ["ingest", "git", str(repo.path), "--db", store_url, "--line-counts"]
    )
    assert "line counts of" not in again.stderr  # nothing left to count

    store = open_store(store_url)
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(commits.c.subject, commits.c.additions, commits.c.deletions, commits.c.files)
        ).all()
    store.close()
    assert sorted(tuple(row) for row in rows) == [
        ("Edit one, add one", 2, 1, 1),
        ("Three lines", 3, 0, 1),
    ]


def test_deploy_branch_incremental_run_reads_only_new_deploys(
    tmp_path: Path, store_url: str
) -> None:
    repo = GitRepo.create(tmp_path / "web")
    repo.commit("Base", author_date="2026-03-02T08:00:00Z")
    analyze(repo, store_url, "--deploy-branch", "main")
    repo.branch("topic")
    repo.commit("Topic work", author_date="2026-03-03T09:00:00Z")
    repo.checkout("main")
    repo.merge("topic", "Merge branch 'topic'", date="2026-03-03T12:00:00Z")

    result = runner.invoke(
        app, ["ingest", "git", str(repo.path), "--db", store_url, "--deploy-branch", "main"]
    )

    assert result.exit_code == 0, result.output
    assert "1 new and 0 changed deployments (1 read)" in result.stderr
    incremental = analyze(repo, store_url, "--deploy-branch", "main")["services"][0]
    fresh_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    fresh = analyze(repo, fresh_url, "--deploy-branch", "main")["services"][0]
    assert incremental["lead_time"] == fresh["lead_time"]
    assert incremental["deployment_frequency"]["count"] == 2


def test_rolling_forward_after_a_rollback_is_not_another_rollback(
    tmp_path: Path, store_url: str
) -> None:
    repo = GitRepo.create(tmp_path / "app")
    repo.commit("A", author_date="2026-03-02T08:00:00Z")
    good = repo.commit("B", author_date="2026-03-02T09:00:00Z")
    repo.tag("v1.0", annotated=True, date="2026-03-02T10:00:00Z")
    repo.commit("C", author_date="2026-03-03T08:00:00Z")
    suspect = repo.commit("D", author_date="2026-03-03T09:00:00Z")
    repo.tag("v2.0", annotated=True, date="2026-03-03T10:00:00Z")
    analyze(repo, store_url)
    repo.tag("v2.0.1", sha=good, annotated=True, date="2026-03-03T11:00:00Z")  # roll back
    analyze(repo, store_url)
    repo.tag("v2.0.2", sha=suspect, annotated=True, date="2026-03-04T10:00:00Z")  # forward again

    incremental = analyze(repo, store_url)["services"][0]
    fresh = analyze(repo, f"sqlite:///{tmp_path / 'fresh.db'}")["services"][0]

    for service in (incremental, fresh):
        assert service["deployment_frequency"]["count"] == 4
        assert (service["change_fail_rate"]["failed"], service["rework_rate"]["unplanned"]) == (
            1,
            1,
        )
        assert [item["reasons"] for item in service["failed_deployments"]] == [["rolled_back"]]
        assert service["recovery_time"]["median_seconds"] == pytest.approx(1 * HOUR)
