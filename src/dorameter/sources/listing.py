"""Reading API listings resumably, the same way on GitHub and GitLab.

Positions are the JSON a source leaves after each stored page (see platform.py). Every position
carries the start of the history read so far ("since"); a listing walked part-way carries
"resume" with the URL of its next page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from itertools import takewhile
from typing import Any

from dorameter.errors import ApiError
from dorameter.model import Commit
from dorameter.sources.fields import maybe_time
from dorameter.sources.http import ApiClient, ApiResponse
from dorameter.sources.platform import Batch, Records, RepositoryPlan

Reader = Callable[[RepositoryPlan, dict[str, Any]], Iterator[Batch]]


def from_history_start(plan: RepositoryPlan, position: Any, reader: Reader) -> Iterator[Batch]:
    """Run a resource reader after `position`, or from scratch when --since asks for more.

    The history's start stays the earliest --since ever read, so request URLs (and their
    ETags) stay the same from one run to the next while the default --since moves on.
    """
    start = position if isinstance(position, dict) else {}
    stored = maybe_time(start.get("since"))
    if stored is not None and stored > plan.since:
        start, stored = {}, None
    plan = replace(plan, since=stored or plan.since)
    since = {"since": plan.since.isoformat()}
    for batch in reader(plan, start):
        if isinstance(batch.position, dict):
            yield replace(batch, position=batch.position | since)
        else:
            yield batch


def resume_pages(
    api: ApiClient,
    url: str,
    params: Mapping[str, Any],
    position: Mapping[str, Any],
    etag: str | None = None,
) -> Iterator[ApiResponse]:
    """A listing's pages, from the page an interrupted run had not stored yet, if any."""
    resume = position.get("resume") or {}
    if resume.get("next"):
        return api.pages(str(resume["next"]))
    return api.pages(url, params, etag)


def unless_disabled(pages: Iterator[ApiResponse], status: int) -> Iterator[ApiResponse]:
    """A listing's pages, or none when the repository turned the feature off (GitHub answers
    410 for issues that are disabled, GitLab 403)."""
    try:
        yield from pages
    except ApiError as error:
        if error.status != status:
            raise


def branch_commits(
    api: ApiClient,
    listing: tuple[str, Mapping[str, Any]],
    branch: str,
    position: dict[str, Any],
    convert: Callable[[Any], Commit],
) -> Iterator[Batch]:
    """A branch's commits, newest first, down to the tip the last run saw (the whole listing
    on a first run, or when the branch changed). A 304 on the first page: nothing new."""
    url, params = listing
    known = position.get("tip") if position.get("branch") == branch else None
    resume = position.get("resume") or {}
    tip, etag = resume.get("tip"), resume.get("etag")
    for page in resume_pages(api, url, params, position, position.get("etag") if known else None):
        if page.not_modified:
            return
        commits = [convert(item) for item in page.data]
        if tip is None:
            tip, etag = (commits[0].sha if commits else known), page.etag
        fresh = list(takewhile(lambda commit: commit.sha != known, commits))
        records = Records(commits=tuple(fresh))
        if len(fresh) < len(commits) or not page.next_url:
            yield Batch(records, {"branch": branch, "tip": tip, "etag": etag}, len(fresh))
            return
        resumed = {"next": page.next_url, "tip": tip, "etag": etag}
        yield Batch(records, position | {"resume": resumed}, len(fresh))
