"""API tokens: generated once, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

PREFIX = "dm_"
_PREFIX_SHOWN = 10  # characters kept in listings to tell tokens apart; far too few to guess


@dataclass(frozen=True)
class NewToken:
    """A freshly generated token: the secret (to show once), its hash and listing prefix."""

    secret: str = field(repr=False)
    hash: str
    prefix: str


def generate_token() -> NewToken:
    """A random token with 256 bits of entropy."""
    secret = PREFIX + secrets.token_urlsafe(32)
    return NewToken(secret, hash_token(secret), secret[:_PREFIX_SHOWN])


def hash_token(secret: str) -> str:
    """The stored form of a token (a fast hash is enough for 256 random bits)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(expected: str, given: str) -> bool:
    """Compare two secrets in constant time."""
    return hmac.compare_digest(expected.encode(), given.encode())
