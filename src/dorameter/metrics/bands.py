"""Elite/High/Medium/Low bands of the DORA reports, kept as one table of thresholds.

Every row lists the upper edges of Elite, High and Medium in "lower is better" units (seconds,
fractions, seconds between deployments). A value falls into the best band whose upper edge it does
not exceed; a value beyond every edge is Low. Where a report's bands overlap, that rule makes some
bands unreachable; BAND_RULE_NOTES says so per year, for the output.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from dorameter.errors import InvalidInput


class Band(StrEnum):
    """Performance band of one metric, best first."""

    ELITE = "elite"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for Elite up to 3 for Low, so that a larger rank is a worse band."""
        return list(Band).index(self)


class BandMetric(StrEnum):
    """The metrics a report year may band."""

    DEPLOYMENT_FREQUENCY = "deployment_frequency"
    LEAD_TIME = "lead_time"
    CHANGE_FAIL_RATE = "change_fail_rate"
    RECOVERY_TIME = "recovery_time"
    TIME_TO_RESTORE = "time_to_restore"


BAND_YEARS = ("2019", "2021", "2023", "2024")
DEFAULT_BAND_YEAR = "2023"

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY
SIX_MONTHS = 182.5 * DAY


@dataclass(frozen=True)
class Edge:
    """Upper edge of a band; inclusive means "at most", exclusive means "under"."""

    limit: float
    inclusive: bool


def _under(limit: float) -> Edge:
    return Edge(limit, inclusive=False)


def _at_most(limit: float) -> Edge:
    return Edge(limit, inclusive=True)


_DF = BandMetric.DEPLOYMENT_FREQUENCY
_LT = BandMetric.LEAD_TIME
_CFR = BandMetric.CHANGE_FAIL_RATE
_RT = BandMetric.RECOVERY_TIME
_TTR = BandMetric.TIME_TO_RESTORE

# (year, metric) -> upper edges of (Elite, High, Medium). Deployment frequency edges are the mean
# time between deployments ("at least weekly" = at most a week apart on average).
_THRESHOLDS: dict[tuple[str, BandMetric], tuple[Edge, Edge, Edge]] = {
    # Accelerate State of DevOps 2019
    ("2019", _DF): (_at_most(DAY), _at_most(WEEK), _at_most(MONTH)),
    ("2019", _LT): (_under(DAY), _under(WEEK), _under(MONTH)),
    ("2019", _CFR): (_at_most(0.15), _at_most(0.15), _at_most(0.15)),
    ("2019", _TTR): (_under(HOUR), _under(DAY), _under(DAY)),
    # Accelerate State of DevOps 2021 (High, Medium and Low change fail rate all read 16-30%)
    ("2021", _DF): (_at_most(DAY), _at_most(MONTH), _at_most(SIX_MONTHS)),
    ("2021", _LT): (_under(HOUR), _under(WEEK), _under(SIX_MONTHS)),
    ("2021", _CFR): (_at_most(0.15), _at_most(0.30), _at_most(0.30)),
    ("2021", _TTR): (_under(HOUR), _under(DAY), _under(WEEK)),
    # Accelerate State of DevOps 2023 (default; monotone)
    ("2023", _DF): (_at_most(DAY), _at_most(WEEK), _at_most(MONTH)),
    ("2023", _LT): (_under(DAY), _under(WEEK), _under(MONTH)),
    ("2023", _CFR): (_at_most(0.05), _at_most(0.10), _at_most(0.15)),
    ("2023", _RT): (_under(HOUR), _under(DAY), _under(WEEK)),
    # Accelerate State of DevOps 2024 performance clusters
    ("2024", _DF): (_at_most(DAY), _at_most(WEEK), _at_most(MONTH)),
    ("2024", _LT): (_under(DAY), _under(WEEK), _under(MONTH)),
    ("2024", _CFR): (_at_most(0.05), _at_most(0.20), _at_most(0.10)),
    ("2024", _RT): (_under(HOUR), _under(DAY), _under(DAY)),
}

_HIGHER_IS_BETTER = frozenset({_DF})  # its value is deployments per day

_RESTORE_METRIC = {"2019": _TTR, "2021": _TTR, "2023": _RT, "2024": _RT}

BAND_RULE_NOTES: dict[str, str] = {
    "2019": (
        "A value falls into the best band whose upper edge it does not exceed, so a change fail "
        "rate up to 15% is Elite (High and Medium share that edge) and above it Low, and a time "
        "to restore under 1 hour is Elite, under 1 day High, never Medium, otherwise Low."
    ),
    "2021": (
        "A value falls into the best band whose upper edge it does not exceed, so with High, "
        "Medium and Low all at 16-30% a change fail rate up to 15% is Elite, up to 30% High, "
        "never Medium, and above 30% Low."
    ),
    "2024": (
        "A value falls into the best band whose upper edge it does not exceed, so a change fail "
        "rate up to 5% is Elite, up to 20% High, never Medium (10% is already High) and above "
        "20% Low, and a recovery time under 1 day is High, never Medium, otherwise Low."
    ),
}


def classify(year: str, metric: BandMetric, value: float | None) -> Band | None:
    """Band of a value for a report year; None when there is no value or the year does not band it.

    Units: deployments per day, seconds for times, a fraction 0..1 for change fail rate. Zero
    deployments per day is Low: less often than every edge.
    """
    edges = _THRESHOLDS.get((_known_year(year), metric))
    if value is None or edges is None:
        return None
    for band, edge in zip((Band.ELITE, Band.HIGH, Band.MEDIUM), edges, strict=True):
        if _within(metric, value, edge):
            return band
    return Band.LOW


def next_band_target(year: str, metric: BandMetric, value: float | None) -> float | None:
    """The edge of the next better band (the value itself when already Elite; None unbanded).

    Units as in classify; a frequency edge is returned as deployments per day.
    """
    edges = _THRESHOLDS.get((_known_year(year), metric))
    band = classify(year, metric, value)
    if edges is None or band is None or value is None:
        return None
    order = (Band.ELITE, Band.HIGH, Band.MEDIUM, Band.LOW)
    better = [edge for edge in edges[: order.index(band)] if not _within(metric, value, edge)]
    if not better:
        return value
    edge = better[-1]
    return DAY / edge.limit if metric in _HIGHER_IS_BETTER else edge.limit


def _within(metric: BandMetric, value: float, edge: Edge) -> bool:
    """Whether value does not exceed an upper edge, comparing frequencies as rates."""
    if metric in _HIGHER_IS_BETTER:
        # Compare deployments per day with 1 / interval: exact for count / days on the edge.
        rate = DAY / edge.limit
        return value > rate or (edge.inclusive and value == rate)
    return value < edge.limit or (edge.inclusive and value == edge.limit)


def _known_year(year: str) -> str:
    """The year itself, or InvalidInput naming the years there are bands for."""
    if year not in BAND_YEARS:
        raise InvalidInput(
            f"no DORA bands for year {year!r}; choose one of {', '.join(BAND_YEARS)}"
        )
    return year


def restore_metric(year: str) -> BandMetric:
    """The restore metric a year bands: failed deployment recovery time from 2023, else TTR."""
    return _RESTORE_METRIC[_known_year(year)]


def worst(bands: Iterable[Band | None]) -> Band | None:
    """Worst of the known bands (the overall band of a service); None when none is known."""
    known = [band for band in bands if band is not None]
    return max(known, key=lambda band: band.rank) if known else None
