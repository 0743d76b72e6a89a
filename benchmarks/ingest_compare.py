"""Two dorameter source trees, cold ingests of one repository, alternated, in one run.

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/ingest_compare.py PATH --before /tmp/before/src \\
        [--after src] [--runs 6] [--db URL]

A change that saves 5% cannot be seen in two separate `ingest_git.py` runs on a shared machine:
the load moves more than that between them. Here each cold ingest runs in a new Python process
whose PYTHONPATH points at one tree, the trees take turns (before, after, before, ...), and each
process times only ingest_git into an empty store, so start-up and imports do not count. The
store is emptied before every run as `ingest_git.py` does it (same URL rules: a temporary SQLite
file by default, or a throwaway PostgreSQL database). Prints every time, best and median, and
the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Runs in the child: empty the store, ingest once, print the seconds as JSON.
_CHILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {benchmarks!r})
import dorameter
import ingest_git as bench
stores = bench.Stores({url!r}, Path({scratch!r}))
bench.prepare_cold(stores)
start = time.perf_counter()
summary = bench.ingest(stores.url, Path({repo!r}))
print(json.dumps({{"seconds": time.perf_counter() - start, "commits": summary.commits_added,
                  "attributed": summary.attributed, "source": dorameter.__file__}}))
"""


def cold_run(tree: Path, repo: Path, url: str | None, scratch: Path) -> dict[str, object]:
    """One cold ingest in a new process that imports dorameter from `tree`."""
    code = _CHILD.format(benchmarks=str(HERE), url=url, scratch=str(scratch), repo=str(repo))
    environment = os.environ | {"PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"a run with {tree} failed:\n{done.stderr}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", type=Path, help="a local clone (work tree or bare)")
    parser.add_argument("--before", type=Path, required=True, help="the src folder to compare")
    parser.add_argument("--after", type=Path, default=HERE.parent / "src", help="default: src")
    parser.add_argument("--runs", type=int, default=6, help="cold ingests of each tree")
    parser.add_argument("--db", help="store URL (default: a temporary SQLite file)")
    arguments = parser.parse_args()
    trees = {"before": arguments.before.resolve(), "after": arguments.after.resolve()}
    for name, tree in trees.items():
        if not (tree / "dorameter" / "__init__.py").is_file():
            raise SystemExit(f"--{name} {tree}: no dorameter package there (give its src folder)")
    times: dict[str, list[float]] = {name: [] for name in trees}
    shipped: dict[str, set[tuple[object, object]]] = {name: set() for name in trees}
    with tempfile.TemporaryDirectory(prefix="dorameter-compare-") as scratch:
        for run in range(arguments.runs):
            for name, tree in trees.items():
                result = cold_run(tree, arguments.path, arguments.db, Path(scratch))
                times[name].append(float(str(result["seconds"])))
                shipped[name].add((result["commits"], result["attributed"]))
                print(f"run {run + 1} {name}: {times[name][-1]:.3f} s", file=sys.stderr)
    for name, seconds in times.items():
        listed = " ".join(f"{value:.3f}" for value in seconds)
        print(
            f"{name} ({trees[name]}): {listed}; best {min(seconds):.3f} s, "
            f"median {statistics.median(seconds):.3f} s; commits and deployments attributed "
            f"{sorted(shipped[name])}"
        )
    ratio = statistics.median(times["after"]) / statistics.median(times["before"])
    print(f"after / before, medians: {ratio:.3f}")


if __name__ == "__main__":
    main()
