"""Read fields out of the JSON objects GitHub and GitLab send, with errors that name the field.

API responses and webhook bodies carry the same objects; a converter names what it reads
("GitHub pull request") so a malformed object is reported as, for example,
"GitHub pull request: missing field 'created_at'".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dorameter.errors import InvalidInput
from dorameter.timestamps import parse_instant

# GitLab writes "2016-08-12 15:23:28 UTC" in webhooks; everything else is ISO 8601.
_UTC_SUFFIX = re.compile(r"\s*UTC$")


class Fields:
    """A JSON object of a named kind, read by dotted paths ("base.repo.full_name")."""

    def __init__(self, data: Any, kind: str) -> None:
        if not isinstance(data, Mapping):
            raise InvalidInput(f"{kind}: expected a JSON object, got {type(data).__name__}")
        self.data = data
        self.kind = kind

    def get(self, path: str, default: Any = None) -> Any:
        """The value at `path`, or `default` when any step is missing or null."""
        value: Any = self.data
        for step in path.split("."):
            if not isinstance(value, Mapping) or value.get(step) is None:
                return default
            value = value[step]
        return value

    def require(self, path: str) -> Any:
        """The value at `path`; InvalidInput naming the field when it is missing or null."""
        value = self.get(path)
        if value is None:
            raise InvalidInput(f"{self.kind}: missing field {path!r}")
        return value

    def text(self, path: str) -> str:
        """A required field as text (numbers are accepted: ids are sometimes either)."""
        value = self.require(path)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise InvalidInput(f"{self.kind}: field {path!r} must be text, got {value!r}")
        return str(value)

    def integer(self, path: str) -> int:
        value = self.require(path)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(f"{self.kind}: field {path!r} must be an integer, got {value!r}")
        return value

    def optional_integer(self, path: str) -> int | None:
        value = self.get(path)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def instant(self, path: str) -> datetime:
        """A required timestamp as aware UTC."""
        return self._parse(path, self.require(path))

    def optional_instant(self, path: str) -> datetime | None:
        value = self.get(path)
        return None if value in (None, "") else self._parse(path, value)

    def first_instant(self, *paths: str) -> datetime:
        """The first of several timestamp fields that is present."""
        for path in paths:
            if (moment := self.optional_instant(path)) is not None:
                return moment
        raise InvalidInput(f"{self.kind}: missing field {paths[0]!r}")

    def _parse(self, path: str, value: Any) -> datetime:
        if not isinstance(value, str):
            raise InvalidInput(f"{self.kind}: field {path!r} must be a timestamp, got {value!r}")
        try:
            return api_time(value)
        except InvalidInput as error:
            raise InvalidInput(f"{self.kind}: field {path!r}: {error}") from None


def api_time(text: str) -> datetime:
    """A platform's timestamp (ISO 8601, or GitLab's "2016-08-12 15:23:28 UTC") as aware UTC."""
    return parse_instant(_UTC_SUFFIX.sub("+00:00", text))


def maybe_time(value: Any) -> datetime | None:
    """A stored position's timestamp, None when there is none."""
    return api_time(value) if isinstance(value, str) else None


def label_names(labels: Any) -> tuple[str, ...]:
    """Label names from a list of strings (GitLab REST) or of objects with a name or title."""
    if not isinstance(labels, list):
        return ()
    names = []
    for label in labels:
        if isinstance(label, str):
            names.append(label)
        elif isinstance(label, Mapping):
            name = label.get("name") or label.get("title")
            if isinstance(name, str):
                names.append(name)
    return tuple(names)


def first_line(message: str) -> str:
    """A commit message's subject."""
    return message.split("\n", 1)[0].rstrip("\r")
