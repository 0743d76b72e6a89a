"""What each commit changed: line counts, and the files it touched (for monorepo services).

Both cost far more than commit metadata (architecture.md, "Reading git fast"), so they are
separate, optional passes: a few `git diff-tree --stdin` workers are fed only the commit ids
that still lack the facts, in batches, and the results come back in input order.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from dorameter.errors import InvalidInput
from dorameter.sources.git_log import run_git

if TYPE_CHECKING:
    from concurrent.futures import Future

LineStats = tuple[str, int, int, int]
ChangedPaths = tuple[str, tuple[str, ...]]

_HEX = re.compile(r"[0-9a-fA-F]+")
_FULL_SHA_LENGTHS = (40, 64)  # SHA-1 and SHA-256 repositories
Row = TypeVar("Row")


def line_stats(
    repo: Path, shas: Iterable[str], workers: int = 2, batch: int = 1000
) -> Iterator[LineStats]:
    """Yield (sha, lines added, lines deleted, files changed) for each given full commit sha.

    Choices, because they change the numbers:
    - rename detection is on (-M): a moved file is not a rewrite, it counts as one file and only
      its edited lines count (without it, a move counts every line twice);
    - a merge commit is compared with its first parent (--diff-merges=first-parent), i.e. what
      the merge brought into the branch; that repeats the lines of the merged commits, so sum
      either the merges or the commits they bring in, never both;
    - a root commit is compared with the empty tree; an empty commit yields zeros;
    - a binary file ("-" in numstat) counts as a changed file with 0 lines.
    Commits the repository does not have are skipped (git diff-tree ignores them).
    """
    return _pooled(repo, shas, _numstat, workers, batch)


def changed_paths(
    repo: Path, shas: Iterable[str], workers: int = 2, batch: int = 1000
) -> Iterator[ChangedPaths]:
    """Yield (sha, the paths it changed) for each given full commit sha.

    Rename detection is off: a file moved from one service's folder to another's touches both
    (its old path is deleted, its new one added). A merge commit is compared with its first
    parent, like line_stats; a root commit with the empty tree; an empty commit has no paths.
    """
    return _pooled(repo, shas, _name_only, workers, batch)


def _pooled(
    repo: Path,
    shas: Iterable[str],
    worker: Callable[[Path, list[str]], list[Row]],
    workers: int,
    batch: int,
) -> Iterator[Row]:
    if workers < 1 or batch < 1:
        raise InvalidInput("git diff passes need at least one worker and a batch of at least one")
    # Imported here: the thread pool module costs 15 ms at every start, and most runs read no diffs.
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    batches = _batches(_full_shas(shas), batch)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="diff-tree") as pool:
        pending: deque[Future[list[Row]]] = deque()
        try:
            for ids in batches:
                pending.append(pool.submit(worker, repo, ids))
                if len(pending) >= 2 * workers:  # bounded look-ahead keeps memory flat
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _full_shas(shas: Iterable[str]) -> Iterator[str]:
    for sha in shas:
        if len(sha) not in _FULL_SHA_LENGTHS or not _HEX.fullmatch(sha):
            raise InvalidInput(f"git diff passes need full commit shas, got {sha!r}")
        yield sha.lower()


def _batches(items: Iterator[str], size: int) -> Iterator[list[str]]:
    while chunk := list(islice(items, size)):
        yield chunk


def _diff_tree(repo: Path, shas: list[str], *options: str) -> str:
    return run_git(
        repo,
        "diff-tree",
        "--stdin",
        "-r",
        "--root",
        "--always",  # a header even for empty commits, so every known commit gets a row
        "--diff-merges=first-parent",
        "--no-ext-diff",
        *options,
        stdin="".join(f"{sha}\n" for sha in shas),
    )


def _numstat(repo: Path, shas: list[str]) -> list[LineStats]:
    output = _diff_tree(repo, shas, "--numstat", "-M")
    stats: list[LineStats] = []
    sha = ""
    added = deleted = files = 0
    for line in output.splitlines():
        if "\t" not in line:  # a commit header; numstat lines always have two tabs
            if sha:
                stats.append((sha, added, deleted, files))
            sha, added, deleted, files = line.split(" ", 1)[0], 0, 0, 0
            continue
        plus, minus, _path = line.split("\t", 2)
        files += 1
        if plus != "-":  # "-\t-" is a binary file: a file, but no lines
            added += int(plus)
            deleted += int(minus)
    if sha:
        stats.append((sha, added, deleted, files))
    return stats


def _name_only(repo: Path, shas: list[str]) -> list[ChangedPaths]:
    """Parse `--name-only -z`: a header field (the commit id) then its paths, NUL-separated.

    -z keeps paths verbatim (no quoting of unusual characters). A header is told from a path
    by being one of the requested ids; a path that is exactly a requested 40-hex id cannot
    occur in practice and would only start an empty entry.
    """
    output = _diff_tree(repo, shas, "--name-only", "-z", "--no-renames")
    wanted = set(shas)
    found: list[ChangedPaths] = []
    sha = ""
    paths: list[str] = []
    for field in output.split("\0"):
        if field in wanted and field != sha:
            if sha:
                found.append((sha, tuple(paths)))
            sha, paths = field, []
        elif field and sha:
            paths.append(field)
    if sha:
        found.append((sha, tuple(paths)))
    return found
