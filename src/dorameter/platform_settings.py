"""Settings for reading GitHub and GitLab: per-platform defaults and the repositories to sync.

The settings file's [github], [gitlab] and [[repositories]] tables (docs/github-gitlab.md):

    [github]
    api_url = "https://github.example.com/api/v3"   # default: the public API
    token_env = "GITHUB_TOKEN"                       # where the token is read from
    since = "180d"                                   # how far back a first run reads
    deployments = ["environments"]                   # the default deployment definition
    incident_labels = ["incident"]
    not_change_labels = ["not-change-caused"]

    [[repositories]]
    github = "acme/*-service"        # or gitlab = "group/project"; a glob matches many
    service = "{name}"               # default "{path}": the repository's path
    team = "payments"
    deployments = ["workflow:Deploy*@production"]
    incident_labels = ["incident", "outage"]
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from dorameter.errors import InvalidInput
from dorameter.model import IncidentRules
from dorameter.sources.platform import DEFAULT_SINCE, DeploymentRule, parse_deployment_spec
from dorameter.timestamps import parse_duration

PLATFORMS = ("github", "gitlab")
DEFAULT_API_URLS = {"github": "https://api.github.com", "gitlab": "https://gitlab.com/api/v4"}
DEFAULT_TOKEN_ENVS = {"github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN"}
PLATFORM_KEYS = (
    "api_url",
    "token_env",
    "since",
    "deployments",
    "incident_labels",
    "not_change_labels",
)
REPOSITORY_KEYS = (
    "github",
    "gitlab",
    "service",
    "team",
    "deployments",
    "incident_labels",
    "not_change_labels",
)


@dataclass(frozen=True)
class PlatformDefaults:
    """How to reach one platform and what its repositories use unless they say otherwise."""

    api_url: str
    token_env: str
    since: timedelta = DEFAULT_SINCE
    deployments: tuple[DeploymentRule, ...] = parse_deployment_spec("environments")
    incidents: IncidentRules = IncidentRules()


def default_platforms() -> dict[str, PlatformDefaults]:
    return {
        name: PlatformDefaults(DEFAULT_API_URLS[name], DEFAULT_TOKEN_ENVS[name])
        for name in PLATFORMS
    }


@dataclass(frozen=True)
class RepositoryEntry:
    """One [[repositories]] entry: a repository path or glob on a platform, and its service."""

    platform: str
    pattern: str  # "acme/shop" or "acme/*"
    service: str = "{path}"  # "{path}": the repository's path; "{name}": its last part
    team: str | None = None
    deployments: tuple[DeploymentRule, ...] | None = None  # None: the platform's default
    incidents: IncidentRules | None = None

    def service_for(self, path: str) -> str:
        return self.service.replace("{path}", path).replace("{name}", path.rsplit("/", 1)[-1])


def platforms_from_file(
    data: dict[str, Any], platforms: dict[str, PlatformDefaults]
) -> dict[str, PlatformDefaults]:
    """[github] and [gitlab] tables over the defaults."""
    found = dict(platforms)
    for name in PLATFORMS:
        table = data.get(name)
        if table is None:
            continue
        check_table(table, f"[{name}]", PLATFORM_KEYS)
        found[name] = _platform(found[name], table, f"[{name}]")
    return found


def _platform(defaults: PlatformDefaults, table: dict[str, Any], where: str) -> PlatformDefaults:
    changes: dict[str, Any] = {}
    for key in ("api_url", "token_env"):
        if key in table:
            changes[key] = required_text(table, key, where)
    if "since" in table:
        try:
            changes["since"] = parse_duration(required_text(table, "since", where))
        except InvalidInput as error:
            raise InvalidInput(f"{where}.since: {error}") from None
    if "deployments" in table:
        changes["deployments"] = deployment_rules(table, where)
    if rules := _incident_rules(table, where, defaults.incidents):
        changes["incidents"] = rules
    return replace(defaults, **changes)


def repositories_from_file(data: dict[str, Any]) -> tuple[RepositoryEntry, ...]:
    """The [[repositories]] entries, checked."""
    entries = data.get("repositories", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise InvalidInput("[[repositories]] must be an array of tables")
    return tuple(_entry(entry, index) for index, entry in enumerate(entries, 1))


def _entry(table: dict[str, Any], index: int) -> RepositoryEntry:
    where = f"[[repositories]] entry {index}"
    check_table(table, where, REPOSITORY_KEYS)
    named = [platform for platform in PLATFORMS if platform in table]
    if len(named) != 1:
        raise InvalidInput(
            f'{where} needs exactly one of github = "OWNER/NAME" or gitlab = "GROUP/PROJECT"'
        )
    platform = named[0]
    pattern = required_text(table, platform, where)
    if "/" not in pattern:
        raise InvalidInput(f"{where}: {platform} = {pattern!r} must be a path like OWNER/NAME")
    return RepositoryEntry(
        platform=platform,
        pattern=pattern,
        service=required_text(table, "service", where) if "service" in table else "{path}",
        team=required_text(table, "team", where) if "team" in table else None,
        deployments=deployment_rules(table, where) if "deployments" in table else None,
        incidents=_incident_rules(table, where, IncidentRules()),
    )


def deployment_rules(table: dict[str, Any], where: str) -> tuple[DeploymentRule, ...]:
    """A table's `deployments` list of definitions; InvalidInput naming `where`.deployments."""
    value = table["deployments"]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidInput(f"{where}.deployments must be a list of definitions")
    try:
        return parse_deployment_spec(value)
    except InvalidInput as error:
        raise InvalidInput(f"{where}.deployments: {error}") from None


def _incident_rules(table: dict[str, Any], where: str, base: IncidentRules) -> IncidentRules | None:
    """Incident rules when the table sets labels, else None."""
    if "incident_labels" not in table and "not_change_labels" not in table:
        return None
    changes = {
        field: tuple(_labels(table, key, where))
        for key, field in (
            ("incident_labels", "labels"),
            ("not_change_labels", "not_change_labels"),
        )
        if key in table
    }
    return replace(base, **changes)


def _labels(table: dict[str, Any], key: str, where: str) -> list[str]:
    value = table[key]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidInput(f"{where}.{key} must be a list of label names")
    return value


def required_text(table: dict[str, Any], key: str, where: str) -> str:
    """A non-empty string setting, stripped; InvalidInput naming `where`.key otherwise."""
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{where}.{key} must be a non-empty string")
    return value.strip()


def check_table(table: Any, where: str, allowed: tuple[str, ...]) -> None:
    """A settings table with only the allowed keys; an unknown key is reported, not ignored."""
    if not isinstance(table, dict):
        raise InvalidInput(f"{where} must be a table of settings")
    extra = sorted(key for key in table if key not in allowed)
    if extra:
        raise InvalidInput(f"unknown setting {where}.{extra[0]}; it takes {', '.join(allowed)}")
