"""Write a large, realistic git repository with `git fast-import`, the same one every time.

    python benchmarks/synthetic_repo.py PATH --commits 50000 [--seed 7]

For benchmarks on a machine that cannot clone a public repository. The history looks like a
busy trunk-based project:
- a `main` line where, in every block of about 20 commits, a short-lived branch (feature,
  bugfix, or now and then hotfix) is merged, half of them as "Merge pull request #N from
  user/branch" committed by GitHub, half as "Merge branch 'name'";
- multi-line messages (some conventional-commit subjects, trailers, non-ASCII text), 200
  authors with a Zipf-like share of the commits, each in their own time zone (-0800 to +1300);
- each commit edits one to three files of ~840 under src/, tests/ and docs/, with a rename now
  and then; a merge brings in the branch's files, so every tree is consistent;
- about 0.5% reverts ("This reverts commit <full sha>.", one in eight by hand with an
  abbreviated sha) of a recent main-line commit, restoring that commit's files; the real shas
  come from fast-import's `get-mark` while the stream is written;
- "Hotfix: ..." subjects on about 1% of direct commits;
- an annotated release tag (v1.0.0, v1.1.0, ...) every 500 commits, a release candidate tag
  (v1.1.0-rc1, not a release for dorameter) 100 commits before each, a patch release
  (v1.1.1) after each hotfix branch is merged, and a lightweight snapshot-N tag every 5,000;
- the 25 last merged branches and 3 unmerged ones left as branches, the others deleted.

The same --commits and --seed give the same bytes and so the same shas on any machine (dates
are fixed: the newest commit lands near 2024-06-01). 50,000 commits take a few seconds.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import IO

END_OF_HISTORY = 1_717_200_000  # 2024-06-01 00:00 UTC, about when the newest commit lands
GAP = (60, 3600)  # seconds between two commits, uniform: ~30 minutes on average
BLOCK = (5, 15)  # direct main-line commits between two merged branches
BRANCH = (2, 7)  # commits on a feature or bugfix branch
RELEASE_EVERY = 500  # commits between release tags
RC_BEFORE = 100  # a release candidate tag this many commits before each release
SNAPSHOT_EVERY = 5000  # a lightweight snapshot-N tag, which is no release
KEEP_BRANCHES = 25  # merged branches left as refs at the end (the others deleted)
OPEN_BRANCHES = 3  # branches never merged, at the end
REVERT_SHARE = 0.005
HOTFIX_SHARE = 0.01
HOTFIX_BRANCH_SHARE = 0.04
RENAME_SHARE = 0.002
MAX_LINES = 60  # files stay small: the content matters only for --line-counts


def _words(text: str, separator: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(separator))


FIRST_NAMES = _words(
    "Ada Alan Anna Ben Carla Chen David Elif Emma Farid Grace Hana Igor Ines Jamal José Karin"
    " Kenji Lena Łukasz Maria Mateo Nadia Noah Olga Omar Priya Quentin Rosa Sven Tariq Ursula"
    " Vikram Wei Xavier Yara Zoë Aiko Björn Chloé"
)
LAST_NAMES = _words(
    "Smith Müller García Nakamura Okafor Rossi Dubois Kowalski Silva Novák Ivanova Andersson "
    "O'Brien Schmidt Yılmaz Kim Nguyen Haddad Fischer Moreau"
)
TIME_ZONES = _words(
    "+0000 +0100 +0200 +0300 +0530 +0545 +0800 +0900 +1000 +1300 -0300 -0430 -0500 -0700 -0800"
)
MODULES = _words(
    "api auth billing cache cli config core db events export files http i18n importer jobs "
    "logging mail metrics models notify parser payments permissions plugins queue reports "
    "retry scheduler search server sessions storage sync templates tracing ui upload users "
    "utils validation webhooks"
)
FILE_NAMES = _words("base client errors handlers helpers models routes service types views")
VERBS = _words(
    "Fix|Add|Remove|Refactor|Update|Improve|Document|Simplify|Handle|Support|Avoid|Use|Rename|"
    "Bump|Validate|Cache|Log|Test|Clean up|Speed up",
    "|",
)
THINGS = _words(
    "empty input|timeouts|the retry loop|Unicode names ✓|café menus|large uploads|the cold "
    "cache|Windows paths|leap days|the CI job|null fields|slow queries|error messages|the "
    "default config|concurrent writes|pagination|time zones|the README|deprecated "
    "flags|memory use|connection pooling|edge cases in the parser|flaky tests|type hints",
    "|",
)
BODY_WORDS = _words(
    "the a this that when because so it we now no longer still only also before after with "
    "without instead value request response cache user file test error path call result "
    "handler callback option flag timeout retry limit return raise check keep read write"
)
TRAILERS = ("Signed-off-by", "Co-authored-by", "Reviewed-by")
CONVENTIONAL = ("fix", "feat", "refactor", "docs", "test", "chore", "perf")
GITHUB = ("GitHub", "noreply@github.com", "+0000")
RELEASE_BOT = ("Release Bot", "release@example.com", "+0000")

Person = tuple[str, str, str]  # name, email, time zone
Files = dict[str, list[str]]  # path -> lines


@dataclass
class Change:
    """A main-line commit that may be reverted later: what its files looked like before it."""

    mark: int
    subject: str
    before: dict[str, list[str] | None]  # None: the commit created the file


@dataclass
class History:
    """The state of the stream being written."""

    commits: int = 0
    marks: int = 0
    clock: int = 0
    main: int | None = None  # mark of main's tip
    files: Files = field(default_factory=dict)  # main's tree
    recent: deque[Change] = field(default_factory=lambda: deque(maxlen=40))
    merged: deque[tuple[str, int]] = field(default_factory=lambda: deque(maxlen=KEEP_BRANCHES))
    branches: int = 0
    pull_requests: int = 1000
    releases: int = 0  # release tags so far (minor versions)
    patches: int = 0  # patch releases of the current minor version
    rc_for: int = -1  # `releases` when the last release candidate was tagged
    snapshots: int = 0
    tags: int = 0
    reverts: int = 0
    hotfixes: int = 0


class Generator:
    """Writes the fast-import stream; asks fast-import for real shas when a revert needs one."""

    def __init__(self, commits: int, seed: int, stream: IO[bytes], answers: IO[bytes]) -> None:
        self.total = commits
        self.rnd = random.Random(seed)
        self.stream = stream
        self.answers = answers
        self.state = History(clock=END_OF_HISTORY - commits * sum(GAP) // 2)
        self.authors = self._people(200)
        self.weights = list(accumulate(1 / (rank + 1) for rank in range(len(self.authors))))
        self.paths = [f"src/{m}/{n}.py" for m in MODULES for n in FILE_NAMES]

    def write(self) -> History:
        state = self.state
        reserve = 3 * OPEN_BRANCHES if self.total >= 1000 else 0
        limit = self.total - reserve
        while state.commits < limit:
            for _ in range(self.rnd.randint(*BLOCK)):
                if state.commits >= limit:
                    break
                self._direct_commit()
            hotfix = self.rnd.random() < HOTFIX_BRANCH_SHARE
            length = self.rnd.randint(1, 2) if hotfix else self.rnd.randint(*BRANCH)
            if limit - state.commits >= length + 1:
                self._merged_branch(length, hotfix)
        for number in range(OPEN_BRANCHES if reserve else 0):
            self._open_branch(number, reserve // OPEN_BRANCHES)
        for name, tip in state.merged:
            self._put(f"reset refs/heads/{name}\nfrom :{tip}\n\n")
        self._put("reset refs/heads/wip\n\ndone\n")
        return state

    # Commits

    def _direct_commit(self) -> None:
        state = self.state
        roll = self.rnd.random()
        paths = self._pick_paths()
        if roll < REVERT_SHARE and state.recent:
            self._revert()
            return
        if roll > 1 - RENAME_SHARE and paths[0] in state.files:
            self._rename(paths[0])
            return
        author = self._author()
        hotfix = self.rnd.random() < HOTFIX_SHARE
        subject = self._subject(paths[0], hotfix)
        state.hotfixes += hotfix
        before: dict[str, list[str] | None] = {}
        changes: dict[str, list[str] | None] = {}
        for path in paths:
            before[path] = state.files.get(path)
            changes[path] = self._edit(before[path])
        mark = self._commit("main", author, author, self._message(subject), changes, state.files)
        state.recent.append(Change(mark, subject, before))
        self._main_line_done(mark)

    def _revert(self) -> None:
        state = self.state
        target = state.recent[self.rnd.randrange(len(state.recent))]
        state.recent.remove(target)
        sha = self._sha(target.mark)
        by_hand = self.rnd.random() < 1 / 8
        reason = "Broke the nightly build; will retry after the release.\n\n" if by_hand else ""
        named = sha[:12] if by_hand else sha
        message = f'Revert "{target.subject}"\n\n{reason}This reverts commit {named}.\n'
        author = self._author()
        mark = self._commit("main", author, author, message, dict(target.before), state.files)
        state.reverts += 1
        self._main_line_done(mark)

    def _merged_branch(self, length: int, hotfix: bool) -> None:
        state = self.state
        state.branches += 1
        kind = "hotfix" if hotfix else self.rnd.choice(("feature", "feature", "bugfix"))
        module = self.rnd.choice(MODULES)
        name = f"{kind}/{module}-{state.branches}"
        tip, files = self._branch_commits(length, hotfix)
        if self.rnd.random() < 0.5:
            state.pull_requests += 1
            user = self._author()[1].split("@")[0]
            subject = f"Merge pull request #{state.pull_requests} from {user}/{name}"
            message = f"{subject}\n\n{self._subject(self.rnd.choice(self.paths), hotfix)}\n"
            committer = GITHUB
        else:
            message = f"Merge branch '{name}'\n"
            committer = self.authors[self.rnd.randrange(5)]
        changes: dict[str, list[str] | None] = dict(files)
        mark = self._commit("main", committer, committer, message, changes, state.files, [tip])
        state.merged.append((name, tip))
        self._main_line_done(mark)
        if hotfix and state.releases:
            state.patches += 1
            self._tag(self._version(state.patches), mark, annotated=True)

    def _branch_commits(self, length: int, hotfix: bool) -> tuple[int, Files]:
        """Commits on the scratch ref `wip`, branched from main's tip; (tip, files changed)."""
        state = self.state
        files: Files = {}
        module_paths = self._pick_paths()
        tip = state.main
        for index in range(length):
            author = self._author()
            path = module_paths[index % len(module_paths)]
            old = files.get(path, state.files.get(path))
            new = self._edit(old)
            subject = self._subject(path, hotfix and index == 0)
            changes: dict[str, list[str] | None] = {path: new}
            base = [tip] if index == 0 and tip is not None else []
            tip = self._commit("wip", author, author, self._message(subject), changes, files, base)
        assert tip is not None
        return tip, files

    def _open_branch(self, number: int, length: int) -> None:
        name = f"feature/unmerged-{number + 1}"
        tip, _ = self._branch_commits(length, hotfix=False)
        self._put(f"reset refs/heads/{name}\nfrom :{tip}\n\n")

    def _main_line_done(self, mark: int) -> None:
        """Tags that fall on this main-line commit."""
        state = self.state
        state.main = mark
        if state.commits // RELEASE_EVERY > state.releases:
            state.releases += 1
            state.patches = 0
            self._tag(self._version(0), mark, annotated=True)
        elif (
            state.commits + RC_BEFORE
        ) // RELEASE_EVERY > state.releases and state.rc_for != state.releases:
            state.rc_for = state.releases
            self._tag(f"{self._version(0, upcoming=True)}-rc1", mark, annotated=True)
        if state.commits // SNAPSHOT_EVERY > state.snapshots:
            state.snapshots += 1
            self._tag(f"snapshot-{state.snapshots * SNAPSHOT_EVERY}", mark, annotated=False)

    def _commit(
        self,
        ref: str,
        author: Person,
        committer: Person,
        message: str,
        changes: dict[str, list[str] | None],
        tree: Files,
        parents: list[int] | None = None,
    ) -> int:
        """Write one commit on refs/heads/<ref>, after the ref's tip (or `parents[0]`, then
        merges); apply `changes` to `tree`. Returns its mark."""
        state = self.state
        state.marks += 1
        state.commits += 1
        state.clock += self.rnd.randint(*GAP)
        authored = state.clock - self.rnd.randint(0, 3 * 86400 if ref == "wip" else 600)
        parents = parents or []
        head = (
            f"commit refs/heads/{ref}\nmark :{state.marks}\n"
            f"author {author[0]} <{author[1]}> {authored} {author[2]}\n"
            f"committer {committer[0]} <{committer[1]}> {state.clock} {committer[2]}\n"
        )
        lines = [head, _data(message)]
        if ref == "wip" and parents:
            lines.append(f"from :{parents[0]}\n")  # a new branch starts at main's tip
        elif ref == "main":
            lines.extend(f"merge :{merged}\n" for merged in parents)
        for path, content in changes.items():
            if content is None:
                lines.append(f"D {path}\n")
                tree.pop(path, None)
            else:
                lines.append(f"M 100644 inline {path}\n")
                lines.append(_data("".join(line + "\n" for line in content)))
                tree[path] = content
        lines.append("\n")
        self._put("".join(lines))
        return state.marks

    def _rename(self, path: str) -> None:
        """Move a file in its own small commit (a rename git's -M detects)."""
        state = self.state
        folder, _, name = path.rpartition("/")
        target = f"{folder}/{name.removesuffix('.py')}_v{state.commits}.py"
        author = self._author()
        state.marks += 1
        state.commits += 1
        state.clock += self.rnd.randint(*GAP)
        message = f"Move {name} to {target.rpartition('/')[2]}\n"
        self._put(
            f"commit refs/heads/main\nmark :{state.marks}\n"
            f"author {author[0]} <{author[1]}> {state.clock} {author[2]}\n"
            f"committer {author[0]} <{author[1]}> {state.clock} {author[2]}\n"
            f"{_data(message)}R {path} {target}\n\n"
        )
        state.files[target] = state.files.pop(path)
        self.paths[self.paths.index(path)] = target
        self._main_line_done(state.marks)

    def _tag(self, name: str, mark: int, annotated: bool) -> None:
        state = self.state
        state.tags += 1
        if not annotated:
            self._put(f"reset refs/tags/{name}\nfrom :{mark}\n\n")
            return
        at = state.clock + self.rnd.randint(60, 1800)
        notes = "".join(f"- {self._subject(self.rnd.choice(self.paths))}\n" for _ in range(3))
        self._put(
            f"tag {name}\nfrom :{mark}\n"
            f"tagger {RELEASE_BOT[0]} <{RELEASE_BOT[1]}> {at} {RELEASE_BOT[2]}\n"
            f"{_data(f'Release {name}{chr(10) * 2}{notes}')}"  # no blank line after a tag
        )

    def _version(self, patch: int, upcoming: bool = False) -> str:
        release = self.state.releases + (1 if upcoming else 0) - 1
        return f"v{1 + release // 20}.{release % 20}.{patch}"

    # Contents

    def _people(self, count: int) -> list[Person]:
        people = []
        for index in range(count):
            first = FIRST_NAMES[index % len(FIRST_NAMES)]
            last = LAST_NAMES[(index * 7 + index // len(FIRST_NAMES)) % len(LAST_NAMES)]
            login = _ascii(f"{first}.{last}{index}".lower())
            domain = "users.noreply.github.com" if index % 3 == 0 else "example.com"
            people.append((f"{first} {last}", f"{login}@{domain}", self.rnd.choice(TIME_ZONES)))
        return people

    def _author(self) -> Person:
        return self.rnd.choices(self.authors, cum_weights=self.weights)[0]

    def _pick_paths(self) -> list[str]:
        first = self.rnd.choice(self.paths)
        roll = self.rnd.random()
        if roll < 0.8:
            return [first]
        folder, _, name = first.rpartition("/")
        module = folder.rpartition("/")[2]
        test = f"tests/{module}/test_{name}"
        return [first, test] if roll < 0.95 else [first, test, f"docs/{module}.md"]

    def _subject(self, path: str, hotfix: bool = False) -> str:
        module = path.split("/")[1].removesuffix(".md")
        thing = self.rnd.choice(THINGS)
        if hotfix:
            return f"Hotfix: {self.rnd.choice(VERBS).lower()} {module} {thing}"
        if self.rnd.random() < 0.3:
            return f"{self.rnd.choice(CONVENTIONAL)}({module}): {thing}"
        return f"{self.rnd.choice(VERBS)} {thing} in {module}"

    def _message(self, subject: str) -> str:
        paragraphs = [subject]
        for _ in range(self.rnd.choice((0, 0, 1, 1, 2, 3))):
            lines = [
                " ".join(self.rnd.choices(BODY_WORDS, k=self.rnd.randint(6, 12)))
                for _ in range(self.rnd.randint(1, 4))
            ]
            paragraphs.append("\n".join(lines).capitalize())
        if self.rnd.random() < 0.2:
            name, email, _ = self._author()
            paragraphs.append(f"{self.rnd.choice(TRAILERS)}: {name} <{email}>")
        return "\n\n".join(paragraphs) + "\n"

    def _edit(self, lines: list[str] | None) -> list[str]:
        if not lines:
            return [self._line() for _ in range(self.rnd.randint(3, 15))]
        new = list(lines)
        roll = self.rnd.random()
        where = self.rnd.randrange(len(new))
        if roll < 0.5:
            new[where] = self._line()
        elif roll < 0.9 or len(new) < 6:
            new[where:where] = [self._line() for _ in range(self.rnd.randint(1, 4))]
        else:
            del new[where : where + self.rnd.randint(1, 3)]
        if len(new) > MAX_LINES:
            start = self.rnd.randrange(MAX_LINES // 2)
            del new[start : start + len(new) - MAX_LINES + 5]
        return new

    def _line(self) -> str:
        return f"{self.rnd.choice(BODY_WORDS)}_{self.rnd.randrange(1000)} = {self.rnd.random():.6f}"

    # The stream

    def _put(self, text: str) -> None:
        self.stream.write(text.encode())

    def _sha(self, mark: int) -> str:
        """The real sha of an imported commit: fast-import answers `get-mark` at once."""
        self._put(f"get-mark :{mark}\n")
        self.stream.flush()
        answer = self.answers.readline().decode().strip()
        if len(answer) != 40:
            raise RuntimeError(f"git fast-import gave no sha for mark {mark}: {answer!r}")
        return answer


def _data(text: str) -> str:
    """A fast-import `data` block; its length counts bytes, not characters."""
    return f"data {len(text.encode())}\n{text}\n"


def _ascii(text: str) -> str:
    """José -> jose, O'Brien -> obrien: for the local part of an email address."""
    plain = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("ı", "i"))
    return "".join(char for char in plain if char.isascii() and char != "'")


def git_env() -> dict[str, str]:
    """The environment without variables that would point git at another repository."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | {"LC_ALL": "C"}


def generate(path: Path, commits: int, seed: int) -> History:
    """Create the repository at `path` (which must not exist or be empty)."""
    if path.exists() and any(path.iterdir()):
        raise SystemExit(f"{path} exists and is not empty: give a new folder")
    env = git_env()
    subprocess.run(["git", "init", "--quiet", "--initial-branch=main", str(path)], check=True)
    importer = subprocess.Popen(
        ["git", "-C", str(path), "fast-import", "--quiet", "--done"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        # glibc would otherwise give memory back and ask for it again ~3 times per commit:
        # a larger top pad halves fast-import's time.
        env=env | {"MALLOC_TOP_PAD_": str(256 << 20)},
        bufsize=1 << 16,  # small: fast-import, the slower side, gets work sooner
    )
    assert importer.stdin is not None and importer.stdout is not None
    try:
        with importer.stdin:
            state = Generator(commits, seed, importer.stdin, importer.stdout).write()
    finally:
        code = importer.wait()
    if code != 0:
        raise SystemExit(f"git fast-import failed with exit code {code}")
    subprocess.run(["git", "-C", str(path), "reset", "--quiet", "--hard"], check=True, env=env)
    return state


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("path", type=Path, help="folder of the new repository")
    parser.add_argument("--commits", type=int, default=50_000, help="number of commits")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same shas)")
    options = parser.parse_args()
    if options.commits < 1:
        parser.error("--commits must be at least 1")
    start = time.perf_counter()
    state = generate(options.path, options.commits, options.seed)
    print(
        f"{options.path}: {state.commits:,} commits ({state.branches:,} merged branches, "
        f"{state.reverts} reverts, {state.hotfixes} hotfix commits), {state.tags} tags "
        f"({state.releases} releases), in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
