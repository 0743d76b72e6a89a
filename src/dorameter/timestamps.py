"""Parse the dates, instants and durations people and payloads give us into aware UTC values."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from dorameter.errors import InvalidInput

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Epoch numbers above these are milliseconds, microseconds or nanoseconds (real payloads mix
# them); seconds stay below 1e11 until the year 5138.
_EPOCH_SCALES = ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3))
_EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def parse_duration(text: str) -> timedelta:
    """'90d', '24h', '30m', '2w', '45s' -> timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise InvalidInput(f"{text!r} is not a duration; use a number and a unit, like 90d or 24h")
    amount, unit = float(match.group(1)), match.group(2).lower()
    if amount <= 0:
        raise InvalidInput(f"{text!r} must be longer than zero")
    return timedelta(seconds=amount * _UNIT_SECONDS[unit])


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date or date-time; a date means midnight UTC, a time without offset UTC."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
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


def from_epoch(value: float) -> datetime:
    """Seconds, milliseconds, microseconds or nanoseconds since the epoch -> aware UTC."""
    seconds = float(value)
    for threshold, scale in _EPOCH_SCALES:
        if abs(seconds) >= threshold:
            seconds /= scale
            break
    return check_plausible(datetime.fromtimestamp(seconds, UTC), str(value))


def check_plausible(moment: datetime, original: str) -> datetime:
    """Reject instants no delivery event can have (before 1970-01-02 or after 2200)."""
    if not _EARLIEST <= moment < _LATEST:
        raise InvalidInput(f"{original!r} is not a plausible time for a delivery event")
    return moment
