"""The flow diagnosis of one service: stages, bottleneck, batch size, trunk flow, CI, findings."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from dorameter.analysis.batch import BatchBucket, batch_buckets
from dorameter.analysis.bottleneck import bottleneck, bottleneck_finding
from dorameter.analysis.ci import CiFeedback, ci_feedback
from dorameter.analysis.findings import Finding, FindingKind, duration_text
from dorameter.analysis.stages import (
    KnownBots,
    PullRequestStages,
    Stage,
    StageSummary,
    pull_request_stages,
    summarize_stages,
)
from dorameter.analysis.trunk import TrunkFlow, long_lived_finding, trunk_flow
from dorameter.flow_model import FlowData
from dorameter.metrics.bands import Band
from dorameter.metrics.change_fail_rate import RateResult
from dorameter.metrics.recovery import RecoveryResult
from dorameter.metrics.stats import DurationSummary, summarize_durations
from dorameter.model import BotRules, Period

# When a finding is worth saying (data, not code branches).
SLOW_CI_SECONDS = 15 * 60.0
FLAKY_SHARE = 0.1
LARGE_BATCH_FACTOR = 2.0
MIN_BUCKET = 3
WORRYING_BANDS = (Band.MEDIUM, Band.LOW)
NOTABLE_PULL_REQUESTS = 5


@dataclass(frozen=True)
class Diagnosis:
    """Where one service's time goes in a period, and what usually helps."""

    pull_requests: int  # merged in the period
    stages: tuple[StageSummary, ...]
    bottleneck: Stage | None
    batch_size: tuple[BatchBucket, ...]
    sizes: DurationSummary  # lines changed per PR (the "seconds" fields hold line counts)
    deployment_sizes: DurationSummary  # lines of the period's PRs each deployment shipped
    trunk: TrunkFlow
    ci: CiFeedback
    findings: tuple[Finding, ...]
    pull_request_stages: tuple[PullRequestStages, ...]  # per PR, for what-if and PR lists

    def stage(self, stage: Stage) -> StageSummary:
        return next(item for item in self.stages if item.stage == stage)

    def slowest(self, limit: int = NOTABLE_PULL_REQUESTS) -> tuple[PullRequestStages, ...]:
        known = [item for item in self.pull_request_stages if item.lead_seconds is not None]
        return tuple(sorted(known, key=lambda item: -(item.lead_seconds or 0.0))[:limit])

    def biggest(self, limit: int = NOTABLE_PULL_REQUESTS) -> tuple[PullRequestStages, ...]:
        known = [item for item in self.pull_request_stages if item.pull_request.size is not None]
        return tuple(sorted(known, key=lambda item: -(item.pull_request.size or 0))[:limit])


@dataclass(frozen=True)
class StabilityFigures:
    """What the findings need of the service's key metrics for the same period."""

    failed_deployments: Collection[int]  # ids of failed deployments
    change_fail_rate: RateResult
    recovery_time: RecoveryResult


def diagnose(
    flow: FlowData, stability: StabilityFigures, period: Period, bots: BotRules
) -> Diagnosis:
    """Pure: the diagnosis of one service from its flow facts and stability figures."""
    known_bots = KnownBots(bots)
    stages = tuple(pull_request_stages(item, known_bots) for item in flow.pull_requests)
    summaries = summarize_stages(stages)
    slowest = bottleneck(summaries)
    buckets = batch_buckets(stages, stability.failed_deployments)
    trunk = trunk_flow(stages, period, flow.open_pull_requests)
    long_lived = long_lived_finding(trunk)
    ci = ci_feedback(flow.pipeline_runs)
    findings = (
        ((bottleneck_finding(slowest),) if slowest else ())
        + _batch_findings(buckets)
        + ((long_lived,) if long_lived else ())
        + _ci_findings(ci)
        + _stability_findings(stability)
    )
    sizes = [size for item in flow.pull_requests if (size := item.size) is not None]
    shipped: dict[int, int] = {}
    for item in flow.pull_requests:
        if item.deployment_id is not None and item.size is not None:
            shipped[item.deployment_id] = shipped.get(item.deployment_id, 0) + item.size
    return Diagnosis(
        pull_requests=len(stages),
        stages=summaries,
        bottleneck=slowest.stage if slowest else None,
        batch_size=buckets,
        sizes=summarize_durations(sizes),
        deployment_sizes=summarize_durations(shipped.values()),
        trunk=trunk,
        ci=ci,
        findings=findings,
        pull_request_stages=stages,
    )


def _batch_findings(buckets: Sequence[BatchBucket]) -> tuple[Finding, ...]:
    measured = [b for b in buckets if b.count >= MIN_BUCKET and b.lead_median_seconds is not None]
    if len(measured) < 2:
        return ()
    small, large = measured[0], measured[-1]
    assert small.lead_median_seconds is not None and large.lead_median_seconds is not None
    if large.lead_median_seconds < LARGE_BATCH_FACTOR * small.lead_median_seconds:
        return ()
    return (
        Finding(
            FindingKind.LARGE_BATCHES,
            f"PRs of {large.label} lines take a median {duration_text(large.lead_median_seconds)}"
            f" to production against {duration_text(small.lead_median_seconds)} for "
            f"{small.label} lines ({large.count} and {small.count} PRs).",
        ),
    )


def _ci_findings(ci: CiFeedback) -> tuple[Finding, ...]:
    found = []
    median = ci.duration.median_seconds
    if median is not None and median > SLOW_CI_SECONDS:
        p90 = duration_text(ci.duration.p90_seconds or median)
        found.append(
            Finding(
                FindingKind.SLOW_CI,
                f"CI runs take a median {duration_text(median)} (p90 {p90}, {ci.runs} runs).",
            )
        )
    if ci.flaky and ci.flaky_share is not None and ci.flaky_share >= FLAKY_SHARE:
        found.append(
            Finding(
                FindingKind.FLAKY_CI,
                f"{ci.flaky} commit(s) failed CI and then passed on a re-run: {ci.flaky_share:.0%}"
                " of the commits that ever failed.",
            )
        )
    return tuple(found)


def _stability_findings(stability: StabilityFigures) -> tuple[Finding, ...]:
    found = []
    rate = stability.change_fail_rate
    if rate.value is not None and rate.band in WORRYING_BANDS:
        found.append(
            Finding(
                FindingKind.HIGH_FAIL_RATE,
                f"{rate.numerator} of {rate.total} deployments failed ({rate.value:.0%}).",
            )
        )
    recovery = stability.recovery_time
    median = recovery.summary.median_seconds
    if median is not None and recovery.band in WORRYING_BANDS:
        found.append(
            Finding(
                FindingKind.SLOW_RECOVERY,
                f"Failed deployments took a median {duration_text(median)} to recover "
                f"({recovery.summary.count} failures).",
            )
        )
    return tuple(found)
