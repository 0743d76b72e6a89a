"""Batch size: lines added plus deleted per PR, and how lead time, review time and failure rate
change across size buckets."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from dorameter.analysis.stages import PullRequestStages
from dorameter.metrics.stats import quantile

# (label, largest size in the bucket; None: no limit), smallest first.
BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("1-50", 50),
    ("51-200", 200),
    ("201-1000", 1000),
    ("1001+", None),
)


@dataclass(frozen=True)
class BatchBucket:
    """PRs of one size bucket: lead and review medians, and the share whose deployment failed."""

    label: str
    count: int
    lead_median_seconds: float | None
    review_median_seconds: float | None
    deployed: int  # PRs whose deployment is known
    failed: int  # of those, how many went out in a failed deployment
    fail_rate: float | None


def bucket_label(size: int) -> str:
    """The bucket a PR of `size` changed lines falls into."""
    for label, limit in BUCKETS:
        if limit is None or size <= limit:
            return label
    raise AssertionError("the last bucket has no limit")


def batch_buckets(
    stages: Sequence[PullRequestStages], failed_deployments: Collection[int]
) -> tuple[BatchBucket, ...]:
    """One row per size bucket (PRs of unknown size are left out)."""
    grouped: dict[str, list[PullRequestStages]] = {label: [] for label, _ in BUCKETS}
    for item in stages:
        if (size := item.pull_request.size) is not None:
            grouped[bucket_label(size)].append(item)
    return tuple(_bucket(label, items, failed_deployments) for label, items in grouped.items())


def _bucket(
    label: str, items: list[PullRequestStages], failed_deployments: Collection[int]
) -> BatchBucket:
    leads = sorted(v for item in items if (v := item.lead_seconds) is not None)
    reviews = sorted(v for item in items if (v := item.review) is not None)
    shipped = [item.pull_request.deployment_id for item in items]
    deployed = [deployment for deployment in shipped if deployment is not None]
    failed = sum(1 for deployment in deployed if deployment in failed_deployments)
    return BatchBucket(
        label=label,
        count=len(items),
        lead_median_seconds=quantile(leads, 0.5) if leads else None,
        review_median_seconds=quantile(reviews, 0.5) if reviews else None,
        deployed=len(deployed),
        failed=failed,
        fail_rate=failed / len(deployed) if deployed else None,
    )
