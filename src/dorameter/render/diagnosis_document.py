"""A service's flow diagnosis as plain JSON types (part of the report document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dorameter.analysis.batch import BatchBucket
from dorameter.analysis.diagnosis import Diagnosis
from dorameter.analysis.stages import PullRequestStages, Stage
from dorameter.analysis.trunk import OpenPullRequestAge
from dorameter.analysis.whatif import WhatIf
from dorameter.metrics.stats import DurationSummary
from dorameter.timestamps import moment

LISTED_OPEN = 10  # long-lived open PRs listed, oldest first (`long_lived_open` counts all)


def diagnosis_document(diagnosis: Diagnosis) -> dict[str, Any]:
    """Stages, bottleneck, batch size, trunk flow, CI, findings and notable pull requests."""
    trunk, ci = diagnosis.trunk, diagnosis.ci
    return {
        "pull_requests": diagnosis.pull_requests,
        "stages": {
            item.stage.value: {
                "count": item.count,
                "median_seconds": item.median_seconds,
                "p75_seconds": item.p75_seconds,
                "p90_seconds": item.p90_seconds,
                "share": item.share,
            }
            for item in diagnosis.stages
        },
        "bottleneck": diagnosis.bottleneck.value if diagnosis.bottleneck else None,
        "batch_size": [_bucket(bucket) for bucket in diagnosis.batch_size],
        "size_lines": _quantiles(diagnosis.sizes),
        "deployment_size_lines": _quantiles(diagnosis.deployment_sizes),
        "trunk": {
            "branch_lifetime": _quantiles(trunk.branch_lifetime, "_seconds"),
            "long_lived": trunk.long_lived,
            "long_lived_share": trunk.long_lived_share,
            "long_lived_threshold_seconds": trunk.long_lived_threshold_seconds,
            "active_developers": trunk.active_developers,
            "merges_per_developer_per_day": trunk.merges_per_developer_per_day,
            "long_lived_merged": trunk.long_lived_merged,
            "open_at_end": trunk.open_at_end,
            "long_lived_open": len(trunk.long_lived_open),
            "long_lived_open_pull_requests": [
                _open_pull_request(age) for age in trunk.long_lived_open[:LISTED_OPEN]
            ],
        },
        "ci": {
            "runs": ci.runs,
            "duration": _quantiles(ci.duration, "_seconds"),
            "queue": _quantiles(ci.queue, "_seconds"),
            "succeeded": ci.succeeded,
            "failed": ci.failed,
            "success_rate": ci.success_rate,
            "flaky": ci.flaky,
            "flaky_share": ci.flaky_share,
        },
        "findings": [
            {"kind": finding.kind.value, "message": finding.message, "lever": finding.lever}
            for finding in diagnosis.findings
        ],
        "slowest_pull_requests": [_pull_request(item) for item in diagnosis.slowest()],
        "biggest_pull_requests": [_pull_request(item) for item in diagnosis.biggest()],
    }


def what_if_document(scenario: WhatIf) -> dict[str, Any]:
    """A what-if projection."""
    return {
        "stage": scenario.stage.value,
        "change": scenario.change,
        "count": scenario.count,
        "median_seconds": scenario.median_seconds,
        "projected_median_seconds": scenario.projected_median_seconds,
        "band": scenario.band.value if scenario.band else None,
        "projected_band": scenario.projected_band.value if scenario.projected_band else None,
    }


def _bucket(bucket: BatchBucket) -> dict[str, Any]:
    return {
        "size": bucket.label,
        "count": bucket.count,
        "lead_time_median_seconds": bucket.lead_median_seconds,
        "review_median_seconds": bucket.review_median_seconds,
        "deployed": bucket.deployed,
        "failed": bucket.failed,
        "fail_rate": bucket.fail_rate,
    }


def _quantiles(summary: DurationSummary, suffix: str = "") -> dict[str, Any]:
    return {
        "count": summary.count,
        f"median{suffix}": summary.median_seconds,
        f"p75{suffix}": summary.p75_seconds,
        f"p90{suffix}": summary.p90_seconds,
    }


def _pull_request(item: PullRequestStages) -> dict[str, Any]:
    fact = item.pull_request
    return {
        "id": fact.external_id,
        "number": fact.number,
        "title": fact.title,
        "author": fact.author,
        "url": fact.url,
        "size_lines": fact.size,
        "merged_at": _time(moment(fact.merged_at)),
        "lead_time_seconds": item.lead_seconds,
        "stages_seconds": {stage.value: item.duration(stage) for stage in Stage},
    }


def _open_pull_request(age: OpenPullRequestAge) -> dict[str, Any]:
    fact = age.pull_request
    return {
        "id": fact.external_id,
        "number": fact.number,
        "title": fact.title,
        "author": fact.author,
        "url": fact.url,
        "draft": fact.draft,
        "created_at": _time(fact.created_at),
        "age_seconds": age.age_seconds,
    }


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
