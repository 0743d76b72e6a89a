"""What monorepo services cost a git ingest: reading each commit's changed files, on any clone.

    .venv/bin/python benchmarks/monorepo_paths.py PATH --path src --path docs [--repeat 3]

Each --path makes one path-defined service (named after the folder). In one run, best of
--repeat each:
- raw `git log --name-only`: one git process printing every commit's changed files (what a
  Python user would otherwise run), output to /dev/null: the floor for reading them;
- changed_paths: dorameter's two `git diff-tree --stdin --name-only` workers over every commit,
  parsed into (sha, paths);
- cold ingest without services (the repository as one service) and cold ingest with the path
  services (files read, stored, and every service attributed by path), each into a fresh
  temporary SQLite store.
Prints each time and its ratio to the raw `git log --name-only`, and the shipped commits per
service (every path service ships a subset of the whole repository's commits).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from dorameter.config import Settings
from dorameter.git_deployments import GitIngestOptions, repository_name
from dorameter.ingest import ingest_git
from dorameter.monorepo import PathPrefixes, ServiceEntry
from dorameter.sources import git
from dorameter.store import open_store


def best(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def raw_name_only(repo: Path) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "log", "--all", "--format=%H", "--name-only", "--no-renames",
         "--diff-merges=first-parent"],
        stdout=subprocess.DEVNULL,
        check=True,
    )  # fmt: skip


def all_shas(repo: Path) -> list[str]:
    output = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--all"], capture_output=True, check=True, text=True
    )
    return output.stdout.split()


def cold_ingest(repo: Path, services: tuple[ServiceEntry, ...]) -> dict[str, int]:
    """A cold ingest into a fresh store; returns the shipped commits per service."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        store = open_store(url)
        try:
            settings = Settings(database_url=url, services=services)
            ingest_git(store, settings, GitIngestOptions(repo))
            with store.engine.connect() as connection:
                rows = connection.execute(
                    text(
                        "SELECT s.name, count(*) FROM shipped sh JOIN deployments d "
                        "ON d.id = sh.deployment_id JOIN services s ON s.id = d.service_id "
                        "GROUP BY s.name"
                    )
                ).all()
        finally:
            store.close()
    return {name: count for name, count in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--path", dest="prefixes", action="append", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    repo = git.open_repository(args.path)
    name = repository_name(repo)
    services = tuple(
        ServiceEntry(prefix.strip("/").replace("/", "-"), name, PathPrefixes((prefix,)))
        for prefix in args.prefixes
    )
    shas = all_shas(repo)
    print(f"{repo}: {len(shas):,} commits; load average {os.getloadavg()[0]:.1f}")
    raw = best(args.repeat, lambda: raw_name_only(repo))
    paths = best(args.repeat, lambda: sum(1 for _ in git.changed_paths(repo, shas)))
    shipped: dict[str, dict[str, int]] = {}
    whole = best(args.repeat, lambda: shipped.__setitem__("whole", cold_ingest(repo, ())))
    split = best(args.repeat, lambda: shipped.__setitem__("split", cold_ingest(repo, services)))
    print("| measurement | seconds | ratio to raw `git log --name-only` |")
    print("|---|---:|---:|")
    for label, seconds in (
        ("raw `git log --all --name-only`", raw),
        ("changed_paths (2 diff-tree workers)", paths),
        ("cold ingest, the repository as one service", whole),
        (f"cold ingest, {len(services)} path services", split),
    ):
        print(f"| {label} | {seconds:.3f} | {seconds / raw:.2f} |")
    print(f"extra cost of the path services: {split / whole:.2f}x the plain cold ingest")
    print(f"shipped commits: {shipped['whole']} | {shipped['split']}")


if __name__ == "__main__":
    main()
