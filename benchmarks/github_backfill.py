"""What a GitHub backfill costs in API requests and time, against the fake GitHub API.

    .venv/bin/python benchmarks/github_backfill.py [--pulls 1000] [--repeat 3] [--db URL]

The fake API of the tests (tests/platforms/fake_github.py) is served over real HTTP on
127.0.0.1 with --pulls squash-merged pull requests of three commits and two reviews each, one
CI workflow run per pull request, a production deployment (and its workflow run) every ten, and
an incident issue every fifty; the sync reads it as `dorameter ingest github --deployments
environments,workflow:Deploy` would. Measured, best of --repeat:

- a cold backfill into an empty store: requests by kind and in all, per 1,000 pull requests,
  and the time;
- a second run with nothing new: its requests and time.

For scale, the same backfill over REST alone would list pull requests (1 request per 100) and
then ask for each one's details (size), commits, reviews and timeline (ready for review):
4 requests per pull request, printed as "REST alone" beside the measured figure. The fake
answers instantly, so the times are dorameter's own work (HTTP, JSON, conversion, store),
not GitHub's latency; the request counts are what a real backfill sends.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.platforms.fake_api import serve
from tests.platforms.fake_github import T0, FakeGitHub
from tests.platforms.github_support import REPOSITORY, busy_history

from dorameter.config import Settings
from dorameter.sources.github import GitHubSource, github_api
from dorameter.sources.platform import RepositoryPlan, parse_deployment_spec
from dorameter.store import open_store
from dorameter.sync import SyncReport, Target, sync_repositories

TOKEN = "benchmark-token"


def run_sync(fake: FakeGitHub, url: str, database: str, pulls: int) -> tuple[float, SyncReport]:
    """One sync of the repository as the CLI does it; returns its time and report."""
    api = f"{url}/api/v3"
    source = GitHubSource(github_api(api, TOKEN), api)
    plan = RepositoryPlan(
        repository=REPOSITORY,
        service="shop",
        deployments=parse_deployment_spec("environments,workflow:Deploy"),
        since=T0 - timedelta(days=30),
    )
    store = open_store(database)
    start = time.perf_counter()
    [report] = sync_repositories(store, Settings(database_url=database), source, [Target(plan)])
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed, report


def measure(pulls: int, repeat: int, database: str | None) -> None:
    fake = FakeGitHub(token=TOKEN)
    busy_history(fake, pulls=pulls)
    cold: list[float] = []
    warm: list[float] = []
    with serve(fake) as url, tempfile.TemporaryDirectory() as folder:
        for attempt in range(repeat):
            target = database or f"sqlite:///{Path(folder) / f'backfill-{attempt}.db'}"
            fake.requests.clear()
            elapsed, report = run_sync(fake, url, target, pulls)
            cold.append(elapsed)
            cold_requests = Counter(fake.requests)
            fake.requests.clear()
            elapsed, _ = run_sync(fake, url, target, pulls)
            warm.append(elapsed)
            warm_requests = Counter(fake.requests)
            if database:
                break  # a given database cannot be emptied between runs here
    report_figures(pulls, report, cold_requests, min(cold), warm_requests, min(warm))


def report_figures(
    pulls: int,
    report: SyncReport,
    cold: Counter[str],
    cold_time: float,
    warm: Counter[str],
    warm_time: float,
) -> None:
    total = sum(cold.values())
    per_thousand = total * 1000 / pulls
    rest_alone = pulls * 4 + -(-pulls // 100)
    print(f"## GitHub backfill of {pulls:,} pull requests (fake API over HTTP, best of runs)\n")
    print("| requests | cold backfill | second run, nothing new |")
    print("| --- | ---: | ---: |")
    for kind in sorted(set(cold) | set(warm)):
        print(f"| {kind} | {cold[kind]:,} | {warm[kind]:,} |")
    print(f"| **all** | **{total:,}** | **{sum(warm.values()):,}** |")
    print(f"| time | {cold_time:.2f} s | {warm_time:.2f} s |\n")
    pr_requests = cold["POST graphql:PullRequests"]
    print(
        f"- pull requests with commits and reviews: {pr_requests} GraphQL requests "
        f"({pr_requests * 1000 / pulls:.0f} per 1,000; "
        f"REST alone: {rest_alone * 1000 / pulls:,.0f})"
    )
    print(
        f"- everything: {per_thousand:,.0f} requests per 1,000 pull requests, "
        f"{cold_time * 1000 / pulls:.2f} s per 1,000"
    )
    counts = report.counts
    print(
        f"- stored: {counts.pull_requests.added:,} pull requests, "
        f"{counts.pull_request_commits_added:,} of their commits, "
        f"{counts.reviews.added:,} reviews, "
        f"{counts.commits_added:,} commits, {counts.deployments.added:,} deployments, "
        f"{counts.pipeline_runs.added:,} workflow runs, {counts.incidents.added:,} incidents"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pulls", type=int, default=1000, help="pull requests in the history")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the fastest counts")
    parser.add_argument("--db", help="store URL (default: a new temporary SQLite file per run)")
    options = parser.parse_args()
    measure(options.pulls, options.repeat, options.db)


if __name__ == "__main__":
    main()
