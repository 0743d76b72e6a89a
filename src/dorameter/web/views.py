"""What a reader asked to see (period, service, team, environment) and the cached Report for it.

Every read edge (read API, dashboard, /metrics) resolves its query string into a `View` and asks
the `ReportCache` for the Report, so all of them show the same numbers for the same filters.
"""

from __future__ import annotations

import glob
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from dorameter.config import EnvironmentTiers, Settings
from dorameter.errors import InvalidInput, NotFound
from dorameter.model import Period, Tier
from dorameter.report import Report, build_report
from dorameter.store import Store
from dorameter.store.listings import data_version
from dorameter.timestamps import parse_duration, parse_instant

DEFAULT_LAST = "90d"
# The data version is read at most this often; new data shows within this many seconds.
VERSION_CHECK_SECONDS = 1.0
CACHED_REPORTS = 64


@dataclass(frozen=True)
class ViewQuery:
    """The filters as given in the URL (all optional)."""

    since: str | None = None
    until: str | None = None
    last: str | None = None
    service: str | None = None
    team: str | None = None
    environment: str | None = None

    def url_params(self, **changes: str | None) -> str:
        """The query string of this view with some filters changed (None drops one)."""
        values = {key: value for key, value in vars(replace(self, **changes)).items() if value}
        return urlencode(values)


@dataclass(frozen=True)
class View:
    """A resolved query: the period, the services it covers (None: all), the environment."""

    query: ViewQuery
    period: Period
    services: tuple[str, ...] | None
    environment: str | None

    @property
    def key(self) -> tuple[object, ...]:
        return (self.period.since, self.period.until, self.services, self.environment)


def resolve_view(query: ViewQuery, teams: dict[str, str | None], now: datetime) -> View:
    """Check the filters and turn them into a period and a set of services."""
    period = _period(query, now)
    services: tuple[str, ...] | None = None
    if query.service:
        if query.service not in teams:
            raise NotFound(f"no service named {query.service!r}; GET /api/v1/services lists them")
        services = (query.service,)
    if query.team:
        members = tuple(sorted(name for name, team in teams.items() if team == query.team))
        if not members:
            raise NotFound(f"no team named {query.team!r}; GET /api/v1/teams lists them")
        services = tuple(name for name in members if services is None or name in services)
        if not services:
            raise NotFound(f"service {query.service!r} is not in team {query.team!r}")
    return View(query, period, services, query.environment or None)


def _period(query: ViewQuery, now: datetime) -> Period:
    if query.since and query.last:
        raise InvalidInput("give since or last, not both")
    # The default end is the next whole minute, so views within a minute share a cached report.
    default_end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    end = _instant(query.until, "until") if query.until else default_end
    if query.since:
        start = _instant(query.since, "since")
    else:
        start = end - _duration(query.last or DEFAULT_LAST)
    if start >= end:
        raise InvalidInput(
            f"the period is empty: {start:%Y-%m-%d %H:%M} is not before {end:%Y-%m-%d %H:%M}"
        )
    return Period(start, end)


def _instant(text: str, name: str) -> datetime:
    try:
        return parse_instant(text)
    except InvalidInput as exc:
        raise InvalidInput(f"{name}: {exc}") from None


def _duration(text: str) -> timedelta:
    try:
        length = parse_duration(text)
    except InvalidInput as exc:
        raise InvalidInput(f"last: {exc}") from None
    if length > timedelta(days=3660):
        raise InvalidInput(f"last: {text!r} is longer than ten years; give a shorter period")
    return length


def environment_settings(settings: Settings, environment: str | None) -> Settings:
    """Settings whose production tier is the one environment asked for (or unchanged)."""
    if environment is None:
        return settings
    tiers = EnvironmentTiers(((Tier.PRODUCTION, (glob.escape(environment),)),))
    return replace(settings, tiers=tiers)


class ReportCache:
    """Reports per view, dropped as soon as the store's data version changes."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._lock = threading.Lock()
        self._reports: OrderedDict[tuple[object, ...], Report] = OrderedDict()
        self._building: dict[tuple[object, ...], threading.Lock] = {}
        self._version: tuple[int, ...] | None = None
        self._checked = 0.0
        self.hits = 0
        self.misses = 0

    def teams(self) -> dict[str, str | None]:
        return self._store.service_teams()

    def view(self, query: ViewQuery) -> View:
        return resolve_view(query, self.teams(), datetime.now(UTC))

    def report(self, view: View) -> Report:
        """The Report of a view, computed once per data version (concurrent askers wait for it)."""
        return self._report(view, None)

    def team_report(self, view: View, team: str) -> Report:
        """The report of a team's services measured as one (one entry, named after the team)."""
        return self._report(view, team)

    def _report(self, view: View, team: str | None) -> Report:
        self._refresh_version()
        key = (*view.key, team)
        cached = self._cached(key)
        if cached is not None:
            return cached
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            # Whoever held the lock before has built it: a second request does not build again.
            cached = self._cached(key)
            if cached is not None:
                return cached
            settings = environment_settings(self._settings, view.environment)
            if team is None:
                report = build_report(self._store, settings, view.period, view.services)
            else:
                report = build_report(self._store, settings, view.period, team=team)
            with self._lock:
                self.misses += 1
                self._reports[key] = report
                self._building.pop(key, None)
                while len(self._reports) > CACHED_REPORTS:
                    self._reports.popitem(last=False)
        return report

    def _cached(self, key: tuple[object, ...]) -> Report | None:
        with self._lock:
            cached = self._reports.get(key)
            if cached is not None:
                self._reports.move_to_end(key)
                self.hits += 1
            return cached

    def invalidate(self) -> None:
        with self._lock:
            self._reports.clear()
            self._checked = 0.0

    def _refresh_version(self) -> None:
        now = time.monotonic()
        if now - self._checked < VERSION_CHECK_SECONDS:
            return
        version = data_version(self._store.engine)
        with self._lock:
            self._checked = now
            if version != self._version:
                self._reports.clear()
                self._version = version
