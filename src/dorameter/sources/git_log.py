"""Read commit history from a local git repository by streaming git's own output.

One `git log` subprocess prints the metadata of every commit; Python parses the pipe as it
arrives, so memory stays flat and the cost stays close to git's own (architecture.md, "Reading
git fast"). Line counts and changed files are separate, optional passes (git_diffs.py)
because they cost 18-51x more.

Only subprocess and the standard library: no GitPython, pygit2 or pydriller.
"""

from __future__ import annotations

import fcntl
import os
import queue
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from dorameter.errors import GitFailed, InvalidInput
from dorameter.model import Commit

# Refs that hold no code history: `git notes` commits and `git stash` entries. Reading them
# would turn "Notes added by 'git notes add'" and "WIP on main" into changes.
NON_HISTORY_REFS = ("refs/notes/", "refs/stash")

# NUL separates fields and (with -z) records. It is the one byte git cannot print inside a
# name, subject or body (git stops a message at NUL), so tabs, newlines, \x1f or any other byte
# in a message cannot shift a field. The body comes last and is only searched for a revert line.
LOG_FORMAT = "%H%x00%P%x00%at%x00%ct%x00%an%x00%ae%x00%s%x00%b"
_FIELDS = 8
_CHUNK = 1 << 18
_READ_AHEAD = 64  # chunks read ahead of the caller: at most 16 MiB in memory
_PIPE_SIZE = 1 << 20  # what git may write before it waits for the reader (Linux: 64 KiB)
_PROGRESS_EVERY = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_REVERT_MARK = b"This reverts commit "
_REVERT_LINE = re.compile(rb"^This reverts commit ([0-9a-fA-F]{4,64})\b", re.MULTILINE)
_HEX = re.compile(r"[0-9a-fA-F]{4,64}")
_FULL_SHA_LENGTHS = (40, 64)  # SHA-1 and SHA-256 repositories
_REPOSITORY_VARIABLES = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
    }
)


def git_env() -> dict[str, str]:
    """The caller's environment minus what would point git elsewhere (a git hook sets GIT_DIR,
    which beats `git -C`), with English messages so errors read the same everywhere."""
    env = {key: value for key, value in os.environ.items() if key not in _REPOSITORY_VARIABLES}
    return env | {"LC_ALL": "C"}


def require_shas(shas: Iterable[str]) -> list[str]:
    """The shas as a list; InvalidInput for anything that is not 4-64 hexadecimal digits, so a
    value from a cursor or a user can never reach git as an option."""
    checked = list(shas)
    for sha in checked:
        if not _HEX.fullmatch(sha):
            raise InvalidInput(f"not a commit sha: {sha!r} (expected 4-64 hexadecimal digits)")
    return checked


def run_git(repo: Path, *args: str, stdin: str | None = None) -> str:
    """Run one git command to completion and return its output; GitFailed when git fails."""
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args],
            input=stdin.encode() if stdin is not None else None,
            capture_output=True,
            check=False,
            env=git_env(),
        )
    except FileNotFoundError as error:
        raise git_missing() from error
    if done.returncode != 0:
        raise GitFailed(failure_message(repo, args, done.stderr))
    return done.stdout.decode("utf-8", "replace")


def git_missing() -> GitFailed:
    """The error for a machine without a git executable on PATH."""
    return GitFailed("git is not installed or not on PATH: install git 2.24 or newer and retry")


def failure_message(repo: Path, args: Sequence[str], stderr: bytes) -> str:
    """One line naming the git command that failed, where, and what git said."""
    said = " ".join(stderr.decode("utf-8", "replace").split()) or "no message"
    return f"`git {args[0]}` failed in {repo}: {said}"


def read_commits(
    repo: Path,
    repository: str,
    exclude: Sequence[str] = (),
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[Commit]:
    """Yield every commit reachable from any branch, tag, remote ref or HEAD, newest first.

    `exclude` holds commit shas already read (the previous run's `read_refs` tips): their
    ancestors are skipped, so an incremental run reads only new commits. Excluded shas the
    repository no longer has (history rewritten and garbage-collected) are ignored.
    `on_progress` receives the count read so far every 1000 commits and once at the end.
    """
    excluded = require_shas(exclude)
    stdin = "".join(f"^{sha}\n" for sha in excluded) if excluded else None
    return _stream_commits(repo, log_arguments(bool(excluded)), stdin, repository, on_progress)


def log_arguments(excluding: bool = False) -> list[str]:
    """The `git log` arguments of read_commits; with `excluding`, ^sha lines follow on stdin
    (not argv, where thousands of them would overflow the command line)."""
    args = [
        "log",
        "-z",
        f"--format={LOG_FORMAT}",
        "--encoding=UTF-8",
        "--no-show-signature",
        *(f"--exclude={ref}*" for ref in NON_HISTORY_REFS),
        "--all",
    ]
    return [*args, "--ignore-missing", "--stdin"] if excluding else args


def _stream_commits(
    repo: Path,
    args: list[str],
    stdin: str | None,
    repository: str,
    on_progress: Callable[[int], None] | None,
) -> Iterator[Commit]:
    count = 0
    with _GitStream(repo, args, stdin) as stream:
        for sha, parents, at, ct, name, email, subject, body in _records(stream.chunks()):
            if len(sha) not in _FULL_SHA_LENGTHS:
                raise GitFailed(f"unexpected `git log` output in {repo} near {sha[:80]!r}")
            reverts = None
            if _REVERT_MARK in body or _REVERT_MARK in subject:
                reverts = _revert_target(subject + b"\n" + body)
            yield Commit(
                repository,
                sha.decode(),
                tuple(parents.decode().split()),
                name.decode("utf-8", "replace"),
                email.decode("utf-8", "replace"),
                authored := utc_from_epoch(at),
                authored if ct == at else utc_from_epoch(ct),  # equal unless rebased or amended
                subject.decode("utf-8", "replace"),
                reverts,
            )
            count += 1
            if on_progress is not None and count % _PROGRESS_EVERY == 0:
                on_progress(count)
    if on_progress is not None and count % _PROGRESS_EVERY != 0:
        on_progress(count)


def _records(chunks: Iterable[bytes]) -> Iterator[list[bytes]]:
    """Split the NUL-separated stream into groups of _FIELDS fields without reading it whole."""
    tail = b""
    fields: list[bytes] = []
    for chunk in chunks:
        parts = (tail + chunk).split(b"\0")
        tail = parts.pop()
        if fields:
            parts = fields + parts
        complete = len(parts) - len(parts) % _FIELDS
        for start in range(0, complete, _FIELDS):
            yield parts[start : start + _FIELDS]
        fields = parts[complete:]
    if fields or tail:
        raise GitFailed("`git log` output ended in the middle of a commit")


def _revert_target(message: bytes) -> str | None:
    """The sha named by the last "This reverts commit <sha>" line, lowercased."""
    found = _REVERT_LINE.findall(message)
    return found[-1].decode().lower() if found else None


def revert_target(message: str) -> str | None:
    """The sha named by the last "This reverts commit <sha>" line of a message, lowercased."""
    return _revert_target(message.encode("utf-8", "replace"))


def utc_from_epoch(epoch: bytes | str) -> datetime:
    """An aware UTC datetime from git's unix seconds (%at, %ct, :unix)."""
    try:
        return datetime.fromtimestamp(int(epoch), UTC)
    except (ValueError, OverflowError, OSError):
        return _EPOCH  # a corrupt date in an old commit must not stop the whole read


class _GitStream:
    """A running git process whose stdout is read as a stream; killed if the reader stops early.

    A thread reads the pipe ahead of the caller (reads release the GIL), so git keeps
    writing while the caller parses and stores what came before: reading and storing overlap
    instead of taking turns. It hands over full chunks: git's output arrives in pieces of a
    few KiB, and a queue of small pieces would fill (and stop git) during one batch insert.
    git flushes stdout after every commit unless told not to (GIT_FLUSH=0): on a pipe that is
    one write, and one wake-up of the reader, per commit. stderr goes to a temporary file, not
    a pipe, so a chatty git can never block on a full pipe while we read stdout.
    """

    def __init__(self, repo: Path, args: Sequence[str], stdin: str | None) -> None:
        self.repo = repo
        self.args = args
        self.stdin = stdin
        self.queue: queue.Queue[bytes] = queue.Queue(maxsize=_READ_AHEAD)
        self.stop = threading.Event()
        self.reader: threading.Thread | None = None

    def __enter__(self) -> _GitStream:
        self.stderr = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(
                ["git", "-C", str(self.repo), *self.args],
                stdin=subprocess.PIPE if self.stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                env=git_env() | {"GIT_FLUSH": "0"},
            )
        except FileNotFoundError as error:
            self.stderr.close()
            raise git_missing() from error
        assert self.process.stdout is not None
        _widen(self.process.stdout)
        if self.stdin is not None and self.process.stdin is not None:
            # git reads all of stdin before it prints anything, so this cannot deadlock.
            with self.process.stdin as pipe:
                pipe.write(self.stdin.encode())
        self.reader = threading.Thread(target=self._pump, name="git-log-reader", daemon=True)
        self.reader.start()
        return self

    def _pump(self) -> None:
        """Move stdout into the queue until end of file (b"" marks the end) or stop."""
        assert self.process.stdout is not None
        stdout = self.process.stdout
        while True:
            try:
                chunk = stdout.read(_CHUNK)  # _CHUNK bytes unless the end comes first
            except OSError:
                chunk = b""
            while not self.stop.is_set():
                try:
                    self.queue.put(chunk, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if not chunk or self.stop.is_set():
                return

    def chunks(self) -> Iterator[bytes]:
        """git's output, chunk by chunk, as the reader thread received it."""
        while chunk := self.queue.get():
            yield chunk

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        killed = error is not None and self.process.poll() is None
        if killed:  # the reader stopped early or failed: git must not block on a full pipe
            self.process.kill()
        self.stop.set()
        if self.reader is not None:
            self.reader.join()  # before the pipe closes: the thread never reads a closed fd
        assert self.process.stdout is not None
        self.process.stdout.close()
        code = self.process.wait()
        self.stderr.seek(0)
        said = self.stderr.read()
        self.stderr.close()
        if code != 0 and not killed:
            raise GitFailed(failure_message(self.repo, self.args, said))


def _widen(pipe: IO[bytes]) -> None:
    """Let git run up to _PIPE_SIZE ahead of the reader, where the system allows it (Linux).

    The reader needs the GIL after every read; while it waits (up to the switch interval, when
    the caller is busy in Python) git fills a default pipe in a few milliseconds and stops.
    """
    resize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if resize is not None:
        with suppress(OSError):  # above /proc/sys/fs/pipe-max-size: keep the default
            fcntl.fcntl(pipe.fileno(), resize, _PIPE_SIZE)
