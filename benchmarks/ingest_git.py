"""How `dorameter ingest git` compares with git's own speed, on any local clone, in one run.

    .venv/bin/python benchmarks/ingest_git.py PATH [--db URL] [--repeat 3] [--line-counts]

Each measurement is the best of --repeat runs, and each is set against a baseline taken in the
same run on the same data:
- raw `git log`: the command read_commits runs, output to /dev/null. The floor: an ingest
  cannot read history faster than git prints it;
- cold ingest: ingest_git into a fresh, empty store (a new one per run, schema already
  created), in-process; then as many instrumented runs, timers around the parts ingest_git
  calls, split the fastest into phases (reading and inserting commits, which overlap: a
  thread parses git's output while the main one inserts; ref tips and tags, deployments,
  attribution);
- incremental ingest with nothing new: ingest_git again on the filled store, in-process, and
  the `dorameter ingest git` command as a user runs it (a new process: Python start-up and
  imports count), with Python's bytecode caches (an untimed first run writes them, to a
  temporary folder) and without any (every module compiled from source at each start);
- attribution alone: every deployment marked unattributed and `shipped` emptied (not timed),
  then Store.attribute_pending; against the obvious alternative, one `git rev-list <tag>
  ^<each earlier tag>` per deployment tag in date order. Both must find the same number of
  shipped commits;
- with --line-counts, also a cold ingest with line counts (git diff-tree, rename detection on).

Goals (from the issue): a cold ingest within 3x raw `git log`; an incremental run with nothing
new under 0.5 s.

The store is a temporary SQLite file unless --db gives one:
- sqlite:///FILE: FILE must not exist yet; it is created, deleted between cold runs and left
  in place at the end;
- postgresql://...: the database is created if the server lacks it, must hold nothing but
  dorameter's tables (the script refuses otherwise), and those tables are dropped before each
  cold run; a throwaway database is the intended use.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import sqlalchemy
from sqlalchemy import MetaData, create_engine, delete, func, inspect, select, text, update
from sqlalchemy.engine import make_url

import dorameter
from dorameter.config import Settings
from dorameter.errors import GitFailed
from dorameter.git_deployments import GitIngestOptions, repository_name
from dorameter.ingest import IngestReport, ingest_git
from dorameter.sources import git
from dorameter.sources.git_log import git_env, log_arguments, run_git
from dorameter.store import open_store
from dorameter.store.database import create_store_engine
from dorameter.store.schema import deployments, metadata, shipped

# The command's own start-up path: the commands imported with the collector off, then frozen.
STARTUP_IMPORTS = "from dorameter.cli import _commands_imported_frozen as f; f()"
COLD_GOAL = 3.0  # cold ingest within this many times raw `git log`
INCREMENTAL_GOAL = 0.5  # seconds, an incremental run with nothing new

T = TypeVar("T")


def best_of(
    repeat: int, run: Callable[[], T], before: Callable[[], None] | None = None
) -> Timed[T]:
    """The fastest of `repeat` timed calls (with its result); `before` runs untimed each time."""
    best: Timed[T] | None = None
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - start
        if best is None or seconds < best.seconds:
            best = Timed(seconds, result)
    assert best is not None
    return best


@dataclass(frozen=True)
class Timed(Generic[T]):
    """A duration and what the timed call returned."""

    seconds: float
    result: T


# The stores


class Stores:
    """Fresh, empty stores for the cold runs, and the last one for everything after them."""

    def __init__(self, url: str | None, scratch: Path) -> None:
        self.scratch = scratch
        self.url = url or f"sqlite:///{scratch / 'benchmark.db'}"
        self.given = url is not None
        parsed = make_url(self.url)
        self.backend = parsed.get_backend_name()
        if self.backend == "sqlite":
            if not parsed.database or parsed.database == ":memory:":
                raise SystemExit("give a SQLite file (sqlite:///FILE), not an in-memory database")
            self.file = Path(parsed.database).expanduser().resolve()
            if self.given and self.file.exists():
                raise SystemExit(f"{self.file} exists: give a new file, it is deleted between runs")
        elif self.backend == "postgresql":
            _create_postgres_database(self.url)
            self._refuse_foreign_tables()
        else:
            raise SystemExit(f"unsupported database {self.backend!r}: use sqlite or postgresql")

    def describe(self) -> str:
        if self.backend == "sqlite":
            where = "temporary file" if not self.given else str(self.file)
            return f"SQLite {sqlite3.sqlite_version} ({where})"
        engine = create_store_engine(self.url)
        try:
            with engine.connect() as connection:
                version = connection.execute(text("SHOW server_version")).scalar()
        finally:
            engine.dispose()
        database = make_url(self.url).database
        return f"PostgreSQL {version} (database {database}, tables dropped between cold runs)"

    def empty(self) -> None:
        """Remove every trace of the previous store."""
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.file}{suffix}").unlink(missing_ok=True)
            return
        engine = create_store_engine(self.url)
        try:
            # The tables as they are, not as this code defines them: a store left by an older
            # schema may have other foreign keys, and they decide the order of the drops.
            found = MetaData()
            found.reflect(engine)
            found.drop_all(engine)
        finally:
            engine.dispose()

    def _refuse_foreign_tables(self) -> None:
        engine = create_store_engine(self.url)
        try:
            tables = set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
        foreign = tables - set(metadata.tables) - {"alembic_version"}
        if foreign:
            raise SystemExit(
                f"the database holds tables that are not dorameter's ({', '.join(sorted(foreign))})"
                ": give an empty database, as its tables are dropped between runs"
            )


def _create_postgres_database(url: str) -> None:
    """CREATE DATABASE when the server lacks the one the URL names (via its `postgres` db)."""
    target = make_url(url)
    name = target.database
    if not name:
        raise SystemExit("the PostgreSQL URL names no database")
    maintenance = create_store_engine(url).url.set(database="postgres")
    engine = create_engine(maintenance, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists is None:
                quoted = connection.dialect.identifier_preparer.quote(name)
                connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        engine.dispose()


# The measurements


def raw_git_log(repo: Path) -> None:
    """git alone: the command read_commits runs, output thrown away."""
    subprocess.run(
        ["git", "-C", str(repo), *log_arguments()],
        stdout=subprocess.DEVNULL,
        check=True,
        env=git_env(),
    )


def ingest(url: str, repo: Path, line_counts: bool = False) -> IngestReport:
    """ingest_git as the CLI calls it, without the progress display."""
    store = open_store(url)
    try:
        options = GitIngestOptions(repo, line_counts=line_counts)
        return ingest_git(store, Settings(database_url=url), options)
    finally:
        store.close()


def prepare_cold(stores: Stores) -> None:
    """An empty store with its schema: migrations run once per database, not per ingest."""
    stores.empty()
    open_store(stores.url).close()  # schema created outside the timing: once per database


@dataclass
class Phases:
    """Seconds spent in each part of one instrumented ingest_git."""

    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    total: float = 0.0

    def rows(self) -> list[tuple[str, float]]:
        parts = [
            ("read and insert commits (git log, parse and insert overlap)", self.seconds["insert"]),
            ("read ref tips and tags (one git for-each-ref)", self.seconds["refs"]),
            ("store deployments", self.seconds["deployments"]),
            ("attribution (attribute_pending)", self.seconds["attribute"]),
        ]
        if self.seconds["lines"]:
            parts.insert(1, ("line counts (git diff-tree)", self.seconds["lines"]))
        named = sum(seconds for _, seconds in parts)
        parts.append(("the rest (cursor, store checks, changed files)", self.total - named))
        # Parts of the first row, not added up: the reading thread runs beside the inserts.
        parts.insert(
            1, ("(part of it) the reading thread in git log + parse", self.seconds["read"])
        )
        if self.seconds["short reverts"]:
            label = "(part of it) resolving abbreviated revert shas"
            parts.insert(2, (label, self.seconds["short reverts"]))
        return parts


def instrumented(stores: Stores, repo: Path) -> Phases:
    """A cold run with timers around the parts ingest_git calls; originals put back after."""
    phases = Phases()
    store = open_store(stores.url)
    originals: dict[str, Any] = {"read_commits": git.read_commits, "read_refs": git.read_refs}

    def timed(function: Callable[..., T], phase: str) -> Callable[..., T]:
        def run(*args: Any, **kwargs: Any) -> T:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases.seconds[phase] += time.perf_counter() - start

        return run

    def timed_reading(*args: Any, **kwargs: Any) -> Iterator[Any]:
        commits = originals["read_commits"](*args, **kwargs)
        while True:
            start = time.perf_counter()
            try:
                commit = next(commits)
            except StopIteration:
                phases.seconds["read"] += time.perf_counter() - start
                return
            phases.seconds["read"] += time.perf_counter() - start
            yield commit

    git.read_commits = timed_reading
    git.read_refs = timed(originals["read_refs"], "refs")
    for method, phase in (
        ("insert_commits", "insert"),
        ("_resolve_short_reverts", "short reverts"),  # a part of insert_commits
        ("set_line_counts", "lines"),
        ("upsert_deployments", "deployments"),
        ("attribute_pending", "attribute"),
    ):
        if hasattr(store, method):  # a private one may be renamed: its row then goes
            setattr(store, method, timed(getattr(store, method), phase))
    try:
        start = time.perf_counter()
        ingest_git(store, Settings(database_url=stores.url), GitIngestOptions(repo))
        phases.total = time.perf_counter() - start
    finally:
        git.read_commits = originals["read_commits"]
        git.read_refs = originals["read_refs"]
        store.close()
    return phases


def run_command(command: list[str], cwd: Path, bytecode: Path | None) -> None:
    """A command as a user runs it (`dorameter ingest git`), in a new process.

    Python's compiled bytecode goes to (and is read from) the folder `bytecode` only, never the
    installed packages; None: no bytecode at all, every module compiled from source each time,
    as with PYTHONDONTWRITEBYTECODE=1 on an install that was never byte-compiled (`uv sync`
    does not byte-compile unless asked).
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DORAMETER_") and key != "PYTHONDONTWRITEBYTECODE"
    }
    env["PYTHONPYCACHEPREFIX"] = str(bytecode or cwd / "no-bytecode")
    if bytecode is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")


def reset_attribution(url: str) -> None:
    """Every deployment back to unattributed and nothing shipped, as before a first run."""
    store = open_store(url)
    try:
        with store.engine.begin() as connection:
            connection.execute(update(deployments).values(attributed=False))
            connection.execute(delete(shipped))
    finally:
        store.close()


def attribute(url: str) -> int:
    """Store.attribute_pending on a reset store; returns the rows of `shipped` it wrote."""
    store = open_store(url)
    try:
        store.attribute_pending(Settings(database_url=url).backfill_horizon)
        with store.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(shipped)).scalar_one())
    finally:
        store.close()


def deployment_tags(repo: Path) -> list[str]:
    """The commit of each deployment ingest_git finds (version tags), in its date order."""
    name = repository_name(repo)
    found = git.deployments_from_tags(git.read_tags(repo), git.tag_matcher(), name, name)
    return [deployment.sha for deployment in found]


def rev_list_per_tag(repo: Path, tags: list[str]) -> int:
    """The obvious alternative: `git rev-list <tag> ^<each earlier tag>` for each deployment
    tag, oldest first (revisions on stdin: thousands of tags overflow a command line).
    Returns the number of commits listed, i.e. attributed."""
    total = 0
    for index, sha in enumerate(tags):
        revisions = "".join(f"{line}\n" for line in [sha, *(f"^{e}" for e in tags[:index])])
        listed = subprocess.run(
            ["git", "-C", str(repo), "rev-list", "--stdin"],
            input=revisions.encode(),
            capture_output=True,
            check=True,
            env=git_env(),
        ).stdout
        total += listed.count(b"\n")
    return total


@contextmanager
def scratch_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="dorameter-bench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# The report


@dataclass(frozen=True)
class Results:
    """Everything one run measured."""

    repo: Path
    store: str
    repeat: int
    raw: Timed[None]
    cold: Timed[IngestReport]
    phases: Phases
    lines: Timed[IngestReport] | None
    incremental: Timed[IngestReport]
    command: Timed[None]
    startup: Timed[None]
    uncompiled: Timed[None]
    attribution: Timed[int]
    rev_list: Timed[int]
    tags: int
    deployments: int
    load_before: str


def measure(repo: Path, url: str | None, repeat: int, line_counts: bool) -> Results:
    """Every measurement, in order, on one clone and one store."""
    dorameter = shutil.which("dorameter", path=str(Path(sys.executable).parent))
    if dorameter is None:
        raise SystemExit(f"no dorameter command beside {sys.executable}: run scripts/setup.sh")
    load_before = load()
    with scratch_folder() as scratch:
        stores = Stores(url, scratch)
        kind = stores.describe()
        say(f"raw git log of {repo}")
        raw = best_of(repeat, lambda: raw_git_log(repo))

        def fresh() -> None:
            prepare_cold(stores)

        say(f"cold ingests into {kind}")
        cold = best_of(repeat, lambda: ingest(stores.url, repo), before=fresh)
        lines = None
        if line_counts:
            say("cold ingests with line counts")
            lines = best_of(repeat, lambda: ingest(stores.url, repo, True), before=fresh)
        say("instrumented cold ingests for the phases")
        phases = best_of(repeat, lambda: instrumented(stores, repo), before=fresh).result
        say("incremental ingests, in-process then as a command")
        incremental = best_of(repeat, lambda: ingest(stores.url, repo))
        command = [dorameter, "ingest", "git", str(repo), "--db", stores.url]
        cache = scratch / "bytecode"
        run_command(command, scratch, cache)  # untimed: writes the bytecode caches
        process = best_of(repeat, lambda: run_command(command, scratch, cache))
        # What the command imports before it parses its arguments (`dorameter.cli` alone
        # defers the commands to main()).
        imports = [sys.executable, "-c", STARTUP_IMPORTS]
        startup = best_of(repeat, lambda: run_command(imports, scratch, cache))
        uncompiled = best_of(repeat, lambda: run_command(command, scratch, None))
        say("attribution, then one git rev-list per tag")
        attribution = best_of(
            repeat, lambda: attribute(stores.url), before=lambda: reset_attribution(stores.url)
        )
        tags = deployment_tags(repo)
        rev_list = best_of(repeat, lambda: rev_list_per_tag(repo, tags))
    if incremental.result.commits_added:
        raise SystemExit("the incremental run found new commits: is someone writing to the clone?")
    return Results(
        repo=repo,
        store=kind,
        repeat=repeat,
        raw=raw,
        cold=cold,
        phases=phases,
        lines=lines,
        incremental=incremental,
        command=process,
        startup=startup,
        uncompiled=uncompiled,
        attribution=attribution,
        rev_list=rev_list,
        tags=len(git.read_tags(repo)),
        deployments=len(tags),
        load_before=load_before,
    )


def report(results: Results) -> bool:
    """Print the figures as a Markdown table and the goals; False when the sanity check fails."""
    floor = results.raw.seconds
    rows: list[tuple[str, float]] = [
        ("raw `git log` (the floor)", floor),
        ("cold ingest_git (in-process)", results.cold.seconds),
        *((f"- {name}", seconds) for name, seconds in results.phases.rows()),
        ("- (the fastest instrumented run, in all)", results.phases.total),
    ]
    if results.lines is not None:
        rows.append(("cold ingest_git with line counts", results.lines.seconds))
    rows += [
        ("incremental ingest_git, nothing new (in-process)", results.incremental.seconds),
        ("incremental `dorameter ingest git`, nothing new", results.command.seconds),
        ("- of which Python start-up and importing the commands", results.startup.seconds),
        ("- the same command without bytecode caches", results.uncompiled.seconds),
        ("attribution alone (attribute_pending)", results.attribution.seconds),
        (f"`git rev-list` per tag ({results.deployments} processes)", results.rev_list.seconds),
    ]
    commits = results.cold.result.commits_added
    print(
        f"repository: {results.repo}: {commits:,} commits, {results.tags} tags, "
        f"{results.deployments} of them deployments (version tags)"
    )
    print(f"store: {results.store}")
    print(f"dorameter: {dorameter_source()}")
    print(
        f"software: {platform.python_implementation()} {platform.python_version()}, "
        f"{run_git(results.repo, 'version').strip()}, SQLAlchemy {sqlalchemy.__version__}"
    )
    print(f"load average: {results.load_before} before, {load()} after")
    print(f"best of {results.repeat} each\n")
    print("| measurement | seconds | vs raw git log |")
    print("| --- | ---: | ---: |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.3f} | {seconds / floor:.2f}x |")
    print()
    cold = results.cold.seconds / floor
    print(
        f"- cold ingest: {cold:.2f}x raw git log (goal: at most {COLD_GOAL:.0f}x): "
        f"{verdict(cold <= COLD_GOAL)}"
    )
    for label, run in (
        ("in-process", results.incremental),
        ("as a command", results.command),
        ("as a command without bytecode caches", results.uncompiled),
    ):
        print(
            f"- incremental, nothing new, {label}: {run.seconds:.3f} s "
            f"(goal: under {INCREMENTAL_GOAL} s): {verdict(run.seconds < INCREMENTAL_GOAL)}"
        )
    ours, theirs = results.attribution, results.rev_list
    print(
        f"- attribution: {ours.seconds / theirs.seconds:.2f}x the time of one `git rev-list` "
        f"per tag ({theirs.seconds / ours.seconds:.1f} times faster)"
    )
    same = ours.result == theirs.result
    print(
        f"- sanity: attribute_pending shipped {ours.result:,} commits, git rev-list listed "
        f"{theirs.result:,}: {'the same' if same else 'DIFFERENT'}"
    )
    return same


def dorameter_source() -> str:
    """Where the measured code comes from, with its commit when that is a git checkout."""
    package = Path(dorameter.__file__).parent
    try:
        commit = run_git(package, "rev-parse", "--short", "HEAD").strip()
        changed = run_git(package, "status", "--porcelain", "--", ".").strip()
    except GitFailed:
        return str(package)
    return f"{package} at commit {commit}" + (", with uncommitted changes" if changed else "")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min) on {os.cpu_count()} CPUs"


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def say(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("path", type=Path, help="a local clone (work tree or bare)")
    parser.add_argument("--db", help="store URL (default: a temporary SQLite file); see above")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, best counts")
    parser.add_argument(
        "--line-counts", action="store_true", help="also time cold ingests with line counts"
    )
    options = parser.parse_args()
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    repo = git.open_repository(options.path)
    results = measure(repo, options.db, options.repeat, options.line_counts)
    if not report(results):
        sys.exit(1)


if __name__ == "__main__":
    main()
