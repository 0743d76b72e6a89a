"""Durations, instants and epoch numbers in every shape real input has, to aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dorameter.errors import InvalidInput
from dorameter.timestamps import as_utc, from_epoch, parse_duration, parse_instant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", timedelta(days=90)),
        ("24h", timedelta(hours=24)),
        ("30m", timedelta(minutes=30)),
        ("2w", timedelta(weeks=2)),
        ("45s", timedelta(seconds=45)),
        ("1.5h", timedelta(minutes=90)),
        (" 7D ", timedelta(days=7)),
        ("12 h", timedelta(hours=12)),
        ("73000d", timedelta(days=73000)),  # 200 years: the longest accepted
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not a duration"),
        ("90", "is not a duration"),
        ("d", "is not a duration"),
        ("1y", "is not a duration"),
        ("-1d", "is not a duration"),
        ("1e3d", "is not a duration"),
        ("24 hours", "is not a duration"),
        ("0d", "must be longer than zero"),
        ("0.0h", "must be longer than zero"),
        ("73001d", "longer than 200 years"),
        ("99999999999999d", "longer than 200 years"),  # would overflow timedelta
    ],
)
def test_parse_duration_rejects(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-31", datetime(2026, 1, 31, tzinfo=UTC)),  # a date: midnight UTC
        (" 2026-01-31 ", datetime(2026, 1, 31, tzinfo=UTC)),
        ("2026-01-31T14:00:00+01:00", datetime(2026, 1, 31, 13, tzinfo=UTC)),
        ("2026-01-31T02:30:00-08:00", datetime(2026, 1, 31, 10, 30, tzinfo=UTC)),
        ("2026-01-31T14:00:00+05:30", datetime(2026, 1, 31, 8, 30, tzinfo=UTC)),
        ("2026-01-31T23:30:00-01:00", datetime(2026, 2, 1, 0, 30, tzinfo=UTC)),  # next day
        ("2026-01-31T14:00:00Z", datetime(2026, 1, 31, 14, tzinfo=UTC)),
        ("2026-01-31t14:00:00z", datetime(2026, 1, 31, 14, tzinfo=UTC)),
        ("2026-01-31T14:00:00", datetime(2026, 1, 31, 14, tzinfo=UTC)),  # naive: UTC
        ("2026-01-31 14:00", datetime(2026, 1, 31, 14, tzinfo=UTC)),
        ("2026-01-31T14:00:00.123456Z", datetime(2026, 1, 31, 14, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_parse_instant(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)

    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not a date"),
        ("yesterday", "is not a date"),
        ("2026-13-45", "is not a date"),
        ("2026-02-30", "is not a date"),
        ("2026-02-30T10:00:00Z", "is not a date"),
        ("31/01/2026", "is not a date"),
        ("1700000000", "is not a date"),  # an epoch number is not an ISO date
        ("2026-01-31T25:00:00", "is not a date"),
        ("1969-12-31", "is not a plausible time"),
        ("1900-01-01", "is not a plausible time"),
        ("0001-01-01", "is not a plausible time"),
        ("1969-12-31T23:00:00Z", "is not a plausible time"),
        ("2200-01-01T00:00:00Z", "is not a plausible time"),
        ("9999-12-31", "is not a plausible time"),
    ],
)
def test_parse_instant_rejects(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_instant(text)


def test_as_utc() -> None:
    naive = datetime(2026, 1, 31, 14)
    offset = datetime.fromisoformat("2026-01-31T14:00:00+02:00")

    assert as_utc(naive) == datetime(2026, 1, 31, 14, tzinfo=UTC)
    assert as_utc(offset) == datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert as_utc(offset).tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # seconds
        (1420452191, datetime(2015, 1, 5, 10, 3, 11, tzinfo=UTC)),
        (1420452191.5, datetime(2015, 1, 5, 10, 3, 11, 500000, tzinfo=UTC)),
        ("1420452191", datetime(2015, 1, 5, 10, 3, 11, tzinfo=UTC)),
        (7_258_118_399, datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)),  # the latest accepted
        (86_400, datetime(1970, 1, 2, tzinfo=UTC)),  # the earliest accepted
        # milliseconds: Opsgenie's createdAt
        (1420452191104, datetime(2015, 1, 5, 10, 3, 11, 104000, tzinfo=UTC)),
        (1502709956288, datetime(2017, 8, 14, 11, 25, 56, 288000, tzinfo=UTC)),
        ("1502709956288", datetime(2017, 8, 14, 11, 25, 56, 288000, tzinfo=UTC)),
        (1502709956288.0, datetime(2017, 8, 14, 11, 25, 56, 288000, tzinfo=UTC)),
        # microseconds
        (1420452191104123, datetime(2015, 1, 5, 10, 3, 11, 104123, tzinfo=UTC)),
        # nanoseconds: Opsgenie's updatedAt, rounded half to even to microseconds
        (1420452374669001603, datetime(2015, 1, 5, 10, 6, 14, 669002, tzinfo=UTC)),
        (1420452224764002246, datetime(2015, 1, 5, 10, 3, 44, 764002, tzinfo=UTC)),
        (1502709956288000110, datetime(2017, 8, 14, 11, 25, 56, 288000, tzinfo=UTC)),
        (1420452191104000500, datetime(2015, 1, 5, 10, 3, 11, 104000, tzinfo=UTC)),
        (1420452191104001500, datetime(2015, 1, 5, 10, 3, 11, 104002, tzinfo=UTC)),
        ("1420452374669001603", datetime(2015, 1, 5, 10, 6, 14, 669002, tzinfo=UTC)),
    ],
)
def test_from_epoch(value: float | str, expected: datetime) -> None:
    converted = from_epoch(value)

    assert converted == expected
    assert converted.tzinfo is not None
    assert converted.utcoffset() == timedelta(0)


def test_from_epoch_is_exact_for_every_nanosecond_epoch() -> None:
    # A float holds a nanosecond epoch only to ~256 ns, which used to shift the microsecond.
    start = 1_773_000_000_123_456_000
    for nanos in range(start, start + 5_000, 7):
        whole, rest = divmod(nanos, 1000)
        micros = whole + (1 if rest > 500 or (rest == 500 and whole % 2) else 0)
        assert from_epoch(nanos) == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
            microseconds=micros
        )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "not a plausible time"),
        (5, "not a plausible time"),  # 1970-01-01: before any delivery event
        (-1, "not a plausible time"),
        (-1420452191104, "not a plausible time"),
        (99_999_999_999, "not a plausible time"),  # seconds in the year 5138
        (7_258_118_400, "not a plausible time"),  # 2200-01-01 in seconds
        (1e30, "not a plausible time"),  # too large for any datetime
        (10**40, "not a plausible time"),
        (float("nan"), "not an epoch time"),
        (float("inf"), "not an epoch time"),
        ("abc", "not an epoch time"),
        ("", "not an epoch time"),
        ("1/2", "not an epoch time"),
        ("2026-01-31", "not an epoch time"),
        (True, "not an epoch time"),
    ],
)
def test_from_epoch_rejects(value: float | str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        from_epoch(value)
