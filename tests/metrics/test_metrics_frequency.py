"""Deployment frequency: counts, rates, active days, intervals and the band."""

from __future__ import annotations

import pytest
from metrics_support import HOUR, at, period

from dorameter.metrics.bands import Band
from dorameter.metrics.frequency import deployment_frequency
from dorameter.metrics.stats import poisson_rate_interval


def test_frequency_of_a_two_week_period() -> None:
    times = [at(5), at(1), at(48), at(335), at(336), at(-1 / 3600)]  # the last two are outside
    result = deployment_frequency(times, period(14), "2023")
    assert result.count == 4
    assert result.per_day == pytest.approx(4 / 14)
    assert result.per_week == pytest.approx(2.0)
    assert result.active_day_share == pytest.approx(3 / 14)  # Jan 1, Jan 3, Jan 14
    assert result.median_interval_seconds == 43 * HOUR  # gaps of 4 h, 43 h, 287 h
    assert result.ci95_per_day == poisson_rate_interval(4, 14)
    assert result.band is Band.HIGH


@pytest.mark.parametrize(
    ("days", "start_hours", "times", "share"),
    [
        (2, 0, [1], 1 / 2),  # ends at midnight: two dates
        (2, 12, [13], 1 / 3),  # noon to noon touches three dates
        (2, 12, [13, 14, 40], 2 / 3),
        (1, 0, [0, 23], 1.0),
    ],
)
def test_active_day_share(
    days: float, start_hours: float, times: list[float], share: float
) -> None:
    result = deployment_frequency([at(hours) for hours in times], period(days, start_hours), "2023")
    assert result.active_day_share == pytest.approx(share)


def test_no_deployments_is_low() -> None:
    result = deployment_frequency([], period(90), "2023")
    assert (result.count, result.per_day, result.per_week) == (0, 0.0, 0.0)
    assert result.median_interval_seconds is None
    assert result.ci95_per_day[0] == 0.0
    assert result.ci95_per_day[1] == pytest.approx(3.6889 / 90, rel=1e-4)
    assert result.band is Band.LOW


def test_one_deployment_has_no_interval() -> None:
    result = deployment_frequency([at(3)], period(7), "2023")
    assert result.median_interval_seconds is None
    assert result.band is Band.HIGH  # exactly weekly


@pytest.mark.parametrize(
    ("count", "days", "year", "band"),
    [
        (13, 91, "2023", Band.HIGH),  # exactly weekly on average
        (12, 91, "2023", Band.MEDIUM),
        (91, 91, "2023", Band.ELITE),
        (3, 90, "2023", Band.MEDIUM),  # exactly monthly
        (3, 90, "2021", Band.HIGH),
    ],
)
def test_band_uses_the_average_rate(count: int, days: int, year: str, band: Band) -> None:
    times = [at(hours) for hours in range(count)]
    assert deployment_frequency(times, period(days), year).band is band
