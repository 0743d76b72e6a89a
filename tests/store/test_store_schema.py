"""Stored times: epoch microseconds converted back exactly."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from dorameter.store.schema import EPOCH, from_micros, to_micros


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1970, 1, 2, tzinfo=UTC),
        datetime(2026, 3, 2, 9, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 3, 2, 9, 0, 0, 999_999, tzinfo=UTC),
        datetime(2199, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ],
)
def test_a_time_survives_the_round_trip_to_the_microsecond(moment: datetime) -> None:
    assert from_micros(to_micros(moment)) == moment


def test_conversion_is_exact_across_the_plausible_range() -> None:
    draw = random.Random(5)
    for _ in range(20_000):
        value = draw.randrange(86_400_000_000, to_micros(datetime(2200, 1, 1, tzinfo=UTC)))
        assert from_micros(value) == EPOCH + timedelta(microseconds=value)
