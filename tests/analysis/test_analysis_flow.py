"""Batch size buckets, trunk-based flow, CI feedback, balance and the assembled diagnosis."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dorameter.analysis.balance import KeyFigures, balance_findings
from dorameter.analysis.batch import batch_buckets, bucket_label
from dorameter.analysis.ci import ci_feedback
from dorameter.analysis.diagnosis import StabilityFigures, diagnose
from dorameter.analysis.findings import FindingKind
from dorameter.analysis.stages import Stage, pull_request_stages
from dorameter.analysis.trunk import trunk_flow
from dorameter.flow_model import CiRun, FlowData, OpenPullRequestFact, PullRequestFact
from dorameter.metrics.bands import Band
from dorameter.metrics.change_fail_rate import RateResult
from dorameter.metrics.frequency import FrequencyResult
from dorameter.metrics.lead_time import LeadTimeResult
from dorameter.metrics.recovery import RecoveryResult
from dorameter.metrics.stats import summarize_durations
from dorameter.model import BotRules, Period, PipelineOutcome, PipelineRun
from tests.analysis.analysis_support import HOUR, T0, at, open_pr, pr

BOTS = BotRules()
WEEK = Period(T0 - timedelta(days=1), T0 + timedelta(days=6))


@pytest.mark.parametrize(
    ("size", "label"),
    [
        (0, "1-50"),
        (50, "1-50"),
        (51, "51-200"),
        (200, "51-200"),
        (1000, "201-1000"),
        (1001, "1001+"),
    ],
)
def test_bucket_edges(size: int, label: str) -> None:
    assert bucket_label(size) == label


def test_batch_buckets_compare_lead_review_and_failures() -> None:
    facts = [
        pr(1, size=10, deployment_id=1),
        pr(2, size=30, deployment_id=2, deployed=None),
        pr(3, size=500, reviews=(("g", 20),), merged=30, deployed=31, deployment_id=3),
        pr(4, size=900, deployment_id=4),
        pr(5, size=None),
    ]
    buckets = {
        b.label: b for b in batch_buckets([pull_request_stages(f, BOTS) for f in facts], {3})
    }
    small, large = buckets["1-50"], buckets["201-1000"]
    assert (small.count, small.deployed, small.failed, small.fail_rate) == (2, 1, 0, 0.0)
    assert small.lead_median_seconds == 10 * HOUR
    assert (large.count, large.failed, large.fail_rate) == (2, 1, 0.5)
    assert large.review_median_seconds == pytest.approx((10 + 3) / 2 * HOUR)
    assert buckets["1001+"].count == 0 and buckets["1001+"].fail_rate is None


def test_trunk_flow() -> None:
    facts = [pr(1, author="ada"), pr(2, author="bo", first_commit=-100), pr(3, author="ada")]
    flow = trunk_flow([pull_request_stages(f, BOTS) for f in facts], WEEK)
    assert flow.branch_lifetime.median_seconds == 8 * HOUR
    assert (flow.long_lived, flow.long_lived_share, flow.active_developers) == (1, 1 / 3, 2)
    assert flow.merges_per_developer_per_day == pytest.approx(3 / 2 / 7)


MERGED = [pr(1), pr(2, first_commit=-100), pr(3)]  # branches of 8 h, 108 h, 8 h
OPEN = [
    open_pr(10, created=100),  # 44 h at the period's end (T0 + 144 h): not long-lived
    open_pr(11, created=20),  # 124 h
    open_pr(12, created=-200, first_commit=-300),  # 444 h from its first commit
    open_pr(13, created=0, first_commit=10),  # a commit dated after the opening: 144 h
]


@pytest.mark.parametrize(
    ("merged", "still_open", "counts", "listed", "share"),
    [
        (MERGED, [], (1, 1, 0), [], 1 / 3),
        (MERGED, OPEN, (4, 1, 4), [(12, 444), (13, 144), (11, 124)], 4 / 7),
        ([], [open_pr(20, created=-10)], (1, 0, 1), [(20, 154)], 1.0),
        ([pr(1, first_commit=None)], [open_pr(21, created=140)], (0, 0, 1), [], 0.0),
        ([], [], (0, 0, 0), [], None),
    ],
    ids=["merged only", "merged and open", "open only", "unknown lifetime", "nothing"],
)
def test_trunk_flow_counts_pull_requests_still_open_at_the_end(
    merged: list[PullRequestFact],
    still_open: list[OpenPullRequestFact],
    counts: tuple[int, int, int],
    listed: list[tuple[int, float]],
    share: float | None,
) -> None:
    stages = [pull_request_stages(item, BOTS) for item in merged]
    flow = trunk_flow(stages, WEEK, still_open)

    assert (flow.long_lived, flow.long_lived_merged, flow.open_at_end) == counts
    assert [(a.pull_request.number, a.age_seconds / HOUR) for a in flow.long_lived_open] == listed
    assert flow.long_lived_share == share
    assert flow.active_developers == len({item.author for item in merged})  # merged PRs only


@pytest.mark.parametrize(
    ("merged", "still_open", "message"),
    [
        (
            [pr(1, first_commit=-100), pr(2)],
            [],
            "50% of merged PRs (1) lived longer than 3 days from first commit to merge.",
        ),
        (
            MERGED,
            OPEN,
            "57% of PRs (4 of 7, merged in the period or still open at its end) lived longer "
            "than 3 days: 1 merged that late, 3 still open: #12 Change 12 (18.5 d), "
            "#13 Change 13 (6 d), #11 Change 11 (5.2 d).",
        ),
        (
            [],
            [open_pr(n, created=-n) for n in range(1, 6)],
            "100% of PRs (5 of 5, merged in the period or still open at its end) lived longer "
            "than 3 days: 0 merged that late, 5 still open: #5 Change 5 (6.2 d), "
            "#4 Change 4 (6.2 d), #3 Change 3 (6.1 d) and 2 more.",
        ),
        ([pr(1), pr(2), pr(3)], [open_pr(9, created=-100)], None),  # 25%: not worth saying
    ],
    ids=["merged only", "names the oldest open", "and more", "below the share"],
)
def test_the_long_lived_finding_names_the_open_pull_requests(
    merged: list[PullRequestFact], still_open: list[OpenPullRequestFact], message: str | None
) -> None:
    flow = FlowData("shop", tuple(merged), (), tuple(still_open))
    quiet = StabilityFigures(
        (), RateResult(0, 0, None, None, None), RecoveryResult(summarize_durations([]), 0, None)
    )
    diagnosis = diagnose(flow, quiet, WEEK, BOTS)

    found = [f.message for f in diagnosis.findings if f.kind is FindingKind.LONG_LIVED_BRANCHES]
    assert found == ([message] if message else [])


def run(name: str, sha: str, outcome: PipelineOutcome, hours: float, attempt: int = 1) -> CiRun:
    return CiRun.of(
        PipelineRun(
            "shop",
            f"{name}-{sha}-{attempt}-{hours}",
            "test",
            name,
            sha,
            outcome,
            at(hours),
            attempt=attempt,
            started_at=at(hours + 0.1),
            finished_at=at(hours + 0.6),
        )
    )


def test_ci_feedback_finds_flaky_runs() -> None:
    runs = [
        run("ci", "a", PipelineOutcome.FAILURE, 0),
        run("ci", "a", PipelineOutcome.SUCCESS, 1, attempt=2),  # flaky: failed, then passed
        run("ci", "b", PipelineOutcome.FAILURE, 2),  # a real failure
        run("ci", "c", PipelineOutcome.SUCCESS, 3),
        run("lint", "a", PipelineOutcome.CANCELLED, 4),
    ]
    ci = ci_feedback(runs)
    assert (ci.runs, ci.succeeded, ci.failed, ci.flaky, ci.flaky_share) == (5, 2, 2, 1, 0.5)
    assert ci.success_rate == 0.5
    assert ci.duration.median_seconds == pytest.approx(0.5 * HOUR)
    assert ci.queue.median_seconds == pytest.approx(0.1 * HOUR)
    assert ci_feedback([]).success_rate is None


def figures(per_day: float, lead_hours: float, failed: int, total: int) -> KeyFigures:
    return KeyFigures(
        frequency=FrequencyResult(total, per_day, per_day * 7, 0.5, None, (0.0, 1.0), None),
        lead_time=LeadTimeResult(summarize_durations([lead_hours * HOUR] * 5), None, 0, 0, 0, 0),
        change_fail_rate=RateResult(failed, total, failed / total, None, None),
        recovery_time=RecoveryResult(summarize_durations([]), 0, None),
    )


@pytest.mark.parametrize(
    ("before", "after", "warned"),
    [
        (figures(1, 30, 2, 40), figures(2, 20, 20, 60), True),  # faster, clearly less stable
        (figures(1, 30, 2, 40), figures(2, 20, 4, 60), False),  # faster, no clear change
        (figures(2, 20, 2, 40), figures(1, 30, 20, 40), False),  # slower and less stable
    ],
)
def test_balance_warns_only_when_speed_costs_stability(
    before: KeyFigures, after: KeyFigures, warned: bool
) -> None:
    found = balance_findings(before, after)
    assert bool(found) == warned
    if warned:
        assert found[0].kind == FindingKind.UNBALANCED
        assert "change fail rate 5% -> 33%" in found[0].message


def test_diagnosis_names_the_bottleneck_and_gives_levers() -> None:
    facts = tuple(
        pr(n, reviews=(("g", 30),), merged=31, deployed=80, deployment_id=n) for n in range(5)
    )
    runs = (
        run("ci", "a", PipelineOutcome.FAILURE, 0),
        run("ci", "a", PipelineOutcome.SUCCESS, 1, 2),
    )
    stability = StabilityFigures(
        failed_deployments={1, 2},
        change_fail_rate=RateResult(2, 5, 0.4, None, Band.LOW),
        recovery_time=RecoveryResult(summarize_durations([]), 0, None),
    )
    diagnosis = diagnose(FlowData("shop", facts, runs), stability, WEEK, BOTS)
    assert diagnosis.bottleneck == Stage.DEPLOY
    assert diagnosis.stage(Stage.DEPLOY).median_seconds == 49 * HOUR
    kinds = [finding.kind for finding in diagnosis.findings]
    assert kinds == [
        FindingKind.SLOW_DEPLOY,
        FindingKind.SLOW_CI,  # a median 30 min
        FindingKind.FLAKY_CI,
        FindingKind.HIGH_FAIL_RATE,
    ]
    assert "deploying on merge" in diagnosis.findings[0].lever
    assert len(diagnosis.slowest(2)) == 2 and diagnosis.sizes.median_seconds == 40
    assert diagnosis.deployment_sizes.count == 5  # one PR of 40 lines per deployment


def test_diagnosis_of_nothing() -> None:
    stability = StabilityFigures(
        (), RateResult(0, 0, None, None, None), RecoveryResult(summarize_durations([]), 0, None)
    )
    diagnosis = diagnose(FlowData("shop"), stability, WEEK, BOTS)
    assert (diagnosis.pull_requests, diagnosis.bottleneck, diagnosis.findings) == (0, None, ())


def test_deployment_size_adds_up_the_prs_it_shipped() -> None:
    facts = (
        pr(1, size=10, deployment_id=7),
        pr(2, size=30, deployment_id=7),
        pr(3, size=500, deployment_id=8),
        pr(4, size=99, deployed=None),
    )
    stability = StabilityFigures(
        (), RateResult(0, 0, None, None, None), RecoveryResult(summarize_durations([]), 0, None)
    )
    sizes = diagnose(FlowData("shop", facts), stability, WEEK, BOTS).deployment_sizes
    assert (sizes.count, sizes.median_seconds) == (2, 270)
