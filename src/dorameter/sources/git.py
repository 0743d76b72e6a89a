"""The git source: a local repository's commits, tags and branches as model objects.

A deployment can be read from git in two ways: each version tag is a release, or each commit on
the first-parent line of a branch is a deploy. Commit history itself is read by git_log.
Everything here shells out to git (2.24 or newer) and never touches the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from pathlib import Path

from dorameter.errors import GitFailed, InvalidInput, NotARepository
from dorameter.model import Deployment, DeploymentStatus
from dorameter.sources.git_diffs import ChangedPaths, LineStats, changed_paths, line_stats
from dorameter.sources.git_log import (
    NON_HISTORY_REFS,
    read_commits,
    require_shas,
    run_git,
    utc_from_epoch,
)

__all__ = [
    "DEFAULT_VERSION_TAG",
    "ChangedPaths",
    "LineStats",
    "TagRef",
    "changed_paths",
    "deployments_from_branch",
    "deployments_from_tags",
    "existing_commits",
    "first_parent_commits",
    "line_stats",
    "open_repository",
    "read_commits",
    "read_refs",
    "read_tags",
    "tag_matcher",
]

SOURCE = "git"

# A release name: optional path ("api/"), optional word ("release-", "rel_", "myapp-"), optional
# v, then dotted numbers and nothing after them, so "-rc1", "b1" or "-alpha.1" disqualify a tag.
# A word that is itself a pre-release marker ("rc-2.0", "beta2", "nightly-5") disqualifies too.
DEFAULT_VERSION_TAG = re.compile(
    r"""
    (?!(?:.*[/_.-])?(?i:rc|alpha|beta|pre|preview|dev|snapshot|nightly|canary)(?:[/_.-]|\d|$))
    (?:[\w.-]+/)*               # path segments, e.g. api/ or services/api/
    (?:[A-Za-z][A-Za-z_-]*?)?   # a word before the number: release-, rel_, api-
    [vV]?\d+(?:\.\d+)*
    """,
    re.VERBOSE,
)

# Characters git forbids in ref names (git check-ref-format): a glob using them matches nothing.
_NOT_IN_REF_NAMES = re.compile(r"[\x00-\x20\x7f~^:\\]")

_TAG_FORMAT = "%00".join(
    [
        "%(refname)",
        "%(objecttype)",
        "%(objectname)",
        "%(*objecttype)",
        "%(*objectname)",
        "%(taggerdate:unix)",
        "%(committerdate:unix)",
        "%(*committerdate:unix)",
    ]
)


@dataclass(frozen=True)
class TagRef:
    """A tag that names a commit.

    tagged_at is the tagger date for an annotated tag (when the release was cut) and the
    committer date of the commit for a lightweight tag (git records nothing better).
    """

    name: str
    sha: str  # the commit the tag finally points at, through tags of tags
    tagged_at: datetime
    annotated: bool


def open_repository(path: str | Path) -> Path:
    """Check that `path` is a git repository (a work tree, a folder inside one, or a bare
    repository) and return it as an absolute path for the other functions of this module."""
    where = Path(path).expanduser().resolve()
    if not where.is_dir():
        raise NotARepository(
            f"{where} is not a git repository: no such folder. "
            "Give the path of a local clone (git clone URL)."
        )
    try:
        run_git(where, "rev-parse", "--git-dir")
    except GitFailed as error:
        if "dubious ownership" in str(error):
            hint = (
                "git refuses a folder owned by another user; run "
                f"`git config --global --add safe.directory {where}`"
            )
        else:
            hint = "give the path of a clone (git clone URL) or a mirror (git clone --mirror URL)"
        raise NotARepository(f"{where} is not a git repository: {hint}. {error}") from error
    return where


@dataclass(frozen=True)
class Refs:
    """What a repository's refs showed at one moment.

    tips: the distinct commits that branches, tags and remote refs point at, sorted (a detached
    HEAD is not a ref: its few commits are simply read again next time). Save them as the
    incremental cursor and pass them as read_commits(exclude=...) next time; take them before
    read_commits, so a push during the read is picked up by the next run.
    tags: every tag that leads to a commit, as `read_tags` gives them.
    """

    tips: list[str]
    tags: list[TagRef]


# One line of `git for-each-ref --format=_TAG_FORMAT`, split at its NULs: ref name, object type
# and name, the type and name of the object an annotated tag points at, tagger date, committer
# date, committer date of the commit an annotated tag points at.
_RefLine = tuple[str, str, str, str, str, str, str, str]


def read_refs(repo: Path) -> Refs:
    """The tips and the tags of one `git for-each-ref`, so that an ingest starts one git
    process for both and sees no tag its tips do not hold (a tag pushed in between)."""
    lines = _ref_lines(repo)
    peeled = _peel_nested(repo, lines)
    return Refs(_tips(lines, peeled), _tags(repo, lines, peeled))


def read_tags(repo: Path) -> list[TagRef]:
    """Every tag that leads to a commit, with its peeled commit and date; others are skipped."""
    lines = _ref_lines(repo, "refs/tags")
    return _tags(repo, lines, _peel_nested(repo, lines))


def _ref_lines(repo: Path, *patterns: str) -> list[_RefLine]:
    output = run_git(repo, "for-each-ref", f"--format={_TAG_FORMAT}", *patterns)
    return [_split_ref_line(line) for line in output.splitlines()]


def _split_ref_line(line: str) -> _RefLine:
    ref, kind, target, inner_kind, inner, tagger_at, committer_at, peeled_at = line.split("\0")
    return ref, kind, target, inner_kind, inner, tagger_at, committer_at, peeled_at


def _peel_nested(repo: Path, lines: list[_RefLine]) -> dict[str, str]:
    """The commit each tag of a tag finally points at (`_peel`); none asked when there are none."""
    nested = [target for _, kind, target, inner_kind, *_ in lines if kind == inner_kind == "tag"]
    return _peel(repo, nested) if nested else {}


def _tags(repo: Path, lines: list[_RefLine], peeled: dict[str, str]) -> list[TagRef]:
    tags: list[TagRef] = []
    nested: list[tuple[str, str, str]] = []  # (name, tag object, tagger date) of tags of tags
    for ref, kind, target, inner_kind, inner, tagger_at, committer_at, peeled_at in lines:
        if not ref.startswith("refs/tags/"):
            continue
        name = ref.removeprefix("refs/tags/")
        if kind == "commit":
            tags.append(TagRef(name, target, utc_from_epoch(committer_at), annotated=False))
        elif kind == "tag" and inner_kind == "commit":
            tags.append(TagRef(name, inner, utc_from_epoch(tagger_at or peeled_at), annotated=True))
        elif kind == "tag" and inner_kind == "tag" and target in peeled:
            nested.append((name, target, tagger_at))
    untimed = [peeled[target] for _, target, at in nested if not at]
    times = _committer_times(repo, untimed) if untimed else {}
    for name, target, tagger_at in nested:
        sha = peeled[target]
        tagged_at = utc_from_epoch(tagger_at) if tagger_at else times[sha]
        tags.append(TagRef(name, sha, tagged_at, annotated=True))
    return sorted(tags, key=lambda tag: tag.name)


def tag_matcher(glob: str | None = None) -> Callable[[str], bool]:
    """A test for tag names: the user's glob ("v*", "prod-*", case-sensitive) or, without one,
    DEFAULT_VERSION_TAG (release versions, no pre-releases)."""
    if glob is None:
        return lambda name: DEFAULT_VERSION_TAG.fullmatch(name) is not None
    if not glob.strip():
        raise InvalidInput("the tag pattern is empty: give a glob such as 'v*' or leave it out")
    if bad := _NOT_IN_REF_NAMES.search(glob):
        raise InvalidInput(
            f"the tag pattern {glob!r} contains {bad.group()!r}, which no tag name can contain: "
            "use a glob such as 'v*' or 'release-*'"
        )
    return lambda name: fnmatchcase(name, glob)


def deployments_from_tags(
    tags: Iterable[TagRef],
    matcher: Callable[[str], bool],
    service: str,
    repository: str,
    environment: str = "production",
) -> list[Deployment]:
    """One successful deployment per matching tag, finished when it was tagged, oldest first."""
    chosen = sorted((tag for tag in tags if matcher(tag.name)), key=lambda t: (t.tagged_at, t.name))
    return [
        Deployment(
            service=service,
            environment=environment,
            sha=tag.sha,
            finished_at=tag.tagged_at,
            external_id=f"git-tag:{_id_scope(service, repository)}:{tag.name}",
            source=SOURCE,
            repository=repository,
            status=DeploymentStatus.SUCCESS,
            ref=tag.name,
        )
        for tag in chosen
    ]


def _id_scope(service: str, repository: str) -> str:
    """The repository, or for one of several services in it (a monorepo) repository#service:
    one tag can deploy several of them, each its own deployment."""
    return repository if service == repository else f"{repository}#{service}"


def first_parent_commits(
    repo: Path, branch: str, after: str | None = None
) -> list[tuple[str, datetime]]:
    """(sha, committer time) of each commit on the first-parent line of `branch`, newest first:
    the commits that landed on the branch itself (merges included), not those merged into it.

    With `after` (a commit sha), only commits not reachable from it: what landed since then.
    """
    exclude = [f"^{require_shas([after])[0]}"] if after else []
    try:
        output = run_git(
            repo,
            "log",
            "--first-parent",
            "--format=%H %ct",
            "--no-show-signature",
            "--end-of-options",
            branch,
            *exclude,
            "--",
        )
    except GitFailed:
        if _resolves(repo, branch):
            raise
        raise _unknown_branch(repo, branch) from None
    commits = []
    for line in output.splitlines():
        sha, committed = line.split(" ")
        commits.append((sha, utc_from_epoch(committed)))
    return commits


def deployments_from_branch(
    commits: Iterable[tuple[str, datetime]],
    branch: str,
    service: str,
    repository: str,
    environment: str = "production",
) -> list[Deployment]:
    """One successful deployment per first-parent commit, at its committer time.

    `commits` come newest first, as first_parent_commits gives them; deployments come in branch
    order, oldest first, not sorted by time (committer times on a branch can go backwards).
    """
    return [
        Deployment(
            service=service,
            environment=environment,
            sha=sha,
            finished_at=committed_at,
            external_id=f"git-branch:{_id_scope(service, repository)}:{branch}:{sha}",
            source=SOURCE,
            repository=repository,
            status=DeploymentStatus.SUCCESS,
            ref=branch,
        )
        for sha, committed_at in reversed(list(commits))
    ]


def _tips(lines: list[_RefLine], peeled: dict[str, str]) -> list[str]:
    tips: set[str] = set()
    for ref, kind, target, inner_kind, inner, *_ in lines:
        if ref.startswith(NON_HISTORY_REFS):
            continue
        if kind == "commit":
            tips.add(target)
        elif kind == "tag" and inner_kind == "commit":
            tips.add(inner)
        elif kind == "tag" and inner_kind == "tag" and target in peeled:
            tips.add(peeled[target])
    return sorted(tips)


def existing_commits(repo: Path, shas: Iterable[str]) -> list[str]:
    """The full shas of those of `shas` that are commits this repository has, in input order.

    An old cursor may name commits a force-push and gc removed, or come from another repository.
    """
    wanted = require_shas(shas)
    if not wanted:
        return []
    output = run_git(
        repo,
        "cat-file",
        "--batch-check=%(objectname) %(objecttype)",
        stdin="\n".join(wanted) + "\n",
    )
    found = []
    for line in output.splitlines():
        sha, _, kind = line.partition(" ")
        if kind == "commit":
            found.append(sha)
    return found


def _peel(repo: Path, tag_objects: list[str]) -> dict[str, str]:
    """The commit each tag object finally points at; tags ending at a tree or blob are left out."""
    output = run_git(
        repo,
        "cat-file",
        "--batch-check=%(objectname) %(objecttype)",
        stdin="".join(f"{obj}^{{}}\n" for obj in tag_objects),
    )
    peeled = {}
    for obj, line in zip(tag_objects, output.splitlines(), strict=True):
        sha, _, kind = line.partition(" ")
        if kind == "commit":
            peeled[obj] = sha
    return peeled


def _committer_times(repo: Path, shas: list[str]) -> dict[str, datetime]:
    output = run_git(
        repo,
        "log",
        "--no-walk=unsorted",
        "--stdin",
        "--format=%H %ct",
        "--no-show-signature",
        stdin="\n".join(shas) + "\n",
    )
    return {
        sha: utc_from_epoch(at) for sha, at in (line.split(" ") for line in output.splitlines())
    }


def _resolves(repo: Path, revision: str) -> bool:
    try:
        run_git(
            repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"
        )
    except GitFailed:
        return False
    return True


def _unknown_branch(repo: Path, branch: str) -> InvalidInput:
    names = run_git(
        repo, "for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/remotes"
    ).split()
    if not names:
        known = "the repository has no branches yet"
    else:
        more = f" and {len(names) - 8} more" if len(names) > 8 else ""
        known = f"existing branches: {', '.join(names[:8])}{more}"
    return InvalidInput(f"branch {branch!r} not found in {repo}; {known}")
