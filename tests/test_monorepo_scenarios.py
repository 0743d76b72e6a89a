"""Monorepo services end to end: one repository, several services by path prefixes, exact figures.

metrics.md: "For monorepo services, only commits touching the service's path prefixes count for
that service." The history below is built so that each service's numbers can be worked out by
hand (times in hours after each commit).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dorameter.cli import app
from dorameter.config import load_settings
from dorameter.model import Period
from dorameter.report import build_report
from dorameter.sources import git
from dorameter.store import open_store
from tests.git.gitrepo import GitRepo

HOUR = 3600.0
PERIOD = ["--since", "2026-03-01", "--until", "2026-03-08"]
MARCH_WEEK = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC))
runner = CliRunner()

SERVICES_TOML = """
[[services]]
name = "api"
repository = "mono"
paths = ["services/api", "libs/shared/"]
team = "core"

[[services]]
name = "web"
repository = "mono"
paths = ["./services/web"]
"""


def build_monorepo(repo: GitRepo) -> dict[str, str]:
    """Repository-wide version tags: each one deploys every service of the repository."""
    shas = {}
    shas["api1"] = repo.commit(
        "api: endpoint", author_date="2026-03-02T09:00:00Z", files={"services/api/a.py": "1\n"}
    )
    shas["web1"] = repo.commit(
        "web: page", author_date="2026-03-02T10:00:00Z", files={"services/web/w.js": "1\n"}
    )
    repo.tag("v1.0.0", annotated=True, date="2026-03-02T12:00:00Z")
    shas["lib"] = repo.commit(
        "shared: helper", author_date="2026-03-03T09:00:00Z", files={"libs/shared/s.py": "1\n"}
    )
    repo.commit("docs", author_date="2026-03-03T10:00:00Z", files={"README.md": "hi\n"})
    # A look-alike folder: services/web-legacy is not services/web.
    repo.commit(
        "legacy", author_date="2026-03-03T10:30:00Z", files={"services/web-legacy/x": "1\n"}
    )
    repo.tag("v1.1.0", annotated=True, date="2026-03-03T12:00:00Z")
    shas["bug"] = repo.commit(
        "web: bug", author_date="2026-03-04T09:00:00Z", files={"services/web/bug.js": "1\n"}
    )
    repo.tag("v1.2.0", annotated=True, date="2026-03-04T12:00:00Z")
    repo.revert(shas["bug"], date="2026-03-04T13:00:00Z")
    repo.tag("v1.2.1", annotated=True, date="2026-03-04T14:00:00Z")
    return shas


def run(args: list[str]) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--format", "json", *PERIOD])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def by_service(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["service"]: item for item in document["services"]}


def settings_file(tmp_path: Path, text: str = SERVICES_TOML) -> Path:
    path = tmp_path / "dorameter.toml"
    path.write_text(text)
    return path


def test_each_service_counts_only_the_commits_under_its_paths(
    tmp_path: Path, store_url: str
) -> None:
    repo = GitRepo.create(tmp_path / "mono")
    build_monorepo(repo)
    config = settings_file(tmp_path)

    found = by_service(run(["analyze", str(repo.path), "--db", store_url, "--config", str(config)]))

    assert sorted(found) == ["api", "web"]  # the repository itself is not a third service
    api, web = found["api"], found["web"]
    # Every tag deploys both services: four deployments each.
    assert api["deployment_frequency"]["count"] == web["deployment_frequency"]["count"] == 4
    # api: its endpoint (3 h) and the shared library (3 h); the README and web commits are not
    # its changes.
    assert api["lead_time"]["count"] == 2
    assert api["lead_time"]["median_seconds"] == pytest.approx(3 * HOUR)
    # The reverted bug is web's: api's v1.2.0 did not fail and v1.2.1 is no rework for it.
    assert (api["change_fail_rate"]["failed"], api["change_fail_rate"]["total"]) == (0, 4)
    assert api["rework_rate"]["unplanned"] == 0
    # web: page 2 h, bug 3 h, revert 1 h; v1.2.0 reverted within the window.
    assert web["lead_time"]["count"] == 3
    assert web["lead_time"]["median_seconds"] == pytest.approx(2 * HOUR)
    assert (web["change_fail_rate"]["failed"], web["change_fail_rate"]["total"]) == (1, 4)
    assert [item["id"].rsplit(":", 1)[1] for item in web["failed_deployments"]] == ["v1.2.0"]
    assert web["rework_rate"]["unplanned"] == 1
    assert web["recovery_time"]["median_seconds"] == pytest.approx(2 * HOUR)


def test_the_team_of_a_path_service_comes_from_the_settings(tmp_path: Path, store_url: str) -> None:
    repo = GitRepo.create(tmp_path / "mono")
    build_monorepo(repo)
    config = settings_file(tmp_path)
    run(["analyze", str(repo.path), "--db", store_url, "--config", str(config)])

    store = open_store(store_url)
    try:
        teams = store.service_teams()
    finally:
        store.close()

    assert (teams["api"], teams["web"]) == ("core", None)


def test_a_team_counts_a_release_of_its_monorepo_services_once(
    tmp_path: Path, store_url: str
) -> None:
    """Each tag is stored once per path service; the team owning both deployed once per tag."""
    repo = GitRepo.create(tmp_path / "mono")
    build_monorepo(repo)
    config = settings_file(
        tmp_path, SERVICES_TOML.replace('"./services/web"]', '"./services/web"]\nteam = "core"')
    )
    run(["analyze", str(repo.path), "--db", store_url, "--config", str(config)])
    settings = load_settings(config)

    store = open_store(store_url)
    try:
        team = build_report(store, settings, Period(*MARCH_WEEK), team="core").services[0]
    finally:
        store.close()

    assert team.service == "core"
    assert team.deployment_frequency.count == 4  # four tags, not eight stored deployments
    # The five changes of both services once each: 3 h, 3 h (api); 2 h, 3 h, 1 h (web).
    assert team.lead_time.summary.count == 5
    assert team.lead_time.summary.median_seconds == pytest.approx(3 * HOUR)
    # v1.2.0 failed for web, so the team's v1.2.0 failed: one of four.
    assert (team.change_fail_rate.numerator, team.change_fail_rate.total) == (1, 4)


def test_path_option_defines_one_service_without_a_settings_file(
    tmp_path: Path, store_url: str
) -> None:
    repo = GitRepo.create(tmp_path / "mono")
    build_monorepo(repo)
    base = ["analyze", str(repo.path), "--db", store_url, "--service", "web"]

    web = by_service(run([*base, "--path", "services/web"]))["web"]

    assert web["lead_time"]["count"] == 3
    assert (web["change_fail_rate"]["failed"], web["change_fail_rate"]["total"]) == (1, 4)


def test_a_second_run_with_new_commits_equals_a_fresh_run(tmp_path: Path, store_url: str) -> None:
    repo = GitRepo.create(tmp_path / "mono")
    build_monorepo(repo)
    config = settings_file(tmp_path)
    args = ["analyze", str(repo.path), "--config", str(config)]
    run([*args, "--db", store_url])
    repo.commit("docs 2", author_date="2026-03-05T08:00:00Z", files={"README.md": "2\n"})
    repo.commit("api: more", author_date="2026-03-05T09:00:00Z", files={"services/api/b.py": "1\n"})
    repo.tag("v1.3.0", annotated=True, date="2026-03-05T10:00:00Z")
    # A rollback to v1.2.1's commit, which touched only web: api goes back too.
    repo.tag("v1.2.2", sha=repo.git("rev-parse", "v1.2.1^{commit}"), annotated=True,
             date="2026-03-05T11:00:00Z")  # fmt: skip

    again = by_service(run([*args, "--db", store_url]))
    fresh = by_service(run([*args, "--db", f"sqlite:///{tmp_path / 'fresh.db'}"]))

    for name in ("api", "web"):
        for key in ("deployment_frequency", "lead_time", "change_fail_rate", "rework_rate"):
            assert again[name][key] == fresh[name][key], (name, key)
    assert again["api"]["lead_time"]["count"] == 3  # the new api commit, 1 h
    assert again["api"]["change_fail_rate"]["failed"] == 1  # v1.3.0 rolled back
    assert again["web"]["change_fail_rate"]["failed"] == 2  # v1.2.0 reverted, v1.3.0 rolled back


def test_own_tags_and_deploy_branch_per_service(tmp_path: Path, store_url: str) -> None:
    repo = GitRepo.create(tmp_path / "mono")
    repo.commit("base", author_date="2026-03-02T08:00:00Z", files={"README.md": "0\n"})
    for day, folder in ((2, "api"), (3, "web"), (4, "api")):
        repo.branch(f"topic-{day}")
        repo.commit(f"{folder} change", author_date=f"2026-03-0{day}T09:00:00Z",
                    files={f"services/{folder}/f{day}": "1\n"})  # fmt: skip
        repo.checkout("main")
        repo.merge(f"topic-{day}", f"Merge topic-{day}", date=f"2026-03-0{day}T10:00:00Z")
    repo.tag("api/v1.0.0", annotated=True, date="2026-03-04T11:00:00Z")
    config = settings_file(
        tmp_path,
        '[[services]]\nname = "api"\nrepository = "mono"\npaths = ["services/api"]\n'
        'tag_pattern = "api/v*"\n\n'
        '[[services]]\nname = "web"\nrepository = "mono"\npaths = ["services/web"]\n'
        'deploy_branch = "main"\n',
    )

    found = by_service(run(["analyze", str(repo.path), "--db", store_url, "--config", str(config)]))

    # api: one release tag shipping both api changes (50 h and 2 h).
    assert found["api"]["deployment_frequency"]["count"] == 1
    assert found["api"]["lead_time"]["count"] == 2
    # web: only the merge that touched services/web deployed it (1 h after its commit).
    assert found["web"]["deployment_frequency"]["count"] == 1
    assert found["web"]["lead_time"]["median_seconds"] == pytest.approx(1 * HOUR)


def test_changing_a_services_paths_attributes_it_again(tmp_path: Path, store_url: str) -> None:
    repo = GitRepo.create(tmp_path / "mono")
    build_monorepo(repo)
    args = ["analyze", str(repo.path), "--db", store_url, "--service", "web"]
    assert by_service(run([*args, "--path", "services/web"]))["web"]["lead_time"]["count"] == 3

    wider = by_service(run([*args, "--path", "services/web", "--path", "libs/shared"]))

    assert wider["web"]["lead_time"]["count"] == 4  # the shared library now counts for web


def test_path_without_service_is_a_usage_error(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "mono")
    repo.commit("one")
    result = runner.invoke(
        app, ["ingest", "git", str(repo.path), "--db", f"sqlite:///{tmp_path / 's.db'}",
              "--path", "services/api"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--path needs --service" in result.output


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('name = "a"\nrepository = "r"\n', "needs paths"),
        ('name = "a"\nrepository = "r"\npaths = []\n', "paths must be a list"),
        ('name = "a"\nrepository = "r"\npaths = ["../x"]\n', "inside the repository"),
        ('name = "a"\nrepository = "r"\npaths = ["/"]\n', "inside the repository"),
        ('name = "a"\nrepository = "r"\npaths = ["x"]\nfolder = "y"\n', "unknown setting"),
        (
            'name = "a"\nrepository = "r"\npaths = ["x"]\ntag_pattern = "v*"\n'
            'deploy_branch = "main"\n',
            "not both",
        ),
        ('name = "a"\npaths = ["x"]\ndeployments = ["releases"]\n', "needs repository as well"),
        (
            'name = "a"\nrepository = "r"\npaths = ["x"]\ndeployments = ["tag"]\n',
            "entry 1.deployments: unknown deployment definition 'tag'",
        ),
    ],
)
def test_bad_services_settings_name_the_problem(tmp_path: Path, entry: str, message: str) -> None:
    repo = GitRepo.create(tmp_path / "r")
    repo.commit("one")
    config = settings_file(tmp_path, f"[[services]]\n{entry}")
    result = runner.invoke(
        app, ["analyze", str(repo.path), "--db", f"sqlite:///{tmp_path / 's.db'}",
              "--config", str(config)],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_recorded_deployment_of_a_path_service_is_attributed_in_its_monorepo(
    tmp_path: Path, store_url: str
) -> None:
    repo = GitRepo.create(tmp_path / "mono")
    shas = build_monorepo(repo)
    config = settings_file(tmp_path)
    # Deployments come from a pipeline, not from tags: ingest only reads the history.
    ingest = ["ingest", "git", str(repo.path), "--db", store_url, "--config", str(config)]
    assert runner.invoke(app, [*ingest, "--tag-pattern", "no-such-tag-*"]).exit_code == 1
    record = runner.invoke(
        app, ["record", "deployment", "--db", store_url, "--service", "web", "--sha", shas["bug"],
              "--finished-at", "2026-03-04T12:00:00Z"],
    )  # fmt: skip
    assert record.exit_code == 0, record.output

    web = by_service(run(["report", "--db", store_url, "--service", "web"]))["web"]

    # No --repository: the service's one monorepo. It shipped web's page and bug (not the api,
    # library or README commits before them); the first deployment's history counts in full.
    assert web["lead_time"]["count"] == 2
    assert web["lead_time"]["median_seconds"] == pytest.approx((50 + 3) / 2 * HOUR)


def test_commits_stored_without_files_get_them_from_a_clone(tmp_path: Path, store_url: str) -> None:
    repo = GitRepo.create(tmp_path / "mono")
    build_monorepo(repo)
    # A platform sync stores the history under the platform's name, without changed files.
    store = open_store(store_url)
    try:
        repository_id = store.ensure_repository("acme/mono")
        store.insert_commits(repository_id, git.read_commits(repo.path, "acme/mono"))
        assert len(store.commits_without_paths(repository_id)) == 7
    finally:
        store.close()
    config = settings_file(tmp_path, SERVICES_TOML.replace('"mono"', '"acme/mono"'))

    args = ["analyze", str(repo.path), "--service", "acme/mono", "--config", str(config)]
    found = by_service(run([*args, "--db", store_url]))

    assert sorted(found) == ["api", "web"]
    assert found["web"]["lead_time"]["count"] == 3
    assert found["api"]["lead_time"]["count"] == 2
