"""Builders for flow-diagnosis tests: pull requests at hour offsets from T0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dorameter.flow_model import OpenPullRequestFact, PullRequestFact, ReviewFact
from dorameter.timestamps import micros

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
HOUR = 3600.0


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def at_micros(hours: float) -> int:
    """A merged pull request's or review's time: epoch microseconds."""
    return micros(at(hours))


def pr(
    number: int = 1,
    *,
    first_commit: float | None = 0,
    ready: float = 2,
    reviews: tuple[tuple[str, float], ...] = (("grace", 5),),
    merged: float = 8,
    deployed: float | None = 10,
    deployment_id: int | None = 1,
    author: str = "ada",
    size: int | None = 40,
) -> PullRequestFact:
    """A PR with stages coding 2 h, pickup 3 h, review 3 h, deploy 2 h unless told otherwise."""
    return PullRequestFact(
        external_id=f"test:shop#{number}",
        service="shop",
        number=number,
        title=f"Change {number}",
        author=author,
        created_at=at_micros(ready),
        ready_at=at_micros(ready),
        merged_at=at_micros(merged),
        first_commit_at=None if first_commit is None else at_micros(first_commit),
        deployed_at=None if deployed is None else at_micros(deployed),
        deployment_id=deployment_id if deployed is not None else None,
        reviews=tuple(ReviewFact(reviewer, at_micros(hours)) for reviewer, hours in reviews),
        additions=size,
        deletions=0 if size is not None else None,
    )


def open_pr(
    number: int,
    *,
    created: float,
    first_commit: float | None = None,
    title: str = "",
    draft: bool = False,
) -> OpenPullRequestFact:
    """A PR still open at the period's end, opened `created` hours after T0."""
    return OpenPullRequestFact(
        external_id=f"test:shop#{number}",
        service="shop",
        number=number,
        title=title or f"Change {number}",
        author="ada",
        created_at=at(created),
        first_commit_at=None if first_commit is None else at(first_commit),
        draft=draft,
    )
