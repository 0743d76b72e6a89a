"""The DORA Quick Check scale: each metric scored 0-10 by the survey's six answer buckets."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean

from dorameter.metrics.bands import DAY, HOUR, MONTH, SIX_MONTHS, WEEK

# Upper edges of the first five buckets, best first; a sixth bucket holds everything beyond.
_BUCKET_EDGES_SECONDS = (HOUR, DAY, WEEK, MONTH, SIX_MONTHS)
_BUCKET_SCORES = (10.0, 8.0, 6.0, 4.0, 2.0, 0.0)


@dataclass(frozen=True)
class QuickCheck:
    """Quick Check scores (0 worst, 10 best) per metric and their means; None when unknown."""

    deployment_frequency: float | None
    lead_time: float | None
    recovery_time: float | None
    change_fail_rate: float | None
    rework_rate: float | None
    throughput: float | None
    stability: float | None
    overall: float | None


def quick_check(
    per_day: float | None,
    lead_median_seconds: float | None,
    recovery_median_seconds: float | None,
    change_fail_rate: float | None,
    rework_rate: float | None,
) -> QuickCheck:
    """Score the metrics on the Quick Check scale; throughput, stability and overall are means."""
    frequency = frequency_score(per_day)
    lead = duration_score(lead_median_seconds)
    recovery = duration_score(recovery_median_seconds)
    failures = share_score(change_fail_rate)
    rework = share_score(rework_rate)
    return QuickCheck(
        deployment_frequency=frequency,
        lead_time=lead,
        recovery_time=recovery,
        change_fail_rate=failures,
        rework_rate=rework,
        throughput=_mean(frequency, lead, recovery),
        stability=_mean(failures, rework),
        overall=_mean(frequency, lead, recovery, failures, rework),
    )


def duration_score(seconds: float | None) -> float | None:
    """Score a time by the survey's buckets; an edge value belongs to the worse bucket.

    Under 1 hour 10, under 1 day 8, under 1 week 6, under 30 days 4, under 182.5 days 2,
    longer 0.
    """
    if seconds is None:
        return None
    for edge, score in zip(_BUCKET_EDGES_SECONDS, _BUCKET_SCORES, strict=False):
        if seconds < edge:
            return score
    return _BUCKET_SCORES[-1]


def frequency_score(per_day: float | None) -> float | None:
    """Score an average deployment rate against the survey's answers.

    The survey asks for a range ("on demand, multiple deploys per day", "between once per hour
    and once per day", ... "fewer than once every six months"); an average rate is read as the
    best answer it reaches: at least hourly (24 a day) is on demand 10, at least daily 8, at
    least weekly 6, at least monthly (30 days) 4, at least every six months (182.5 days) 2,
    less often 0.
    """
    if per_day is None:
        return None
    for edge, score in zip(_BUCKET_EDGES_SECONDS, _BUCKET_SCORES, strict=False):
        if per_day >= DAY / edge:  # same rate comparison as the bands: exact for count / days
            return score
    return _BUCKET_SCORES[-1]


def share_score(rate: float | None) -> float | None:
    """Score a share of deployments linearly: 10 at 0%, 0 at 100%."""
    if rate is None:
        return None
    return 10.0 * (1.0 - min(max(rate, 0.0), 1.0))


def _mean(*scores: float | None) -> float | None:
    """Mean of the known scores; None when none is known."""
    known = [score for score in scores if score is not None]
    return fmean(known) if known else None
