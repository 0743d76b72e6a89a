"""Build real git repositories with fixed dates for tests.

    repo = GitRepo.create(tmp_path / "repo")
    first = repo.commit("Add parser", author_date="2026-01-05T10:00:00+05:30")
    repo.branch("feature")                      # create and switch to it
    repo.commit("Fix edge case", files={"a.py": "print(1)\\n"})
    repo.checkout("main")
    merge = repo.merge("feature", "Merge feature", date=datetime(2026, 1, 6, tzinfo=UTC))
    repo.tag("v1.0.0", annotated=True, date="2026-01-06T12:00:00Z")
    repo.revert(first, date="2026-01-07T09:00:00-08:00")

Dates are aware datetimes or any string git accepts; a commit without a date gets the next tick
of a clock that starts at 2026-01-01T00:00:00Z and advances one hour per commit, so histories are
reproducible. git runs without the user's global or system configuration.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

GitDate = datetime | str
FileContent = str | bytes | None  # None deletes the file

START = datetime(2026, 1, 1, tzinfo=UTC)
AUTHOR = ("Ada Lovelace", "ada@example.com")


class GitRepo:
    """A git repository on disk that tests grow one commit at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._clock = START

    @classmethod
    def create(cls, path: Path, branch: str = "main", bare: bool = False) -> GitRepo:
        """A new empty repository at `path` whose first branch is `branch`."""
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        repo.git("init", "--quiet", f"--initial-branch={branch}", *(["--bare"] if bare else []))
        return repo

    def clone_bare(self, path: Path) -> GitRepo:
        """A bare clone (`git clone --bare`) of this repository at `path`."""
        self.git("clone", "--quiet", "--bare", str(self.path), str(path))
        return GitRepo(path)

    def git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """Run git in the repository and return its stripped stdout."""
        done = subprocess.run(
            ["git", "-C", str(self.path), *args],
            capture_output=True,
            check=False,
            text=True,
            env={**_ISOLATED_ENV, **(env or {})},
        )
        if done.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def commit(
        self,
        message: str,
        author_date: GitDate | None = None,
        committer_date: GitDate | None = None,
        files: Mapping[str, FileContent] | None = None,
        author: tuple[str, str] = AUTHOR,
    ) -> str:
        """Write `files` (an empty commit without them) and commit; returns the new sha.

        The committer date defaults to the author date, as for a commit that was never rebased.
        """
        for name, content in (files or {}).items():
            target = self.path / name
            if content is None:
                self.git("rm", "--quiet", "--", name)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_bytes(content.encode())
            self.git("add", "--", name)
        authored = self._date(author_date)
        env = _dates(authored, self._date(committer_date) if committer_date else authored)
        env |= {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1]}
        self.git("commit", "--quiet", "--allow-empty", "--cleanup=verbatim", "-m", message, env=env)
        return self.head()

    def branch(self, name: str, start: str | None = None) -> None:
        """Create branch `name` at `start` (default HEAD) and switch to it."""
        self.git("checkout", "--quiet", "-b", name, *([start] if start else []))

    def checkout(self, name: str) -> None:
        """Switch to an existing branch (or detach at a commit)."""
        self.git("checkout", "--quiet", name)

    def merge(
        self, branch: str, message: str, date: GitDate | None = None, no_ff: bool = True
    ) -> str:
        """Merge `branch` into the current branch (a merge commit unless no_ff is False)."""
        when = self._date(date)
        flag = "--no-ff" if no_ff else "--ff"
        self.git("merge", "--quiet", flag, "-m", message, branch, env=_dates(when, when))
        return self.head()

    def tag(
        self,
        name: str,
        sha: str | None = None,
        annotated: bool = False,
        date: GitDate | None = None,
        message: str | None = None,
    ) -> None:
        """Tag `sha` (any revision, also another tag; default HEAD).

        An annotated tag records `date` as its tagger date; a lightweight tag records nothing.
        """
        target = [sha] if sha else []
        if not annotated:
            self.git("tag", name, *target)
            return
        when = self._date(date)
        self.git("tag", "-a", "-m", message or name, name, *target, env=_dates(when, when))

    def revert(self, sha: str, date: GitDate | None = None, mainline: int | None = None) -> str:
        """`git revert` a commit with git's standard message; returns the new sha."""
        when = self._date(date)
        parent = ["-m", str(mainline)] if mainline else []
        self.git("revert", "--no-edit", *parent, sha, env=_dates(when, when))
        return self.head()

    def head(self) -> str:
        """The full sha HEAD points at."""
        return self.git("rev-parse", "HEAD")

    def _date(self, date: GitDate | None) -> str:
        if date is None:
            self._clock += timedelta(hours=1)
            date = self._clock
        if isinstance(date, datetime):
            if date.tzinfo is None:
                raise ValueError("GitRepo needs timezone-aware datetimes")
            return date.isoformat()
        return date


def _dates(author: str, committer: str) -> dict[str, str]:
    return {"GIT_AUTHOR_DATE": author, "GIT_COMMITTER_DATE": committer}


# Variables a git hook or the caller's shell may set would point git at another repository.
_LEAKY = {
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_CEILING_DIRECTORIES",
}
_ISOLATED_ENV = {
    **{key: value for key, value in os.environ.items() if key not in _LEAKY},
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": AUTHOR[0],
    "GIT_AUTHOR_EMAIL": AUTHOR[1],
    "GIT_COMMITTER_NAME": "Grace Hopper",
    "GIT_COMMITTER_EMAIL": "grace@example.com",
    "GIT_EDITOR": "true",
    "GIT_ADVICE": "0",
}
