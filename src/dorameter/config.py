"""Settings: built-in defaults < configuration file < environment < command-line flags.

Loaded at the edges (CLI, web) and passed inward; nothing reads the environment elsewhere.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from dorameter.errors import InvalidInput
from dorameter.metrics.bands import BAND_YEARS, DEFAULT_BAND_YEAR
from dorameter.model import BotRules, FailureSettings, Tier
from dorameter.monorepo import ServiceEntry, services_from_file
from dorameter.platform_settings import (
    PLATFORM_KEYS,
    PlatformDefaults,
    RepositoryEntry,
    default_platforms,
    platforms_from_file,
    repositories_from_file,
)
from dorameter.store.database import DATABASE_URL_ENV, default_database_url
from dorameter.timestamps import parse_duration

CONFIG_ENV = "DORAMETER_CONFIG"
DEFAULT_CONFIG_FILE = "dorameter.toml"

DEFAULT_TIERS: tuple[tuple[Tier, tuple[str, ...]], ...] = (
    (Tier.PRODUCTION, ("prod", "prod-*", "prod_*", "production", "production-*", "live", "prd")),
    (Tier.STAGING, ("staging", "staging-*", "stage", "stg", "preprod", "pre-prod", "uat")),
    (Tier.TESTING, ("test", "testing", "qa", "qa-*", "ci")),
    (Tier.DEVELOPMENT, ("dev", "dev-*", "development", "local", "review/*", "preview*")),
)


@dataclass(frozen=True)
class EnvironmentTiers:
    """Map environment names to tiers with case-insensitive glob patterns, first match wins."""

    patterns: tuple[tuple[Tier, tuple[str, ...]], ...] = DEFAULT_TIERS

    def tier(self, environment: str) -> Tier:
        name = environment.lower()
        for tier, globs in self.patterns:
            if any(fnmatchcase(name, glob.lower()) for glob in globs):
                return tier
        return Tier.OTHER

    def named(self, tier: Tier, environments: list[str]) -> list[str]:
        """The given environment names that belong to a tier."""
        return [name for name in environments if self.tier(name) is tier]


# Webhook secrets come only from the environment (a settings file tends to get committed).
GITHUB_SECRET_ENV = "DORAMETER_GITHUB_WEBHOOK_SECRET"
GITLAB_TOKEN_ENV = "DORAMETER_GITLAB_WEBHOOK_TOKEN"
PAGERDUTY_SECRET_ENV = "DORAMETER_PAGERDUTY_SECRET"
OPSGENIE_TOKEN_ENV = "DORAMETER_OPSGENIE_TOKEN"
API_TOKEN_ENV = "DORAMETER_API_TOKEN"  # what `record --server` and `push` send to a server
DEFAULT_MAX_BODY = 5 * 1024 * 1024


@dataclass(frozen=True)
class ServerSettings:
    """What `dorameter serve` needs: webhook secrets (never printed) and request limits."""

    github_secret: str | None = field(default=None, repr=False)
    gitlab_token: str | None = field(default=None, repr=False)
    pagerduty_secret: str | None = field(default=None, repr=False)
    opsgenie_token: str | None = field(default=None, repr=False)
    max_body_bytes: int = DEFAULT_MAX_BODY
    read_auth: bool = False  # the read API, dashboard and /metrics also need an API token


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the defaults metrics.md specifies."""

    database_url: str = field(default_factory=default_database_url)
    bands: str = DEFAULT_BAND_YEAR
    failure: FailureSettings = FailureSettings()
    backfill_horizon: timedelta = timedelta(days=30)
    tiers: EnvironmentTiers = EnvironmentTiers()
    server: ServerSettings = ServerSettings()
    bots: BotRules = BotRules()  # never reviewers (flow diagnosis); reviews are stored as they are
    platforms: dict[str, PlatformDefaults] = field(default_factory=default_platforms)
    repositories: tuple[RepositoryEntry, ...] = ()  # what `ingest github/gitlab` syncs
    services: tuple[ServiceEntry, ...] = ()  # monorepo services defined by path prefixes

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the non-None values replaced (flags given on the command line)."""
        given = {key: value for key, value in changes.items() if value is not None}
        if "bands" in given:
            check_band_year(given["bands"])
        return replace(self, **given)


def check_band_year(year: str) -> str:
    if year not in BAND_YEARS:
        raise InvalidInput(f"unknown bands {year!r}; choose one of {', '.join(BAND_YEARS)}")
    return year


def load_settings(
    config_path: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Defaults, then the TOML file (flag, DORAMETER_CONFIG or ./dorameter.toml), then env."""
    env = os.environ if environ is None else environ
    path = config_path or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    if path is None and Path(DEFAULT_CONFIG_FILE).is_file():
        path = Path(DEFAULT_CONFIG_FILE)
    settings = Settings(database_url=default_database_url(dict(env)))
    if path is not None:
        settings = _apply_file(settings, _read_toml(path))
    if env.get(DATABASE_URL_ENV):
        settings = replace(settings, database_url=env[DATABASE_URL_ENV])
    return replace(settings, server=_server_secrets(settings.server, env))


def _server_secrets(server: ServerSettings, env: Mapping[str, str]) -> ServerSettings:
    return replace(
        server,
        github_secret=env.get(GITHUB_SECRET_ENV) or None,
        gitlab_token=env.get(GITLAB_TOKEN_ENV) or None,
        pagerduty_secret=env.get(PAGERDUTY_SECRET_ENV) or None,
        opsgenie_token=env.get(OPSGENIE_TOKEN_ENV) or None,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise InvalidInput(f"configuration file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"configuration file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read configuration file {path}: {exc.strerror}") from None


# The keys a settings file may hold; anything else is a typo that would silently be ignored.
_FILE_KEYS: dict[str, tuple[str, ...]] = {
    "store": ("url",),
    "metrics": ("bands", "failure_window", "hotfix_pattern", "backfill_horizon"),
    "environments": (),  # tier names, checked by _tiers
    "server": ("max_body_bytes",),
    "flow": ("bots",),
    "github": PLATFORM_KEYS,
    "gitlab": PLATFORM_KEYS,
    "repositories": (),  # an array of tables, checked by platform_settings
    "services": (),  # an array of tables, checked by monorepo
}


def _apply_file(settings: Settings, data: dict[str, Any]) -> Settings:
    unknown = sorted(set(data) - set(_FILE_KEYS))
    if unknown:
        tables = ", ".join(f"[{key}]" for key in _FILE_KEYS)
        raise InvalidInput(f"unknown setting {unknown[0]!r}; the settings file has {tables}")
    store = _section(data, "store")
    metrics = _section(data, "metrics")
    failure = settings.failure
    if "failure_window" in metrics:
        failure = replace(failure, window=_duration(metrics, "failure_window"))
    if "hotfix_pattern" in metrics:
        failure = replace(failure, hotfix_pattern=_pattern(metrics, "hotfix_pattern"))
    changes: dict[str, Any] = {"failure": failure}
    if "url" in store:
        changes["database_url"] = _text(store, "store", "url")
    if "bands" in metrics:
        try:
            changes["bands"] = check_band_year(str(metrics["bands"]))
        except InvalidInput as error:
            raise InvalidInput(f"[metrics].bands: {error}") from None
    if "backfill_horizon" in metrics:
        changes["backfill_horizon"] = _duration(metrics, "backfill_horizon")
    if "environments" in data:
        changes["tiers"] = _tiers(_section(data, "environments"))
    if "server" in data:
        changes["server"] = _server(settings.server, _section(data, "server"))
    if "flow" in data:
        changes["bots"] = _bots(_section(data, "flow"))
    changes["platforms"] = platforms_from_file(data, settings.platforms)
    if "repositories" in data:
        changes["repositories"] = repositories_from_file(data)
    if "services" in data:
        changes["services"] = services_from_file(data)
    return replace(settings, **changes)


def _bots(flow: dict[str, Any]) -> BotRules:
    if "bots" not in flow:
        return BotRules()
    patterns = flow["bots"]
    if not isinstance(patterns, list) or not all(isinstance(item, str) for item in patterns):
        raise InvalidInput("[flow].bots must be a list of regular expressions")
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise InvalidInput(
                f"[flow].bots: {pattern!r} is not a valid Python regular expression ({error})"
            ) from None
    return BotRules(tuple(patterns))


def _server(server: ServerSettings, table: dict[str, Any]) -> ServerSettings:
    if "max_body_bytes" in table:
        size = table["max_body_bytes"]
        if isinstance(size, bool) or not isinstance(size, int) or size < 1024:
            raise InvalidInput("[server].max_body_bytes must be a whole number of at least 1024")
        server = replace(server, max_body_bytes=size)
    return server


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    """A table of the settings file, checked for unknown keys; {} when absent."""
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise InvalidInput(f"[{name}] must be a table of settings")
    allowed = _FILE_KEYS[name]
    extra = sorted(key for key in table if allowed and key not in allowed)
    if extra:
        raise InvalidInput(
            f"unknown setting [{name}].{extra[0]}; [{name}] takes {', '.join(allowed)}"
        )
    return table


def _text(table: dict[str, Any], section: str, key: str) -> str:
    value = table[key]
    if not isinstance(value, str):
        raise InvalidInput(f"[{section}].{key} must be a string")
    return value


def _duration(metrics: dict[str, Any], key: str) -> timedelta:
    try:
        return parse_duration(_text(metrics, "metrics", key))
    except InvalidInput as error:
        raise InvalidInput(f"[metrics].{key}: {error}") from None


def _pattern(metrics: dict[str, Any], key: str) -> str:
    pattern = _text(metrics, "metrics", key)
    try:
        re.compile(pattern)
    except re.error as error:
        raise InvalidInput(
            f"[metrics].{key}: {pattern!r} is not a valid Python regular expression ({error})"
        ) from None
    return pattern


def _tiers(table: dict[str, Any]) -> EnvironmentTiers:
    patterns = []
    for name, globs in table.items():
        try:
            tier = Tier(name)
        except ValueError:
            choices = ", ".join(tier.value for tier in Tier)
            raise InvalidInput(f"unknown tier [environments].{name}; use {choices}") from None
        if not isinstance(globs, list) or not all(isinstance(glob, str) for glob in globs):
            raise InvalidInput(f"[environments].{name} must be a list of name patterns")
        patterns.append((tier, tuple(globs)))
    return EnvironmentTiers(tuple(patterns))
