"""How close read_commits comes to git's own speed at printing the same metadata.

    .venv/bin/python benchmarks/git_read.py PATH [--repeat 3]

Times, in one run and best of N each: `git log` with read_commits' own arguments writing to
/dev/null (the floor: git's work alone), then read_commits consuming every commit (git plus
the Python parser, which run concurrently through the pipe). The target is a ratio under 1.5.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from dorameter.sources import git
from dorameter.sources.git_log import git_env, log_arguments


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, object]:
    """The fastest of `repeat` timed calls, with the last call's result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def raw_git_log(repo: Path) -> None:
    """git alone: the same command read_commits runs, output thrown away."""
    subprocess.run(
        ["git", "-C", str(repo), *log_arguments()],
        stdout=subprocess.DEVNULL,
        check=True,
        env=git_env(),
    )


def read_all(repo: Path) -> int:
    """read_commits consuming everything; returns the number of commits."""
    return sum(1 for _ in git.read_commits(repo, "benchmark"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="a local clone (work tree or bare)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, best counts")
    options = parser.parse_args()
    repo = git.open_repository(options.path)

    raw, _ = best_of(options.repeat, lambda: raw_git_log(repo))
    parsed, commits = best_of(options.repeat, lambda: read_all(repo))

    print(f"repository     {repo} ({commits} commits)")
    print(f"git log        {raw:8.3f} s  (best of {options.repeat}, output to /dev/null)")
    print(f"read_commits   {parsed:8.3f} s  (best of {options.repeat}, every Commit built)")
    print(f"ratio          {parsed / raw:8.2f} x  (target: under 1.5)")


if __name__ == "__main__":
    main()
