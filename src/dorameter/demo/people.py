"""Names for the demo's engineers: stable, distinct per team, obviously made up."""

from __future__ import annotations

FIRST_NAMES = (
    "ada", "alan", "barbara", "brian", "claude", "dennis", "edsger", "frances", "grace", "guido",
    "hedy", "ivan", "jean", "ken", "katherine", "linus", "margaret", "niklaus", "radia", "tony",
)  # fmt: skip


def engineers_of(team: str, count: int) -> tuple[str, ...]:
    """`count` distinct logins for a team, e.g. ("ada.checkout", "alan.checkout", ...)."""
    offset = sum(map(ord, team)) % len(FIRST_NAMES)
    return tuple(
        f"{FIRST_NAMES[(offset + index) % len(FIRST_NAMES)]}.{team}" for index in range(count)
    )
