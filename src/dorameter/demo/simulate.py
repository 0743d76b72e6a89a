"""Simulate one service's delivery history: pull requests, commits, CI, deployments, incidents.

Everything comes out as model objects, exactly what the real sources produce, in one
`DeliveryBatch`. Randomness comes from a generator seeded by (seed, service name), so a service's
history depends only on the seed, the end date and its profile.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dorameter.demo.organisation import MergeStyle, ServiceProfile, WayOfWorking
from dorameter.demo.people import engineers_of
from dorameter.model import (
    Commit,
    Deployment,
    DeploymentStatus,
    Incident,
    PipelineOutcome,
    PipelineRun,
    PullRequest,
    PullRequestCommit,
    Review,
    ReviewState,
)

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
BOTS = ("dependabot[bot]", "renovate[bot]")
CI_BOT = "github-actions[bot]"


@dataclass
class DeliveryBatch:
    """Everything one source run produced, ready for the store."""

    commits: list[Commit] = field(default_factory=list)
    pull_requests: list[PullRequest] = field(default_factory=list)
    pull_request_commits: list[PullRequestCommit] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    pipeline_runs: list[PipelineRun] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedPullRequest:
    """A pull request's timeline before it is turned into commits on the main branch."""

    number: int
    author: str
    reviewer: str
    title: str
    lines: int
    first_commit: datetime
    created: datetime
    ready: datetime
    first_review: datetime
    merged: datetime
    hotfix: bool = False


class ServiceSimulation:
    """Builds one service's history from `start` to `end` into a DeliveryBatch."""

    def __init__(
        self,
        profile: ServiceProfile,
        seed: int,
        start: datetime,
        end: datetime,
        numbers_after: int = 0,  # pull request numbers start after it (a monorepo shares them)
    ) -> None:
        self.profile = profile
        self.start = start
        self.end = end
        self.rng = random.Random(f"{seed}:{profile.name}")
        self.seed = seed
        self.people = engineers_of(profile.team, profile.engineers)
        self.batch = DeliveryBatch()
        self.tip: str | None = None  # main branch head
        self.main_line: list[str] = []  # commits made on main, in order (for monorepo weaving)
        self.commits_made = 0
        self.numbers = numbers_after
        self.live: str | None = None  # version in production
        self.deploys = 0
        self.frozen_until = start  # automatic deploys pause while an incident is handled

    # --- identities -------------------------------------------------------------------------

    def _sha(self) -> str:
        self.commits_made += 1
        key = f"{self.seed}:{self.profile.name}:{self.commits_made}"
        return hashlib.sha1(key.encode()).hexdigest()

    def _pr_id(self, number: int) -> str:
        return f"demo:{self.profile.name}#{number}"

    def way(self, moment: datetime) -> WayOfWorking:
        return self.profile.story.at((self.end - moment) / timedelta(days=1))

    def _lognormal(self, median: float, sigma: float = 0.6) -> float:
        return median * math.exp(self.rng.gauss(0.0, sigma))

    # --- the main loop ----------------------------------------------------------------------

    def run(self) -> DeliveryBatch:
        self._commit_on_main("Initial import", self.start - 2 * HOUR, self.people[0])
        plans = self._plan_pull_requests()
        releases = self._release_times()
        outages = self._outage_times()
        for kind, moment, item in sorted(
            [("merge", plan.merged, plan) for plan in plans]
            + [("release", moment, None) for moment in releases]
            + [("outage", moment, None) for moment in outages],
            key=lambda event: (event[1], event[0]),
        ):
            if moment >= self.end:
                if isinstance(item, PlannedPullRequest) and item.created < self.end:
                    self._record_open(item)
                continue
            if kind == "merge" and isinstance(item, PlannedPullRequest):
                self._merge(item)
            elif kind == "release":
                self._deploy(moment, automatic=False)
            else:
                self._outage(moment)
        return self.batch

    # --- pull requests ----------------------------------------------------------------------

    def _plan_pull_requests(self) -> list[PlannedPullRequest]:
        plans: list[PlannedPullRequest] = []
        day = self.start
        while day < self.end:
            if day.weekday() < 5:
                way = self.way(day)
                for author in self.people:
                    while self.rng.random() < way.prs_per_engineer_day / 1.5:
                        plans.append(self._plan(day, author, way))
                        if self.rng.random() > 0.5:
                            break
                if self.rng.random() < 1 / 7:
                    plans.append(self._plan(day, self.rng.choice(BOTS), way, bot=True))
            day += timedelta(days=1)
        return self._with_reviewer_load(plans)

    def _plan(
        self, day: datetime, author: str, way: WayOfWorking, bot: bool = False
    ) -> PlannedPullRequest:
        self.numbers += 1
        lines = max(2, int(self._lognormal(12 if bot else way.median_pr_lines, 0.9)))
        first_commit = day + timedelta(hours=self.rng.uniform(8.5, 17.5))
        coding = HOUR * self._lognormal(way.coding_hours_per_100_lines * max(lines, 20) / 100)
        ready = first_commit + (MINUTE if bot else coding)
        draft = not bot and self.rng.random() < 0.2
        created = first_commit + coding / 3 if draft else ready
        reviewer = self.rng.choice([person for person in self.people if person != author])
        size_factor = (lines / max(way.median_pr_lines, 1)) ** 0.3
        pickup = HOUR * self._lognormal(way.pickup_hours * size_factor)
        review = HOUR * self._lognormal(way.review_hours * size_factor)
        title = f"Bump dependency {self.numbers}" if bot else self._title()
        return PlannedPullRequest(
            self.numbers,
            author,
            reviewer,
            title,
            lines,
            first_commit,
            created,
            ready,
            ready + pickup,
            ready + pickup + review,
        )

    def _title(self) -> str:
        verbs = ("Add", "Fix", "Refactor", "Speed up", "Remove", "Rename", "Test", "Document")
        things = (
            "cart totals",
            "retry policy",
            "search ranking",
            "login flow",
            "cache keys",
            "invoice export",
            "rate limits",
            "feature flag",
            "error pages",
            "metrics",
        )
        return f"{self.rng.choice(verbs)} {self.rng.choice(things)}"

    def _with_reviewer_load(self, plans: list[PlannedPullRequest]) -> list[PlannedPullRequest]:
        """Busy reviewers pick up later: stretch pickup by the reviewer's weekly queue."""
        weekly: dict[tuple[str, int], int] = {}
        for plan in plans:
            key = (plan.reviewer, plan.ready.isocalendar()[1])
            weekly[key] = weekly.get(key, 0) + 1
        loaded = []
        for plan in plans:
            load = weekly[(plan.reviewer, plan.ready.isocalendar()[1])]
            stretch = 1 + 0.08 * max(load - 3, 0)
            pickup = (plan.first_review - plan.ready) * stretch
            review = plan.merged - plan.first_review
            loaded.append(
                PlannedPullRequest(
                    plan.number,
                    plan.author,
                    plan.reviewer,
                    plan.title,
                    plan.lines,
                    plan.first_commit,
                    plan.created,
                    plan.ready,
                    plan.ready + pickup,
                    plan.ready + pickup + review,
                    plan.hotfix,
                )
            )
        return loaded

    def _merge(self, plan: PlannedPullRequest) -> None:
        """Land a pull request on main, with its commits, reviews and CI runs."""
        pr_id = self._pr_id(plan.number)
        branch_commits = self._branch_commits(plan, pr_id)
        if self.profile.merge_style is MergeStyle.SQUASH or plan.author in BOTS:
            merge_sha = self._commit_on_main(
                f"{plan.title} (#{plan.number})", plan.merged, plan.author
            )
        else:
            for item in branch_commits:
                self.batch.commits.append(item)
            merge_sha = self._commit_on_main(
                f"Merge pull request #{plan.number} from demo/{_branch(plan)}",
                plan.merged,
                plan.reviewer,
                second_parent=branch_commits[-1].sha,
            )
        self._record_pull_request(plan, pr_id, merge_sha, branch_commits)
        self._ci_run(f"pr-{plan.number}", branch_commits[-1].sha, plan.ready, _branch(plan))
        self._ci_run(f"main-{plan.number}", merge_sha, plan.merged, "main")
        deploy_at = plan.merged + MINUTE * self.rng.uniform(12, 30)
        if self.way(plan.merged).release_every_days == 0 and deploy_at > self.frozen_until:
            self._deploy(deploy_at, automatic=True)

    def _record_open(self, plan: PlannedPullRequest) -> None:
        """A pull request still open when the history ends: commits so far, reviews so far."""
        pr_id = self._pr_id(plan.number)
        parent = self.tip
        for index in range(min(1 + plan.lines // 120, 12)):
            moment = plan.first_commit + (plan.ready - plan.first_commit) * index / 12
            if moment >= self.end:
                break
            item = self._commit(plan.title, moment, plan.author, (parent,) if parent else ())
            self.batch.pull_request_commits.append(
                PullRequestCommit(pr_id, item.sha, moment, plan.title)
            )
            parent = item.sha
        ready = plan.ready < self.end
        self.batch.pull_requests.append(
            PullRequest(
                repository=self.profile.repository,
                number=plan.number,
                external_id=pr_id,
                source="demo",
                title=plan.title,
                author=plan.author,
                created_at=plan.created,
                state="open",
                draft=not ready,
                ready_at=plan.ready if ready else None,
                base_branch="main",
                head_branch=_branch(plan),
                additions=int(plan.lines * 0.7),
                deletions=plan.lines - int(plan.lines * 0.7),
                changed_files=1 + plan.lines // 40,
                first_commit_at=plan.first_commit,
                updated_at=min(plan.first_review, self.end - MINUTE),
            )
        )
        if plan.first_review < self.end:
            self.batch.reviews.append(
                Review(
                    pr_id,
                    f"{pr_id}:review",
                    "demo",
                    plan.reviewer,
                    ReviewState.COMMENTED,
                    plan.first_review,
                )
            )

    def _branch_commits(self, plan: PlannedPullRequest, pr_id: str) -> list[Commit]:
        count = 1 if plan.author in BOTS else min(1 + plan.lines // 120, 12)
        span = (plan.ready - plan.first_commit) / count
        parent = self.tip
        made = []
        for index in range(count):
            moment = plan.first_commit + span * index
            subject = f"{plan.title}: part {index + 1}" if count > 1 else plan.title
            item = self._commit(subject, moment, plan.author, (parent,) if parent else ())
            self.batch.pull_request_commits.append(
                PullRequestCommit(pr_id, item.sha, moment, subject)
            )
            made.append(item)
            parent = item.sha
        return made

    def _record_pull_request(
        self, plan: PlannedPullRequest, pr_id: str, merge_sha: str, commits: list[Commit]
    ) -> None:
        added = int(plan.lines * 0.7)
        self.batch.pull_requests.append(
            PullRequest(
                repository=self.profile.repository,
                number=plan.number,
                external_id=pr_id,
                source="demo",
                title=plan.title,
                author=plan.author,
                created_at=plan.created,
                state="merged",
                draft=False,
                ready_at=plan.ready,
                merged_at=plan.merged,
                closed_at=plan.merged,
                merge_commit_sha=merge_sha,
                base_branch="main",
                head_branch=_branch(plan),
                additions=added,
                deletions=plan.lines - added,
                changed_files=1 + plan.lines // 40,
                labels=("hotfix",)
                if plan.hotfix
                else ("dependencies",)
                if plan.author in BOTS
                else (),
                first_commit_at=commits[0].author_time,
                updated_at=plan.merged,
            )
        )
        bot_note = Review(
            pr_id, f"{pr_id}:bot", "demo", CI_BOT, ReviewState.COMMENTED, plan.ready + 2 * MINUTE
        )
        human = Review(
            pr_id, f"{pr_id}:review", "demo", plan.reviewer, ReviewState.APPROVED, plan.first_review
        )
        self.batch.reviews.extend([bot_note, human])

    # --- commits on main --------------------------------------------------------------------

    def _commit(
        self,
        subject: str,
        moment: datetime,
        author: str,
        parents: tuple[str, ...],
        reverts: str | None = None,
    ) -> Commit:
        return Commit(
            repository=self.profile.repository,
            sha=self._sha(),
            parents=parents,
            author_name=author,
            author_email=f"{author.replace('[bot]', '')}@demo.example",
            author_time=moment,
            committer_time=moment,
            subject=subject,
            reverts=reverts,
            paths=self._paths(),
        )

    def _paths(self) -> tuple[str, ...] | None:
        """The files a commit changed: only simulated for a monorepo, whose services need them."""
        if self.profile.folder is None:
            return None
        return (f"{self.profile.folder}/src/module_{self.commits_made % 40:02d}.py",)

    def _commit_on_main(
        self,
        subject: str,
        moment: datetime,
        author: str,
        second_parent: str | None = None,
        reverts: str | None = None,
    ) -> str:
        parents = tuple(sha for sha in (self.tip, second_parent) if sha)
        item = self._commit(subject, moment, author, parents, reverts)
        self.batch.commits.append(item)
        self.tip = item.sha
        self.main_line.append(item.sha)
        return item.sha

    # --- CI -----------------------------------------------------------------------------------

    def _ci_run(self, key: str, sha: str, moment: datetime, branch: str) -> None:
        attempts = 2 if self.rng.random() < self.profile.flaky_ci else 1
        started = moment
        for attempt in range(1, attempts + 1):
            queued = MINUTE * self.rng.uniform(0.2, 3.0)
            duration = MINUTE * self._lognormal(self.profile.ci_minutes, 0.3)
            outcome = PipelineOutcome.FAILURE if attempt < attempts else PipelineOutcome.SUCCESS
            self.batch.pipeline_runs.append(
                PipelineRun(
                    repository=self.profile.repository,
                    external_id=f"demo:{self.profile.name}:ci:{key}:{attempt}",
                    source="demo",
                    name="ci",
                    sha=sha,
                    outcome=outcome,
                    created_at=started,
                    branch=branch,
                    event="pull_request" if branch != "main" else "push",
                    attempt=attempt,
                    started_at=started + queued,
                    finished_at=started + queued + duration,
                )
            )
            started = started + queued + duration + MINUTE * self.rng.uniform(2, 20)

    # --- deployments and failures --------------------------------------------------------------

    def _release_times(self) -> list[datetime]:
        """Manual release days: every N days, on the team's release weekday, mid-morning."""
        times = []
        day = self.start.replace(hour=0, minute=0, second=0, microsecond=0)
        last = day - timedelta(days=365)
        while day < self.end:
            way = self.way(day)
            every = way.release_every_days
            on_weekday = every < 7 or day.weekday() == way.release_weekday
            if every and on_weekday and (day - last).days >= every:
                times.append(day + timedelta(hours=10, minutes=self.rng.uniform(0, 90)))
                last = day
            day += timedelta(days=1)
        return times

    def _deploy(self, moment: datetime, automatic: bool, rollback_to: str | None = None,
                fixes: str | None = None) -> Deployment | None:  # fmt: skip
        version = rollback_to or self.tip
        if version is None or moment >= self.end or (version == self.live and not fixes):
            return None
        self.deploys += 1
        base = f"demo:{self.profile.name}:deploy:{self.deploys}"
        staging = moment - MINUTE * (8 if automatic else 24 * 60)
        for environment, finished, external_id in (
            ("staging", staging, f"{base}:staging"),
            ("production", moment, base),
        ):
            deployment = Deployment(
                service=self.profile.name,
                environment=environment,
                sha=version,
                finished_at=finished,
                external_id=external_id,
                source="demo",
                repository=self.profile.repository,
                started_at=finished - MINUTE * (4 if automatic else 45),
                status=DeploymentStatus.SUCCESS,
                ref="main",
                rollback=rollback_to is not None,
                fixes=fixes if environment == "production" else None,
            )
            self.batch.deployments.append(deployment)
        self.live = version
        if rollback_to is None and fixes is None:
            self._maybe_fail(self.batch.deployments[-1])
        return self.batch.deployments[-1]

    def _maybe_fail(self, deployment: Deployment) -> None:
        way = self.way(deployment.finished_at)
        if self.rng.random() >= way.failure_rate:
            return
        detected = deployment.finished_at + MINUTE * self.rng.uniform(
            3, 25 if way.automated_rollback else 180
        )
        recovery = HOUR * self._lognormal(way.recovery_hours, 0.5)
        incident_id = f"demo:{self.profile.name}:incident:{self.deploys}"
        if way.automated_rollback:
            previous = self._previous_production_version(deployment)
            self.frozen_until = detected + recovery + HOUR * 3
            fixed = self._deploy(detected + recovery, automatic=True, rollback_to=previous)
            revert_at = detected + recovery + HOUR * self.rng.uniform(0.5, 2.5)
            self._revert(deployment, revert_at)
        else:
            fixed = self._hotfix(detected + recovery, incident_id)
        resolved = fixed.finished_at if fixed else detected + recovery
        self.batch.incidents.append(
            Incident(
                service=self.profile.name,
                external_id=incident_id,
                source="demo",
                started_at=detected,
                resolved_at=min(resolved, self.end - MINUTE) if resolved < self.end else None,
                title=self.rng.choice(
                    ("Error rate above 5%", "Checkout latency p99 > 2 s", "Payments failing")
                ),
                severity=self.rng.choice(("SEV2", "SEV3")),
                caused_by_deployment=deployment.external_id,
            )
        )

    def _previous_production_version(self, current: Deployment) -> str | None:
        earlier = [
            item.sha for item in self.batch.deployments
            if item.environment == "production" and item.finished_at < current.finished_at
            and item.sha != current.sha
        ]  # fmt: skip
        return earlier[-1] if earlier else None

    def _revert(self, failed: Deployment, moment: datetime) -> None:
        """After an automated rollback the team reverts the change it shipped and ships that."""
        commits = {item.sha: item for item in self.batch.commits}
        version = commits.get(failed.sha)
        if version is None or moment >= self.end:
            return
        target = commits.get(version.parents[-1], version) if version.is_merge else version
        self._commit_on_main(
            f'Revert "{target.subject}"', moment, self.people[0], reverts=target.sha
        )
        self._deploy(moment + MINUTE * 20, automatic=True)

    def _hotfix(self, moment: datetime, incident_id: str) -> Deployment | None:
        """A manual team fixes forward: a hotfix pull request and an out-of-cycle release."""
        if moment >= self.end:
            return None
        self.numbers += 1
        author = self.rng.choice(self.people)
        reviewer = self.rng.choice([person for person in self.people if person != author])
        start = moment - HOUR * 3
        plan = PlannedPullRequest(
            self.numbers,
            author,
            reviewer,
            f"Hotfix: {self._title().lower()}",
            25,
            start,
            start + HOUR,
            start + HOUR,
            start + HOUR * 1.5,
            moment - HOUR * 0.5,
            hotfix=True,
        )
        self._merge(plan)
        return self._deploy(moment, automatic=False, fixes=incident_id)

    def _outage_times(self) -> list[datetime]:
        """Incidents no change caused: a provider outage every so often."""
        count = max(1, int((self.end - self.start).days / self.profile.outage_every_days))
        span = (self.end - self.start).total_seconds()
        return sorted(
            self.start + timedelta(seconds=self.rng.uniform(0, span)) for _ in range(count)
        )

    def _outage(self, moment: datetime) -> None:
        duration = HOUR * self._lognormal(1.5, 0.5)
        self.batch.incidents.append(
            Incident(
                service=self.profile.name,
                external_id=f"demo:{self.profile.name}:outage:{moment:%Y%m%d%H%M}",
                source="demo",
                started_at=moment,
                resolved_at=moment + duration if moment + duration < self.end else None,
                title="Cloud provider outage",
                severity="SEV2",
                change_caused=False,
            )
        )


def _branch(plan: PlannedPullRequest) -> str:
    prefix = "hotfix" if plan.hotfix else "deps" if plan.author in BOTS else "feature"
    return f"{prefix}/{plan.number}"
