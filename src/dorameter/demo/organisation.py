"""The demo organisation as data: teams, services, and how each team works over time.

One team ("checkout") follows the case study dorameter is built around: manual weekend releases
of big batches at first, then, over ninety days, trunk-based flow, small pull requests and
automated deploys with rollback, until it is elite on all four keys. The other teams stay as
they are, at different levels, so the overview has contrast.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class MergeStyle(StrEnum):
    """How pull requests land on the main branch."""

    MERGE_COMMIT = "merge"
    SQUASH = "squash"


@dataclass(frozen=True)
class WayOfWorking:
    """The habits that shape one team's delivery in a stretch of time."""

    prs_per_engineer_day: float  # pull requests opened per engineer per working day
    median_pr_lines: float  # lognormal median of lines changed
    coding_hours_per_100_lines: float  # first commit to ready for review
    pickup_hours: float  # median wait for a first review, grows with size and reviewer load
    review_hours: float  # median first review to merge
    release_every_days: int  # 0: deploy every merge automatically
    release_weekday: int  # 5 = Saturday: the weekend release
    failure_rate: float  # chance a production deployment causes an incident
    recovery_hours: float  # median time to restore after a failure
    automated_rollback: bool  # failures are rolled back by the pipeline, not hotfixed


LOW = WayOfWorking(
    prs_per_engineer_day=0.35,
    median_pr_lines=650,
    coding_hours_per_100_lines=7.0,
    pickup_hours=30.0,
    review_hours=20.0,
    release_every_days=7,
    release_weekday=5,
    failure_rate=0.45,
    recovery_hours=30.0,
    automated_rollback=False,
)
ELITE = WayOfWorking(
    prs_per_engineer_day=0.9,
    median_pr_lines=70,
    coding_hours_per_100_lines=9.0,
    pickup_hours=1.5,
    review_hours=1.5,
    release_every_days=0,
    release_weekday=0,
    failure_rate=0.01,
    recovery_hours=0.35,
    automated_rollback=True,
)
HIGH = replace(
    ELITE,
    prs_per_engineer_day=0.6,
    median_pr_lines=180,
    pickup_hours=4.0,
    review_hours=5.0,
    release_every_days=2,
    release_weekday=0,
    failure_rate=0.08,
    recovery_hours=3.0,
)
MEDIUM = replace(
    LOW,
    prs_per_engineer_day=0.5,
    median_pr_lines=300,
    pickup_hours=14.0,
    review_hours=10.0,
    release_every_days=7,
    release_weekday=2,
    failure_rate=0.14,
    recovery_hours=20.0,
)


def blend(start: WayOfWorking, end: WayOfWorking, progress: float) -> WayOfWorking:
    """Habits part-way (0..1) from `start` to `end`; release cadence switches at halfway."""
    if progress <= 0:
        return start
    if progress >= 1:
        return end
    share = progress

    def mix(a: float, b: float) -> float:
        return a + (b - a) * share

    late = share >= 0.5
    return WayOfWorking(
        prs_per_engineer_day=mix(start.prs_per_engineer_day, end.prs_per_engineer_day),
        median_pr_lines=mix(start.median_pr_lines, end.median_pr_lines),
        coding_hours_per_100_lines=mix(
            start.coding_hours_per_100_lines, end.coding_hours_per_100_lines
        ),
        pickup_hours=mix(start.pickup_hours, end.pickup_hours),
        review_hours=mix(start.review_hours, end.review_hours),
        release_every_days=end.release_every_days
        if late
        else max(start.release_every_days // 2, 1),
        release_weekday=end.release_weekday if late else start.release_weekday,
        failure_rate=mix(start.failure_rate, end.failure_rate),
        recovery_hours=mix(start.recovery_hours, end.recovery_hours),
        automated_rollback=late and end.automated_rollback,
    )


@dataclass(frozen=True)
class Story:
    """How a team's way of working changes: before, during and after a transformation."""

    before: WayOfWorking
    after: WayOfWorking
    change_starts_days_ago: int = 180
    change_days: int = 90

    def at(self, days_ago: float) -> WayOfWorking:
        progress = (self.change_starts_days_ago - days_ago) / self.change_days
        return blend(self.before, self.after, progress)


@dataclass(frozen=True)
class ServiceProfile:
    """One service of the demo: its repository, team, engineers and habits."""

    name: str
    team: str
    engineers: int
    story: Story
    merge_style: MergeStyle = MergeStyle.SQUASH
    flaky_ci: float = 0.0  # share of CI runs that fail and pass on a re-run of the same commit
    ci_minutes: float = 8.0
    outage_every_days: int = 60  # incidents no change caused (provider outages)
    monorepo: str | None = None  # the repository it shares with others, as services/<name>

    @property
    def repository(self) -> str:
        return self.monorepo or self.name

    @property
    def folder(self) -> str | None:
        """Its path prefix inside a monorepo (None: it has a repository of its own)."""
        return f"services/{self.name}" if self.monorepo else None


def steady(way: WayOfWorking) -> Story:
    return Story(way, way)


CASE_STUDY = Story(LOW, ELITE)

SMALL_ORGANISATION: tuple[ServiceProfile, ...] = (
    ServiceProfile("checkout-api", "checkout", 6, CASE_STUDY, MergeStyle.SQUASH),
    ServiceProfile("checkout-web", "checkout", 4, CASE_STUDY, MergeStyle.MERGE_COMMIT),
    # The search team keeps both services in one monorepo, "search".
    ServiceProfile(
        "search-api", "search", 5, steady(HIGH), flaky_ci=0.18, ci_minutes=14.0, monorepo="search"
    ),
    ServiceProfile(
        "search-indexer", "search", 3, steady(HIGH), MergeStyle.MERGE_COMMIT, monorepo="search"
    ),
    ServiceProfile("accounts", "identity", 4, steady(MEDIUM)),
    ServiceProfile("billing", "payments", 4, steady(MEDIUM), MergeStyle.MERGE_COMMIT),
    ServiceProfile("ledger", "payments", 3, steady(LOW)),
    ServiceProfile("platform-gateway", "platform", 3, steady(HIGH)),
)

HISTORY_DAYS = 270  # baseline quarter, transformation quarter, the quarter it arrived at


def large_organisation(services: int = 200) -> tuple[ServiceProfile, ...]:
    """Many services cycling through the ways of working, for scale tests and benchmarks; the
    first team's five services share one monorepo."""
    ways = (steady(HIGH), steady(MEDIUM), steady(ELITE), steady(LOW), CASE_STUDY)
    styles = (MergeStyle.SQUASH, MergeStyle.MERGE_COMMIT, MergeStyle.MERGE_COMMIT)
    return tuple(
        ServiceProfile(
            name=f"service-{index:03d}",
            team=f"team-{index // 5:02d}",
            engineers=5 + index % 5,
            story=ways[index % len(ways)],
            merge_style=styles[index % len(styles)],
            flaky_ci=0.15 if index % 17 == 0 else 0.0,
            outage_every_days=10,
            # The first team keeps its five services in one monorepo.
            monorepo="team-00-monorepo" if index < 5 else None,
        )
        for index in range(services)
    )
