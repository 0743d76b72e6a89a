"""Every band edge of every report year, and the helpers around the table."""

from __future__ import annotations

import pytest
from metrics_support import DAY, HOUR, MONTH, SIX_MONTHS, WEEK

from dorameter.errors import InvalidInput
from dorameter.metrics.bands import (
    BAND_RULE_NOTES,
    BAND_YEARS,
    DEFAULT_BAND_YEAR,
    Band,
    BandMetric,
    classify,
    restore_metric,
    worst,
)

E, H, M, L = Band.ELITE, Band.HIGH, Band.MEDIUM, Band.LOW
DF = BandMetric.DEPLOYMENT_FREQUENCY
LT = BandMetric.LEAD_TIME
CFR = BandMetric.CHANGE_FAIL_RATE
RT = BandMetric.RECOVERY_TIME
TTR = BandMetric.TIME_TO_RESTORE

EDGES = [
    # 2023: monotone; "under" edges are exclusive, "at least/at most" inclusive
    ("2023", DF, 5.0, E),
    ("2023", DF, 1.0, E),
    ("2023", DF, 0.999, H),
    ("2023", DF, 1 / 7, H),
    ("2023", DF, 13 / 91, H),  # 13 deployments in 91 days: exactly weekly
    ("2023", DF, 0.999 / 7, M),
    ("2023", DF, 1 / 30, M),
    ("2023", DF, 0.999 / 30, L),
    ("2023", DF, 0.0, L),
    ("2023", LT, 0.0, E),
    ("2023", LT, DAY - 1, E),
    ("2023", LT, DAY, H),
    ("2023", LT, WEEK - 1, H),
    ("2023", LT, WEEK, M),
    ("2023", LT, MONTH - 1, M),
    ("2023", LT, MONTH, L),
    ("2023", CFR, 0.0, E),
    ("2023", CFR, 0.05, E),
    ("2023", CFR, 0.0501, H),
    ("2023", CFR, 0.10, H),
    ("2023", CFR, 0.1001, M),
    ("2023", CFR, 0.15, M),
    ("2023", CFR, 0.1501, L),
    ("2023", CFR, 1.0, L),
    ("2023", RT, HOUR - 1, E),
    ("2023", RT, HOUR, H),
    ("2023", RT, DAY - 1, H),
    ("2023", RT, DAY, M),
    ("2023", RT, WEEK - 1, M),
    ("2023", RT, WEEK, L),
    # 2021: monthly is High, six months Medium; CFR High/Medium/Low share 16-30%
    ("2021", DF, 1.0, E),
    ("2021", DF, 0.5, H),
    ("2021", DF, 1 / 30, H),
    ("2021", DF, 0.999 / 30, M),
    ("2021", DF, 1 / 182.5, M),
    ("2021", DF, 0.999 / 182.5, L),
    ("2021", LT, HOUR - 1, E),
    ("2021", LT, HOUR, H),
    ("2021", LT, WEEK - 1, H),
    ("2021", LT, WEEK, M),
    ("2021", LT, SIX_MONTHS - 1, M),
    ("2021", LT, SIX_MONTHS, L),
    ("2021", CFR, 0.15, E),
    ("2021", CFR, 0.16, H),
    ("2021", CFR, 0.30, H),
    ("2021", CFR, 0.3001, L),
    ("2021", TTR, HOUR - 1, E),
    ("2021", TTR, HOUR, H),
    ("2021", TTR, DAY - 1, H),
    ("2021", TTR, DAY, M),
    ("2021", TTR, WEEK - 1, M),
    ("2021", TTR, WEEK, L),
    # 2019: CFR Elite/High/Medium all at most 15%; TTR High and Medium both under a day
    ("2019", DF, 1.0, E),
    ("2019", DF, 1 / 7, H),
    ("2019", DF, 1 / 8, M),
    ("2019", DF, 1 / 30, M),
    ("2019", DF, 1 / 31, L),
    ("2019", LT, DAY - 1, E),
    ("2019", LT, DAY, H),
    ("2019", LT, WEEK, M),
    ("2019", LT, MONTH - 1, M),
    ("2019", LT, MONTH, L),
    ("2019", CFR, 0.15, E),
    ("2019", CFR, 0.1501, L),
    ("2019", TTR, HOUR - 1, E),
    ("2019", TTR, HOUR, H),
    ("2019", TTR, DAY - 1, H),
    ("2019", TTR, DAY, L),
    # 2024 clusters: CFR Medium (10%) and recovery Medium (under 1 day) are unreachable
    ("2024", DF, 1.0, E),
    ("2024", DF, 1 / 7, H),
    ("2024", DF, 1 / 8, M),
    ("2024", DF, 1 / 30, M),
    ("2024", DF, 1 / 31, L),
    ("2024", DF, 1 / 200, L),
    ("2024", LT, DAY - 1, E),
    ("2024", LT, DAY, H),
    ("2024", LT, WEEK, M),
    ("2024", LT, MONTH, L),
    ("2024", CFR, 0.05, E),
    ("2024", CFR, 0.08, H),
    ("2024", CFR, 0.20, H),
    ("2024", CFR, 0.2001, L),
    ("2024", RT, HOUR - 1, E),
    ("2024", RT, HOUR, H),
    ("2024", RT, DAY - 1, H),
    ("2024", RT, DAY, L),
]


@pytest.mark.parametrize(("year", "metric", "value", "expected"), EDGES)
def test_classify_edges(year: str, metric: BandMetric, value: float, expected: Band) -> None:
    assert classify(year, metric, value) is expected


@pytest.mark.parametrize(
    ("year", "metric"), [("2019", RT), ("2021", RT), ("2023", TTR), ("2024", TTR)]
)
def test_metric_a_year_does_not_band_has_no_band(year: str, metric: BandMetric) -> None:
    assert classify(year, metric, 60.0) is None


@pytest.mark.parametrize("metric", list(BandMetric))
def test_no_value_has_no_band(metric: BandMetric) -> None:
    assert classify(DEFAULT_BAND_YEAR, metric, None) is None


def test_unknown_year_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="2023"):
        classify("2022", LT, 1.0)


@pytest.mark.parametrize(
    ("year", "expected"), [("2019", TTR), ("2021", TTR), ("2023", RT), ("2024", RT)]
)
def test_restore_metric(year: str, expected: BandMetric) -> None:
    assert restore_metric(year) is expected
    assert classify(year, expected, HOUR - 1) is E


@pytest.mark.parametrize(
    ("bands", "expected"),
    [([E, None, H], H), ([L, E], L), ([E, M, H], M), ([None, None], None), ([], None), ([E], E)],
)
def test_worst(bands: list[Band | None], expected: Band | None) -> None:
    assert worst(bands) is expected


@pytest.mark.parametrize(("band", "rank"), [(E, 0), (H, 1), (M, 2), (L, 3)])
def test_rank(band: Band, rank: int) -> None:
    assert band.rank == rank


def test_years_and_rule_notes() -> None:
    assert BAND_YEARS == ("2019", "2021", "2023", "2024")
    assert DEFAULT_BAND_YEAR == "2023"
    assert set(BAND_RULE_NOTES) == {"2019", "2021", "2024"}
    assert all("best band whose upper edge" in note for note in BAND_RULE_NOTES.values())
