"""Read fields of a JSON payload by path, with errors that name the path and what was wrong."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dorameter.errors import InvalidInput
from dorameter.timestamps import from_epoch, parse_instant

Json = dict[str, Any]


def at(payload: Json, path: str) -> Any:
    """The value at a dotted path, or None when any part is missing."""
    value: Any = payload
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def need(payload: Json, path: str) -> Any:
    """The value at a dotted path; InvalidInput when it is missing or null."""
    value = at(payload, path)
    if value is None:
        raise InvalidInput(f"missing field {path}")
    return value


def obj(payload: Json, path: str) -> Json:
    """The object at a path (required)."""
    value = need(payload, path)
    if not isinstance(value, dict):
        raise InvalidInput(f"{path} must be an object")
    return value


def text(payload: Json, path: str, required: bool = True, limit: int = 500) -> str:
    """A string (or number, as text) at a path; '' when optional and missing."""
    value = need(payload, path) if required else at(payload, path)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(f"{path} must be a string")
    result = str(value).strip()
    if required and not result:
        raise InvalidInput(f"{path} is empty")
    if len(result) > limit:
        raise InvalidInput(f"{path} is longer than {limit} characters")
    return result


def instant(payload: Json, path: str) -> datetime:
    """An ISO 8601 time at a path (required)."""
    value = need(payload, path)
    if not isinstance(value, str):
        raise InvalidInput(f"{path} must be an ISO 8601 time")
    try:
        return parse_instant(value)
    except InvalidInput as error:
        raise InvalidInput(f"{path}: {error}") from None


def optional_instant(payload: Json, path: str) -> datetime | None:
    """An ISO 8601 time at a path, or None when it is missing."""
    return None if at(payload, path) is None else instant(payload, path)


def epoch(payload: Json, path: str) -> datetime:
    """An epoch time (s, ms, us or ns) at a path (required)."""
    value = need(payload, path)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(f"{path} must be an epoch time")
    try:
        return from_epoch(value)
    except InvalidInput as error:
        raise InvalidInput(f"{path}: {error}") from None
