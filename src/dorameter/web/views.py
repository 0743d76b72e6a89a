"""What a reader asked to see (period, service, team, environment) and the cached Report for it.

Every read edge (read API, dashboard, /metrics) resolves its query string into a `View` and asks
the `ReportCache` for its `ViewData` (the Report and what goes with it), so all of them show the
same numbers for the same filters.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from dorameter.config import EnvironmentTiers, Settings
from dorameter.errors import InvalidInput, NotFound
from dorameter.model import Period, Tier
from dorameter.report import Report, build_report
from dorameter.store import Store
from dorameter.store.listings import Listing, ListQuery, data_version, list_rows
from dorameter.timestamps import parse_duration, parse_instant
from dorameter.web.charts import TimelineFacts
from dorameter.web.refresh import Cached, RefreshingCache

DEFAULT_LAST = "90d"
# The data version is read at most this often; new data shows within this many seconds.
VERSION_CHECK_SECONDS = 1.0
CACHED_REPORTS = 64
# A view read within this many seconds is rebuilt in the background when new data arrives.
REBUILD_RECENT_SECONDS = 600.0
TIMELINE_ROWS = 1000
STOP_WAIT_SECONDS = 10.0


class FilterError(InvalidInput):
    """A filter value that cannot be understood; `parameter` names the filter."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class UnknownFilterValue(NotFound):
    """A service or team filter naming nothing in the store; `parameter` names the filter."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


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
            raise UnknownFilterValue(
                "service", f"no service named {query.service!r}; GET /api/v1/services lists them"
            )
        services = (query.service,)
    if query.team:
        members = tuple(sorted(name for name, team in teams.items() if team == query.team))
        if not members:
            raise UnknownFilterValue(
                "team", f"no team named {query.team!r}; GET /api/v1/teams lists them"
            )
        services = tuple(name for name in members if services is None or name in services)
        if not services:
            raise UnknownFilterValue(
                "service", f"service {query.service!r} is not in team {query.team!r}"
            )
    return View(query, period, services, query.environment or None)


def _period(query: ViewQuery, now: datetime) -> Period:
    if query.since and query.last:
        raise FilterError("last", "give since or last, not both")
    # The default end is the next whole minute, so views within a minute share a cached report.
    default_end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    end = _instant(query.until, "until") if query.until else default_end
    if query.since:
        start = _instant(query.since, "since")
    else:
        start = end - _duration(query.last or DEFAULT_LAST)
    if start >= end:
        raise FilterError(
            "since" if query.since else "last",
            f"the period is empty: {start:%Y-%m-%d %H:%M} is not before {end:%Y-%m-%d %H:%M}",
        )
    return Period(start, end)


def _instant(text: str, name: str) -> datetime:
    try:
        return parse_instant(text)
    except InvalidInput as exc:
        raise FilterError(name, f"{name}: {exc}") from None


def _duration(text: str) -> timedelta:
    try:
        length = parse_duration(text)
    except InvalidInput as exc:
        raise FilterError("last", f"last: {exc}") from None
    if length > timedelta(days=3660):
        raise FilterError("last", f"last: {text!r} is longer than ten years; give a shorter period")
    return length


def environment_settings(settings: Settings, environment: str | None) -> Settings:
    """Settings whose production tier is the one environment asked for (or unchanged)."""
    if environment is None:
        return settings
    tiers = EnvironmentTiers(((Tier.PRODUCTION, (glob.escape(environment),)),))
    return replace(settings, tiers=tiers)


@dataclass(frozen=True)
class ViewData:
    """All one answer shows of a view, read in one build so no answer mixes data versions."""

    view: View  # as built: a period ending now is the one of the build
    report: Report
    teams: dict[str, str | None]
    pooled: Report | None  # the team measured as one, when asked for a team
    timeline: TimelineFacts | None  # the deployments and incidents of a one-service view


class ReportCache:
    """The ViewData per view: rebuilt in the background when new data arrives (see refresh.py)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._cache: RefreshingCache[ViewData] = RefreshingCache(
            lambda: data_version(store.engine),
            capacity=CACHED_REPORTS,
            recent_seconds=REBUILD_RECENT_SECONDS,
            check_seconds=VERSION_CHECK_SECONDS,
        )

    def start(self) -> None:
        """Start rebuilding views in the background when new data arrives (the server does)."""
        self._cache.start()

    def stop(self) -> None:
        # A whole-organisation rebuild can take many seconds: shutting down does not wait for
        # all of it (the worker is a daemon thread; an unfinished build is simply lost).
        self._cache.stop(timeout=STOP_WAIT_SECONDS)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued rebuild is done (tests, benchmarks); False on timeout."""
        return self._cache.wait_idle(timeout)

    def invalidate(self) -> None:
        """Forget every report, so the next request for each view builds it (benchmarks)."""
        self._cache.invalidate()

    @property
    def misses(self) -> int:
        """Reports built so far, on request or in the background."""
        return self._cache.builds

    def teams(self) -> dict[str, str | None]:
        return self._store.service_teams()

    def view(self, query: ViewQuery) -> View:
        return resolve_view(query, self.teams(), datetime.now(UTC))

    def snapshot(self, view: View, team: str | None = None) -> Cached[ViewData]:
        """The view's data (with the team measured as one when `team` is given)."""

        def build() -> tuple[Period, ViewData]:
            data = self._build(self._moved(view), team)
            return data.view.period, data

        return self._cache.get((view.query, view.services, team), view.period, build)

    def _moved(self, view: View) -> View:
        """The view again for now: a period without `until` ends at the next whole minute."""
        if view.query.until:
            return view
        return resolve_view(view.query, self.teams(), datetime.now(UTC))

    def _build(self, view: View, team: str | None) -> ViewData:
        settings = environment_settings(self._settings, view.environment)
        report = build_report(self._store, settings, view.period, view.services)
        pooled = None
        if team is not None:
            pooled = build_report(self._store, settings, view.period, team=team)
        timeline = None
        if team is None and view.services is not None and len(view.services) == 1:
            timeline = timeline_facts(self._store, view, report.environments)
        return ViewData(view, report, self.teams(), pooled, timeline)


def timeline_facts(store: Store, view: View, environments: tuple[str, ...]) -> TimelineFacts:
    """What a service page's timeline marks: its deployments and incidents in the period."""
    query = ListQuery(view.period, view.services, environments, TIMELINE_ROWS, 0)
    deployments = list_rows(store.engine, Listing.DEPLOYMENTS, query).rows
    incidents = list_rows(store.engine, Listing.INCIDENTS, query).rows
    return TimelineFacts(deployments, incidents)
