"""The git source against real repositories built in tmp_path with fixed dates."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import GeneratorType

import pytest

from dorameter.errors import GitFailed, InvalidInput, NotARepository
from dorameter.model import Commit, Deployment, DeploymentStatus
from dorameter.sources import git
from dorameter.sources.git import Refs, TagRef
from dorameter.sources.git_log import _records
from tests.git.gitrepo import AUTHOR, GitRepo


def at(text: str) -> datetime:
    """An aware UTC datetime from ISO text."""
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo.create(tmp_path / "repo")


def read(repo: GitRepo, exclude: tuple[str, ...] | list[str] = ()) -> list[Commit]:
    return list(git.read_commits(git.open_repository(repo.path), "acme/api", exclude=exclude))


def by_sha(commits: list[Commit]) -> dict[str, Commit]:
    return {commit.sha: commit for commit in commits}


# ---------------------------------------------------------------------------------------------
# Commits
# ---------------------------------------------------------------------------------------------


def test_linear_history_is_read_newest_first_with_every_field(repo: GitRepo) -> None:
    first = repo.commit("Add parser", author_date="2026-01-05T10:00:00Z", files={"a.py": "1\n"})
    second = repo.commit(
        "Use parser", author_date="2026-01-06T11:00:00Z", author=("Bob", "bob@example.com")
    )
    third = repo.commit("Ship it", author_date="2026-01-07T12:30:15Z")

    assert read(repo) == [
        Commit(
            "acme/api", third, (second,), *AUTHOR, at("2026-01-07T12:30:15Z"),
            at("2026-01-07T12:30:15Z"), "Ship it",
        ),
        Commit(
            "acme/api", second, (first,), "Bob", "bob@example.com", at("2026-01-06T11:00:00Z"),
            at("2026-01-06T11:00:00Z"), "Use parser",
        ),
        Commit(
            "acme/api", first, (), *AUTHOR, at("2026-01-05T10:00:00Z"),
            at("2026-01-05T10:00:00Z"), "Add parser",
        ),
    ]  # fmt: skip


def test_merge_commit_lists_both_parents(repo: GitRepo) -> None:
    base = repo.commit("Base")
    repo.branch("feature")
    f1 = repo.commit("Feature part 1")
    f2 = repo.commit("Feature part 2")
    repo.checkout("main")
    main2 = repo.commit("Meanwhile on main")
    merge = repo.merge("feature", "Merge branch 'feature'", date="2026-02-01T00:00:00Z")

    commits = by_sha(read(repo))

    assert set(commits) == {base, f1, f2, main2, merge}
    assert commits[merge].parents == (main2, f2)
    assert commits[merge].is_merge
    assert commits[merge].subject == "Merge branch 'feature'"
    assert not any(commits[sha].is_merge for sha in (base, f1, f2, main2))


def test_git_revert_names_the_full_sha_of_the_reverted_commit(repo: GitRepo) -> None:
    repo.commit("Base", files={"a.txt": "a\n"})
    bad = repo.commit("Break things", files={"a.txt": "b\n"})
    revert = repo.revert(bad, date="2026-03-01T00:00:00Z")

    commits = by_sha(read(repo))

    assert commits[revert].reverts == bad
    assert commits[revert].subject == 'Revert "Break things"'
    assert commits[bad].reverts is None


def test_revert_of_a_merge_names_the_merge(repo: GitRepo) -> None:
    repo.commit("Base", files={"a.txt": "a\n"})
    repo.branch("feature")
    repo.commit("Feature", files={"b.txt": "b\n"})
    repo.checkout("main")
    merge = repo.merge("feature", "Merge feature")
    revert = repo.revert(merge, mainline=1)

    assert by_sha(read(repo))[revert].reverts == merge


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ('Revert "x"\n\nThis reverts commit abc1234.\n', "abc1234"),
        ("Revert\n\nThis reverts commit ABCDEF1234.\n", "abcdef1234"),
        (
            'Revert "Revert "x""\n\nThis reverts commit 1111111.\n\n'
            "Squashed with:\nThis reverts commit 2222222, reversing\nchanges made to 3333333.\n",
            "2222222",
        ),
        ("Mention only\n\nSee: This reverts commit abc1234.\n", None),
        ("Too short\n\nThis reverts commit abc.\n", None),
        ("This reverts commit 4567abc.", "4567abc"),
    ],
)
def test_revert_line_in_hand_written_messages(
    repo: GitRepo, message: str, expected: str | None
) -> None:
    sha = repo.commit(message)

    assert by_sha(read(repo))[sha].reverts == expected


def test_author_offsets_are_normalised_to_the_utc_instant(repo: GitRepo) -> None:
    india = repo.commit("From Bengaluru", author_date="2026-03-01T10:00:00+05:30")
    california = repo.commit(
        "From San Francisco",
        author_date=datetime(2026, 3, 1, 22, 15, tzinfo=timezone(timedelta(hours=-8))),
    )

    commits = by_sha(read(repo))

    assert commits[india].author_time == datetime(2026, 3, 1, 4, 30, tzinfo=UTC)
    assert commits[california].author_time == datetime(2026, 3, 2, 6, 15, tzinfo=UTC)
    assert commits[india].author_time.utcoffset() == timedelta(0)
    assert commits[california].committer_time.tzinfo is UTC


def test_committer_time_differs_from_author_time_after_a_rebase(repo: GitRepo) -> None:
    sha = repo.commit(
        "Rebased", author_date="2026-01-10T09:00:00+01:00", committer_date="2026-02-20T17:45:00Z"
    )

    commit = by_sha(read(repo))[sha]

    assert commit.author_time == at("2026-01-10T08:00:00Z")
    assert commit.committer_time == at("2026-02-20T17:45:00Z")


def test_unicode_tabs_and_separator_bytes_do_not_break_the_parser(repo: GitRepo) -> None:
    subject = "Fix ✓ café 🚀\tafter tab \x1f unit \x1e record \x1d group | %x00 %n"
    body = "\n".join(["", "line\twith tab", "\x1f\x1e?", "", "end"])
    before = repo.commit("Before")
    odd = repo.commit(subject + "\n" + body, author=("Zoë 🦀 O'Brien\t", "zoë@example.com"))
    after = repo.commit("After")

    commits = by_sha(read(repo))

    assert commits[odd].subject == subject
    assert commits[odd].author_name == "Zoë 🦀 O'Brien"  # git itself trims the name
    assert commits[odd].author_email == "zoë@example.com"
    assert commits[odd].parents == (before,)
    assert commits[after].subject == "After"
    assert commits[after].parents == (odd,)


def test_a_nul_byte_in_a_raw_commit_message_cannot_shift_fields(repo: GitRepo) -> None:
    repo.commit("Base")
    tree = repo.git("rev-parse", "HEAD^{tree}")
    raw = (
        f"tree {tree}\nparent {repo.head()}\n"
        "author A <a@example.com> 1767225600 +0000\n"
        "committer A <a@example.com> 1767225600 +0000\n\n"
        "sub\0ject\n\nbody\0This reverts commit abcdef1.\n"
    ).encode()
    made = subprocess.run(
        [
            "git",
            "-C",
            str(repo.path),
            "hash-object",
            "-t",
            "commit",
            "-w",
            "--literally",
            "--stdin",
        ],
        input=raw,
        capture_output=True,
        check=True,
    )
    nul = made.stdout.decode().strip()
    repo.git("update-ref", "refs/heads/main", nul)
    child = repo.commit("Child")

    commits = by_sha(read(repo))

    assert commits[nul].subject == "sub"  # git stops a message at NUL
    assert commits[nul].reverts is None
    assert commits[child].parents == (nul,)
    assert len(commits) == 3


def test_records_are_the_same_wherever_the_stream_is_cut() -> None:
    # The reader hands over git's output in chunks of any size: a cut may fall inside a field,
    # on a NUL, or between records.
    records = [[f"{n}{field}".encode() for field in "abcdefgh"] for n in range(3)]
    stream = b"\0".join(b"\0".join(record) for record in records) + b"\0"

    for cut in range(len(stream) + 1):
        for size in (1, 7, len(stream)):
            rest = stream[cut:]
            chunks = [stream[:cut], *(rest[i : i + size] for i in range(0, len(rest), size))]
            assert [list(record) for record in _records(chunks)] == records


def test_a_stream_ending_inside_a_record_is_an_error() -> None:
    with pytest.raises(GitFailed, match="middle of a commit"):
        list(_records([b"a\0b\0c\0"]))


def test_messages_in_a_declared_legacy_encoding_are_read_as_unicode(repo: GitRepo) -> None:
    message = repo.path / "message.txt"
    message.write_bytes("Café für Zoë".encode("latin-1"))
    repo.git(
        "-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "--allow-empty", "-F", str(message)
    )

    assert read(repo)[0].subject == "Café für Zoë"


def test_a_git_dir_in_the_environment_does_not_redirect_the_read(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = repo.commit("Mine")
    other = GitRepo.create(tmp_path / "other")
    other.commit("Not mine")
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))  # as inside a git hook

    assert [c.sha for c in read(repo)] == [sha]


def test_commits_on_every_branch_and_remote_are_read_but_not_notes_or_stash(
    repo: GitRepo,
) -> None:
    base = repo.commit("Base", files={"a.txt": "a\n"})
    repo.branch("side")
    side = repo.commit("Only on side")
    repo.checkout("main")
    repo.git("update-ref", "refs/remotes/origin/gone", repo.commit("Soon only remote"))
    remote = repo.head()
    repo.git("reset", "--quiet", "--hard", base)
    repo.git("notes", "add", "-m", "a note", base)
    (repo.path / "a.txt").write_text("dirty\n")
    repo.git("stash", "--quiet")

    assert set(by_sha(read(repo))) == {base, side, remote}


def test_incremental_read_returns_only_commits_after_the_saved_tips(repo: GitRepo) -> None:
    old = [repo.commit("One"), repo.commit("Two")]
    repo.tag("v1.0", annotated=True)
    tips = git.read_refs(git.open_repository(repo.path)).tips
    assert tips == [old[-1]]
    assert len(read(repo)) == 2

    new_on_main = repo.commit("Three")
    repo.branch("feature", old[0])
    new_on_branch = repo.commit("Side")

    assert {c.sha for c in read(repo, exclude=tips)} == {new_on_main, new_on_branch}
    assert read(repo, exclude=git.read_refs(git.open_repository(repo.path)).tips) == []


def test_exclude_tolerates_forgotten_commits_and_rejects_non_shas(repo: GitRepo) -> None:
    sha = repo.commit("One")
    gone = "0123456789abcdef0123456789abcdef01234567"

    assert [c.sha for c in read(repo, exclude=[gone] * 5000)] == [sha]
    with pytest.raises(InvalidInput, match="not a commit sha"):
        read(repo, exclude=["--output=/tmp/x"])


def test_existing_commits_keeps_known_commits_in_order(repo: GitRepo) -> None:
    first, second = repo.commit("One"), repo.commit("Two")
    tree = repo.git("rev-parse", "HEAD^{tree}")
    path = git.open_repository(repo.path)

    gone = "f" * 40
    assert git.existing_commits(path, [second, gone, first[:10], tree]) == [second, first]
    assert git.existing_commits(path, []) == []


def test_progress_is_reported_every_thousand_commits_and_at_the_end(repo: GitRepo) -> None:
    stream = "".join(
        f"commit refs/heads/main\nmark :{n}\ncommitter A <a@example.com> {1767225600 + n} +0000\n"
        f"data {len(f'c{n}')}\nc{n}\n" + (f"from :{n - 1}\n" if n > 1 else "") + "\n"
        for n in range(1, 2501)
    )
    subprocess.run(
        ["git", "-C", str(repo.path), "fast-import", "--quiet"], input=stream.encode(), check=True
    )
    calls: list[int] = []

    commits = list(git.read_commits(repo.path, "acme/api", on_progress=calls.append))

    assert calls == [1000, 2000, 2500]
    assert len(commits) == 2500
    assert commits[0].subject == "c2500"


def test_stopping_early_ends_the_git_process(repo: GitRepo) -> None:
    for n in range(3):
        repo.commit(f"c{n}", files={"big.txt": "x" * 200_000 + str(n)})
    stream = git.read_commits(repo.path, "acme/api")
    assert isinstance(stream, GeneratorType)

    assert next(stream).subject == "c2"
    stream.close()  # must not hang waiting for git, nor raise


def test_empty_repository_yields_nothing(repo: GitRepo) -> None:
    path = git.open_repository(repo.path)

    assert list(git.read_commits(path, "acme/api")) == []
    assert git.read_tags(path) == []
    assert git.read_refs(path) == Refs([], [])


def test_bare_clone_reads_the_same_as_its_source(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("One", author_date="2026-01-01T10:00:00+02:00")
    repo.branch("feature")
    repo.commit("Two")
    repo.checkout("main")
    repo.merge("feature", "Merge")
    repo.tag("v1.0.0", annotated=True, date="2026-01-03T00:00:00Z")
    bare = repo.clone_bare(tmp_path / "clone.git")

    assert read(bare) == read(repo)
    assert git.read_tags(bare.path) == git.read_tags(repo.path)
    assert git.read_refs(bare.path) == git.read_refs(repo.path)


# ---------------------------------------------------------------------------------------------
# Opening a repository, git failures
# ---------------------------------------------------------------------------------------------


def test_open_repository_accepts_work_tree_subfolder_and_bare(
    repo: GitRepo, tmp_path: Path
) -> None:
    repo.commit("One", files={"src/app.py": "x\n"})
    bare = repo.clone_bare(tmp_path / "bare.git")

    assert git.open_repository(repo.path) == repo.path.resolve()
    assert git.open_repository(str(repo.path / "src")) == (repo.path / "src").resolve()
    assert git.open_repository(bare.path) == bare.path.resolve()
    assert len(read(GitRepo(repo.path / "src"))) == 1


def test_a_plain_folder_is_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(NotARepository, match=r"plain is not a git repository: give the path"):
        git.open_repository(tmp_path / "plain")
    with pytest.raises(NotARepository, match="no such folder"):
        git.open_repository(tmp_path / "missing")


def test_git_errors_carry_what_git_said(tmp_path: Path) -> None:
    with pytest.raises(GitFailed, match=r"`git log` failed in .*not a git repository"):
        list(git.read_commits(tmp_path, "acme/api"))


def test_missing_git_executable_is_a_clear_error(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(GitFailed, match="git is not installed"):
        list(git.read_commits(repo.path, "acme/api"))
    with pytest.raises(GitFailed, match="git is not installed"):
        git.read_tags(repo.path)


# ---------------------------------------------------------------------------------------------
# Tags
# ---------------------------------------------------------------------------------------------


def test_annotated_and_lightweight_tags(repo: GitRepo) -> None:
    old = repo.commit("Old", author_date="2026-01-01T00:00:00Z")
    head = repo.commit(
        "New", author_date="2026-01-02T00:00:00Z", committer_date="2026-01-02T06:00:00+03:00"
    )
    repo.tag("light", head)
    repo.tag("v1.0.0", head, annotated=True, date="2026-01-05T08:00:00-08:00")
    repo.tag("v0.9.0", old, annotated=True, date="2026-02-01T00:00:00Z")  # an old commit

    assert git.read_tags(git.open_repository(repo.path)) == [
        TagRef("light", head, at("2026-01-02T03:00:00Z"), annotated=False),
        TagRef("v0.9.0", old, at("2026-02-01T00:00:00Z"), annotated=True),
        TagRef("v1.0.0", head, at("2026-01-05T16:00:00Z"), annotated=True),
    ]


def test_tags_of_tags_are_peeled_and_tags_of_trees_skipped(repo: GitRepo) -> None:
    sha = repo.commit("One", files={"a.txt": "a\n"})
    repo.tag("inner", annotated=True, date="2026-01-05T00:00:00Z")
    repo.tag("outer", "inner", annotated=True, date="2026-01-06T00:00:00Z")
    repo.tag("outermost", "outer", annotated=True, date="2026-01-07T00:00:00Z")
    repo.tag("light-on-tag", "inner")  # a lightweight ref to a tag object
    repo.tag("tree", "HEAD^{tree}")
    repo.tag("tree-annotated", "HEAD^{tree}", annotated=True)
    repo.tag("blob", "HEAD:a.txt")
    path = git.open_repository(repo.path)

    assert git.read_tags(path) == [
        TagRef("inner", sha, at("2026-01-05T00:00:00Z"), annotated=True),
        TagRef("light-on-tag", sha, at("2026-01-05T00:00:00Z"), annotated=True),
        TagRef("outer", sha, at("2026-01-06T00:00:00Z"), annotated=True),
        TagRef("outermost", sha, at("2026-01-07T00:00:00Z"), annotated=True),
    ]
    assert git.read_refs(path) == Refs([sha], git.read_tags(path))


def test_refs_give_tips_and_tags_from_one_git_process(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An ingest takes its tips and its tags at one moment: one `git for-each-ref`, so a tag
    # pushed in between cannot name a commit the tips (and so the commit read) do not hold.
    tagged = repo.commit("Released", author_date="2026-01-01T00:00:00Z")
    repo.tag("v1.0.0", annotated=True, date="2026-01-02T00:00:00Z")
    repo.tag("nested", "v1.0.0", annotated=True, date="2026-01-03T00:00:00Z")
    repo.branch("feature")
    untagged = repo.commit("Work in progress")
    repo.git("update-ref", "refs/remotes/origin/main", tagged)
    path = git.open_repository(repo.path)
    tags = git.read_tags(path)  # its own for-each-ref, of refs/tags only
    calls: list[tuple[str, ...]] = []
    real_run_git = git.run_git

    def counted(where: Path, *args: str, **kwargs: str) -> str:
        calls.append(args)
        return real_run_git(where, *args, **kwargs)

    monkeypatch.setattr(git, "run_git", counted)
    refs = git.read_refs(path)

    assert refs == Refs(sorted({tagged, untagged}), tags)
    assert [tag.name for tag in refs.tags] == ["nested", "v1.0.0"]  # no branch among them
    assert [args[0] for args in calls] == ["for-each-ref", "cat-file"]  # cat-file: the nested tag


def test_an_annotated_tag_without_tagger_takes_the_commit_date(repo: GitRepo) -> None:
    sha = repo.commit("Old import", author_date="2026-01-01T00:00:00Z")

    def raw_tag(name: str, target: str, kind: str) -> None:
        made = subprocess.run(
            [
                "git",
                "-C",
                str(repo.path),
                "hash-object",
                "-t",
                "tag",
                "-w",
                "--literally",
                "--stdin",
            ],
            input=f"object {target}\ntype {kind}\ntag {name}\n\nno tagger\n".encode(),
            capture_output=True,
            check=True,
        )
        repo.git("update-ref", f"refs/tags/{name}", made.stdout.decode().strip())

    raw_tag("v0.1", sha, "commit")
    raw_tag("v0.1-again", repo.git("rev-parse", "v0.1"), "tag")

    assert git.read_tags(git.open_repository(repo.path)) == [
        TagRef("v0.1", sha, at("2026-01-01T00:00:00Z"), annotated=True),
        TagRef("v0.1-again", sha, at("2026-01-01T00:00:00Z"), annotated=True),
    ]


ACCEPTED = ["v1.2.3", "1.4", "release-2026.01.5", "api/v2.0.1", "rel_3.1", "V10", "v1",
            "services/billing/v3.2.1", "myapp-1.0.0", "release/2026.1", "2026.01.15"]  # fmt: skip
REJECTED = ["v1.2.0-rc1", "2.0.0b1", "1.0.0-alpha.1", "v1.0.0-beta", "v2.0.0-pre.1",
            "1.0.0.dev3", "v3.0.0-SNAPSHOT", "rc-2.0", "beta2", "nightly-2026.01.02",
            "latest", "stable", "foo", "v", "release-", "v1.2.x", "v1..2", "1.2.3-hotfix",
            "v1.2.3 ", ""]  # fmt: skip


@pytest.mark.parametrize("name", ACCEPTED)
def test_default_version_tag_accepts_releases(name: str) -> None:
    assert git.tag_matcher(None)(name)


@pytest.mark.parametrize("name", REJECTED)
def test_default_version_tag_rejects_prereleases_and_other_names(name: str) -> None:
    assert not git.tag_matcher(None)(name)


def test_glob_matcher_is_case_sensitive_fnmatch() -> None:
    matches = git.tag_matcher("prod-*")

    assert matches("prod-2026-01-05")
    assert not matches("Prod-1")
    assert not matches("staging-prod-1")
    assert git.tag_matcher("v[0-9]*")("v1.0.0-rc1")
    assert not git.tag_matcher("v[0-9]*")("version")


@pytest.mark.parametrize("glob", ["", "   ", "v 1*", "a:b", "v1^", "x~1", "back\\slash"])
def test_glob_matcher_rejects_patterns_no_tag_can_match(glob: str) -> None:
    with pytest.raises(InvalidInput, match="tag pattern"):
        git.tag_matcher(glob)


def test_deployments_from_tags(repo: GitRepo) -> None:
    one = repo.commit("One")
    two = repo.commit("Two")
    repo.tag("v1.0.0", one, annotated=True, date="2026-01-05T00:00:00Z")
    repo.tag("v1.1.0-rc1", two, annotated=True, date="2026-01-06T00:00:00Z")
    repo.tag("v1.1.0", two, annotated=True, date="2026-01-07T00:00:00Z")
    repo.tag("api/v1.1.0", two, annotated=True, date="2026-01-07T00:00:00Z")
    repo.tag("nightly", two)
    tags = git.read_tags(git.open_repository(repo.path))

    found = git.deployments_from_tags(tags, git.tag_matcher(None), "api", "acme/api", "live")

    def deployment(name: str, sha: str, when: str) -> Deployment:
        return Deployment(
            service="api", environment="live", sha=sha, finished_at=at(when),
            external_id=f"git-tag:acme/api#api:{name}", source="git", repository="acme/api",
            status=DeploymentStatus.SUCCESS, ref=name,
        )  # fmt: skip

    assert found == [
        deployment("v1.0.0", one, "2026-01-05T00:00:00Z"),
        deployment("api/v1.1.0", two, "2026-01-07T00:00:00Z"),
        deployment("v1.1.0", two, "2026-01-07T00:00:00Z"),
    ]
    # The repository as its own service keeps ids without the service (stored before monorepos).
    whole = git.deployments_from_tags(tags, git.tag_matcher(None), "acme/api", "acme/api")
    assert [item.external_id for item in whole] == [
        "git-tag:acme/api:v1.0.0",
        "git-tag:acme/api:api/v1.1.0",
        "git-tag:acme/api:v1.1.0",
    ]
    assert found[0].started_at is None


# ---------------------------------------------------------------------------------------------
# Branch deployments
# ---------------------------------------------------------------------------------------------


def test_first_parent_commits_follow_the_branch_not_merged_work(repo: GitRepo) -> None:
    c1 = repo.commit("One", author_date="2026-01-01T00:00:00Z")
    repo.branch("feature")
    f1 = repo.commit("F1", author_date="2026-01-02T00:00:00Z")
    repo.checkout("main")
    merge = repo.merge("feature", "Merge feature", date="2026-01-03T00:00:00+02:00")
    c3 = repo.commit(
        "Three", author_date="2026-01-01T12:00:00Z", committer_date="2026-01-04T00:00:00Z"
    )
    repo.checkout("feature")
    repo.commit("F2, not on main")
    path = git.open_repository(repo.path)

    commits = git.first_parent_commits(path, "main")

    assert commits == [
        (c3, at("2026-01-04T00:00:00Z")),
        (merge, at("2026-01-02T22:00:00Z")),
        (c1, at("2026-01-01T00:00:00Z")),
    ]
    assert f1 not in dict(commits)
    assert git.deployments_from_branch(commits, "main", "api", "acme/api") == [
        Deployment(
            service="api", environment="production", sha=sha, finished_at=when,
            external_id=f"git-branch:acme/api#api:main:{sha}", source="git",
            repository="acme/api", ref="main",
        )
        for sha, when in reversed(commits)
    ]  # fmt: skip


def test_unknown_branch_names_the_existing_ones(repo: GitRepo) -> None:
    repo.commit("One")
    repo.branch("develop")
    path = git.open_repository(repo.path)

    with pytest.raises(InvalidInput, match=r"branch 'mian' not found .*: develop, main"):
        git.first_parent_commits(path, "mian")
    with pytest.raises(InvalidInput, match="not found"):
        git.first_parent_commits(path, "--output=/tmp/x")


def test_unknown_branch_in_an_empty_repository(repo: GitRepo) -> None:
    with pytest.raises(InvalidInput, match="has no branches yet"):
        git.first_parent_commits(git.open_repository(repo.path), "main")


# ---------------------------------------------------------------------------------------------
# Line counts
# ---------------------------------------------------------------------------------------------


def test_line_stats_count_renames_binaries_merges_and_empty_commits(repo: GitRepo) -> None:
    ten = "".join(f"line {n}\n" for n in range(10))
    root = repo.commit("Root", files={"a.txt": ten, "logo.png": b"\x89PNG\x00\x01\x02"})
    moved = repo.commit(
        "Move and edit", files={"a.txt": None, "docs/b.txt": ten.replace("line 3", "LINE 3")}
    )
    repo.branch("feature")
    feature = repo.commit("Feature", files={"c.txt": "x\ny\n", "logo.png": b"\x89PNG\x00\x09"})
    repo.checkout("main")
    deleted = repo.commit("Delete", files={"docs/b.txt": None})
    merge = repo.merge("feature", "Merge feature")
    empty = repo.commit("Nothing")
    shas = [root, moved, feature, deleted, merge, empty]

    stats = list(git.line_stats(repo.path, shas, workers=2, batch=1))

    assert stats == [
        (root, 10, 0, 2),  # the binary is a file with no lines
        (moved, 1, 1, 1),  # a move with one edited line, not 10 deleted + 10 added
        (feature, 2, 0, 2),
        (deleted, 0, 10, 1),
        (merge, 2, 0, 2),  # against the first parent: what the merge brought into main
        (empty, 0, 0, 0),
    ]
    assert list(git.line_stats(repo.path, [s.upper() for s in shas[:1]])) == stats[:1]


def test_line_stats_needs_full_shas_and_skips_unknown_commits(repo: GitRepo) -> None:
    sha = repo.commit("One", files={"a.txt": "a\n"})

    assert list(git.line_stats(repo.path, ["0123456789" * 4, sha])) == [(sha, 1, 0, 1)]
    with pytest.raises(InvalidInput, match="full commit shas"):
        list(git.line_stats(repo.path, [sha[:12]]))
