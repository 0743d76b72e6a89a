"""Which services one git repository holds, and the deployments git shows for each of them.

A repository is one service by default. A monorepo holds several, each defined by path
prefixes (the settings file's [[services]], or `--service NAME --path PREFIX`): each gets its
own deployments (its own release tags, or the merges to a branch that touch its paths) and
ships only the commits under its paths. A service whose deployments come from GitHub or GitLab
(its `deployments` definitions) gets none from git unless it names its tags or branch too: the
same release read twice would count twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dorameter.errors import InvalidInput
from dorameter.model import Deployment
from dorameter.monorepo import PathPrefixes, ServiceEntry
from dorameter.sources import git


@dataclass(frozen=True)
class GitIngestOptions:
    """How to read one repository and what counts as a deployment in it."""

    path: Path
    service: str | None = None
    tag_pattern: str | None = None
    deploy_branch: str | None = None
    environment: str = "production"
    line_counts: bool = False  # lines added/deleted per commit: costly, so only when asked
    paths: tuple[str, ...] = ()  # with service: that service is these paths of the repository


@dataclass(frozen=True)
class DeploymentTarget:
    """One service of the repository and how git shows its deployments."""

    service: str
    prefixes: PathPrefixes | None  # None: the whole repository
    tag_pattern: str | None = None
    deploy_branch: str | None = None
    team: str | None = None
    from_git: bool = True  # False: its deployments come from a platform sync, not from git


def repository_name(repo: Path) -> str:
    """A repository's name from its folder: /src/api or /src/api.git -> api."""
    folder = repo.parent if repo.name == ".git" else repo
    return folder.name.removesuffix(".git") or "repository"


def stored_name(repo: Path, options: GitIngestOptions) -> str:
    """The repository's name in the store: --service names it, unless --service names a
    path-defined service inside it (then the folder does)."""
    if options.paths:
        return repository_name(repo)
    return options.service or repository_name(repo)


def targets_for(
    options: GitIngestOptions, services: tuple[ServiceEntry, ...], repository: str
) -> list[DeploymentTarget]:
    """The repository's services: its path-defined ones, or else the repository itself."""
    if options.tag_pattern and options.deploy_branch:
        raise InvalidInput("give either --tag-pattern or --deploy-branch, not both")
    if options.paths and not options.service:
        raise InvalidInput("--path needs --service NAME: the service those paths make up")
    found = [
        DeploymentTarget(
            entry.name,
            entry.paths,
            entry.tag_pattern
            or _unless(entry.deploy_branch or entry.deployments, options.tag_pattern),
            entry.deploy_branch
            or _unless(entry.tag_pattern or entry.deployments, options.deploy_branch),
            entry.team,
            from_git=bool(entry.tag_pattern or entry.deploy_branch or not entry.deployments),
        )
        for entry in services
        if entry.repository == repository and entry.name != options.service
    ]
    if options.paths and options.service:
        prefixes = PathPrefixes(options.paths)
        found.append(
            DeploymentTarget(options.service, prefixes, options.tag_pattern, options.deploy_branch)
        )
    if found:
        return sorted(found, key=lambda target: target.service)
    whole = DeploymentTarget(repository, None, options.tag_pattern, options.deploy_branch)
    return [whole]


def _unless(own: object, inherited: str | None) -> str | None:
    """A service with its own kind of deployment definition does not inherit another kind."""
    return None if own else inherited


@dataclass
class GitDeployments:
    """What git showed this run: deployments per target, and the branch tips to remember."""

    found: dict[str, list[Deployment]]
    branch_tips: dict[str, str | None]


def read_deployments(
    repo: Path,
    repository: str,
    targets: list[DeploymentTarget],
    environment: str,
    cursor: dict[str, Any],
    touching: dict[PathPrefixes, set[str]],
    tags: list[git.TagRef],
) -> GitDeployments:
    """The deployments git shows for each target (`tags`: the repository's, from `read_refs`).

    A branch can hold tens of thousands of deploys: after the first run only the first-parent
    commits that landed since the remembered tip are listed. `touching` holds, per prefix set,
    the commits that changed a file under it: a merge to the branch deploys only the services
    whose paths it touched.
    """
    remembered = _remembered_tips(cursor)
    tips: dict[str, str | None] = {}
    landed: dict[str, list[tuple[str, Any]]] = {}
    found: dict[str, list[Deployment]] = {}
    for target in targets:
        if not target.from_git:
            found[target.service] = []
            continue
        if target.deploy_branch:
            branch = target.deploy_branch
            if branch not in landed:
                landed[branch], tips[branch] = _landed(repo, branch, remembered.get(branch))
            commits = landed[branch]
            if target.prefixes is not None:
                wanted = touching[target.prefixes]
                commits = [item for item in commits if item[0] in wanted]
            found[target.service] = git.deployments_from_branch(
                commits, branch, target.service, repository, environment
            )
            continue
        matcher = git.tag_matcher(target.tag_pattern)
        found[target.service] = git.deployments_from_tags(
            tags, matcher, target.service, repository, environment
        )
    return GitDeployments(found, tips)


def _landed(
    repo: Path, branch: str, previous: str | None
) -> tuple[list[tuple[str, Any]], str | None]:
    after = previous if previous and git.existing_commits(repo, [previous]) else None
    commits = git.first_parent_commits(repo, branch, after=after)
    return commits, (commits[0][0] if commits else after)


def _remembered_tips(cursor: dict[str, Any]) -> dict[str, str]:
    """Branch tips of the previous run (a cursor written before monorepos held just one)."""
    tips = dict(cursor.get("branch_tips") or {})
    if cursor.get("branch") and cursor.get("branch_tip"):
        tips.setdefault(cursor["branch"], cursor["branch_tip"])
    return tips


def missing_deployment_notes(
    targets: list[DeploymentTarget],
    found: dict[str, list[Deployment]],
    tags: list[git.TagRef],
) -> tuple[str, ...]:
    """One note per tag-deployed service whose pattern matched no tag, saying how to fix it."""
    notes = []
    names = [tag.name for tag in tags]
    for target in targets:
        if not target.from_git or target.deploy_branch or found.get(target.service):
            continue
        notes.append(_no_tag_note(target, names, len(targets) > 1))
    return tuple(notes)


def _no_tag_note(target: DeploymentTarget, tags: list[str], several: bool) -> str:
    pattern = f"--tag-pattern {target.tag_pattern!r}" if target.tag_pattern else "version tags"
    if several:
        pattern = f"{target.service}: " + (
            f"tag_pattern {target.tag_pattern!r}" if target.tag_pattern else "version tags"
        )
    if not tags:
        hint = "The repository has no tags: use --deploy-branch main (every merge to it a deploy)"
    else:
        sample = ", ".join(tags[:5]) + (", ..." if len(tags) > 5 else "")
        hint = f"Its tags are {sample}: use --tag-pattern GLOB or --deploy-branch BRANCH"
    return f"No deployment found: {pattern} matched no tag. {hint}."
