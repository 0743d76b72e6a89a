"""Parse the dates, instants and durations people and payloads give us into aware UTC values."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from dorameter.errors import InvalidInput

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_LONGEST = timedelta(days=200 * 365)  # longer than any delivery history; beyond it dates overflow
# Epoch numbers at or above these are nanoseconds, microseconds or milliseconds (real payloads
# mix them; Opsgenie sends both in one alert); seconds stay below 1e11 until the year 5138.
# Each entry: (threshold, microseconds per unit).
_EPOCH_UNITS = ((10**17, Fraction(1, 1000)), (10**14, Fraction(1)), (10**11, Fraction(1000)))
_MICROS_PER_SECOND = Fraction(10**6)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def micros(when: datetime) -> int:
    """Epoch microseconds of an aware datetime: how facts read in bulk carry their times
    (pull requests, reviews, CI runs, changes), where only differences and order count."""
    return (when - _EPOCH) // timedelta(microseconds=1)


def moment(epoch_micros: int) -> datetime:
    """The aware UTC datetime of epoch microseconds (exact, unlike a float timestamp)."""
    return _EPOCH + timedelta(microseconds=epoch_micros)


def parse_duration(text: str) -> timedelta:
    """'90d', '24h', '30m', '2w', '45s' -> timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise InvalidInput(f"{text!r} is not a duration; use a number and a unit, like 90d or 24h")
    amount, unit = float(match.group(1)), match.group(2).lower()
    if amount <= 0:
        raise InvalidInput(f"{text!r} must be longer than zero")
    seconds = amount * _UNIT_SECONDS[unit]
    if seconds > _LONGEST.total_seconds():
        raise InvalidInput(f"{text!r} is longer than 200 years; give a shorter duration")
    return timedelta(seconds=seconds)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date or date-time; a date means midnight UTC, a time without offset UTC."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return check_plausible(datetime(day.year, day.month, day.day, tzinfo=UTC), text)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a date; use ISO 8601, like 2026-01-31 or 2026-01-31T14:00:00+01:00"
        ) from None
    return check_plausible(as_utc(moment), text)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive value is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def from_epoch(value: float | str) -> datetime:
    """Seconds, milliseconds, microseconds or nanoseconds since the epoch -> aware UTC.

    Computed exactly (a float cannot hold a nanosecond epoch to the microsecond) and rounded
    half to even to whole microseconds, as datetime.fromtimestamp does. JSON payloads send
    numbers or numeric strings; anything else is InvalidInput.
    """
    number = _epoch_number(value)
    micros_per_unit = next(
        (per_unit for threshold, per_unit in _EPOCH_UNITS if abs(number) >= threshold),
        _MICROS_PER_SECOND,
    )
    try:
        moment = _EPOCH + timedelta(microseconds=round(number * micros_per_unit))
    except OverflowError:
        raise InvalidInput(f"{value!r} is not a plausible time for a delivery event") from None
    return check_plausible(moment, str(value))


def _epoch_number(value: float | str) -> Fraction:
    """The exact number in an epoch value."""
    if isinstance(value, bool):
        raise InvalidInput(f"{value!r} is not an epoch time")
    if (isinstance(value, float) and not math.isfinite(value)) or (
        isinstance(value, str) and "/" in value  # Fraction would read "1/2"
    ):
        raise InvalidInput(f"{value!r} is not an epoch time")
    try:
        return Fraction(value.strip() if isinstance(value, str) else value)
    except (ValueError, TypeError, ZeroDivisionError):
        raise InvalidInput(f"{value!r} is not an epoch time") from None


def check_plausible(moment: datetime, original: str) -> datetime:
    """Reject instants no delivery event can have (before 1970-01-02 or after 2200)."""
    if not _EARLIEST <= moment < _LATEST:
        raise InvalidInput(f"{original!r} is not a plausible time for a delivery event")
    return moment
