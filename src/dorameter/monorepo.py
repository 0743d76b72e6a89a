"""Services defined by path prefixes inside a repository (a monorepo), and their settings.

metrics.md: "For monorepo services, only commits touching the service's path prefixes count
for that service." A prefix names a folder (`services/billing` matches `services/billing/x.py`,
not `services/billing-v2/x.py`) or, when it names a file, that file.

The settings file's [[services]] tables (docs/configuration.md):

    [[services]]
    name = "billing"
    repository = "shop"                  # the stored repository name (git: its folder name)
    paths = ["services/billing", "libs/money"]
    team = "payments"
    tag_pattern = "billing/v*"           # git: its release tags (default: the repository's)
    deploy_branch = "main"               # or: every merge to main that touches its paths
    deployments = ["workflow:Deploy billing"]   # GitHub/GitLab: the platform's deployments
                                         # that are its own (docs/github-gitlab.md, Monorepos)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dorameter.errors import InvalidInput
from dorameter.platform_settings import check_table, deployment_rules, required_text
from dorameter.sources.platform import DeploymentRule

SERVICE_KEYS = (
    "name",
    "repository",
    "paths",
    "team",
    "tag_pattern",
    "deploy_branch",
    "deployments",
)
_TEXT_KEYS = ("team", "tag_pattern", "deploy_branch")


@dataclass(frozen=True)
class PathPrefixes:
    """Normalised folder or file prefixes, relative to the repository root."""

    prefixes: tuple[str, ...]
    # Derived once: a report asks about every changed file of thousands of commits.
    _exact: frozenset[str] = field(init=False, repr=False, compare=False)
    _folders: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        cleaned = sorted({_normalise(prefix) for prefix in self.prefixes})
        if not cleaned:
            raise InvalidInput("a path-defined service needs at least one path")
        object.__setattr__(self, "prefixes", tuple(cleaned))
        object.__setattr__(self, "_exact", frozenset(cleaned))
        object.__setattr__(self, "_folders", tuple(prefix + "/" for prefix in cleaned))

    def touched(self, paths: Iterable[str]) -> bool:
        """Whether any of the changed paths lies under one of the prefixes."""
        return any(map(self.covers, paths))

    def covers(self, path: str) -> bool:
        return path in self._exact or path.startswith(self._folders)

    def stored(self) -> str:
        return "\n".join(self.prefixes)

    @classmethod
    def from_stored(cls, text: str) -> PathPrefixes:
        return cls(tuple(text.split("\n")))


def _normalise(prefix: str) -> str:
    """`./services/billing/` -> `services/billing`; the root itself is refused (use no paths)."""
    cleaned = prefix.strip().replace("\\", "/")
    while cleaned.startswith("./"):
        cleaned = cleaned[2:]
    cleaned = cleaned.strip("/")
    if not cleaned or cleaned == "." or ".." in cleaned.split("/"):
        raise InvalidInput(
            f"path {prefix!r} must name a folder or file inside the repository, such as "
            "services/billing"
        )
    return cleaned


@dataclass(frozen=True)
class ServiceEntry:
    """One [[services]] entry: a service made of some paths of a repository."""

    name: str
    repository: str
    paths: PathPrefixes
    team: str | None = None
    tag_pattern: str | None = None
    deploy_branch: str | None = None
    # Which deployments a GitHub or GitLab sync of the repository gives this service; None:
    # none of them (its deployments come from git or `record deployment`).
    deployments: tuple[DeploymentRule, ...] | None = None


def services_from_file(data: dict[str, Any]) -> tuple[ServiceEntry, ...]:
    """The [[services]] entries, checked: each key, and no service defined twice."""
    entries = data.get("services", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise InvalidInput("[[services]] must be an array of tables")
    found = tuple(_entry(entry, index) for index, entry in enumerate(entries, 1))
    names = [(entry.name, entry.repository) for entry in found]
    for key in names:
        if names.count(key) > 1:
            raise InvalidInput(
                f"[[services]] defines {key[0]!r} in repository {key[1]!r} twice; "
                "list all its paths in one entry"
            )
    return found


def _entry(table: dict[str, Any], index: int) -> ServiceEntry:
    where = f"[[services]] entry {index}"
    check_table(table, where, SERVICE_KEYS)
    missing = [key for key in ("repository", "paths") if key not in table]
    if "deployments" in table and missing:
        # Said apart from the generic message: the platform's deployments are shared out among
        # the path services of one repository, so the rules mean nothing without both.
        raise InvalidInput(
            f"{where}.deployments needs {' and '.join(missing)} as well: platform deployments "
            "go to the services defined by paths in the repository they were read from"
        )
    for key in ("name", "repository", "paths"):
        if key not in table:
            raise InvalidInput(f"{where} needs {key} (it takes {', '.join(SERVICE_KEYS)})")
    paths = table["paths"]
    if isinstance(paths, str):
        paths = [paths]
    if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
        raise InvalidInput(f'{where}.paths must be a list of folders, such as ["services/api"]')
    try:
        prefixes = PathPrefixes(tuple(paths))
    except InvalidInput as error:
        raise InvalidInput(f"{where}.paths: {error}") from None
    optional: dict[str, Any] = {
        key: required_text(table, key, where) for key in _TEXT_KEYS if key in table
    }
    if "tag_pattern" in optional and "deploy_branch" in optional:
        raise InvalidInput(f"{where} takes tag_pattern or deploy_branch, not both")
    if "deployments" in table:
        optional["deployments"] = deployment_rules(table, where)
    return ServiceEntry(
        name=required_text(table, "name", where),
        repository=required_text(table, "repository", where),
        paths=prefixes,
        **optional,
    )
