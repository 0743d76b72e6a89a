"""Checks that a webhook came from who it claims: HMAC signatures and shared tokens."""

from __future__ import annotations

import hashlib
import hmac


def _hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def github_signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`."""
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + _hmac_hex(secret, body)
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def pagerduty_signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """`X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]`: any one may match (secret rotation)."""
    if not header:
        return False
    expected = ("v1=" + _hmac_hex(secret, body)).encode()
    found = False
    for candidate in header.split(","):
        # Compare every candidate, so the time taken does not tell which one matched.
        found |= hmac.compare_digest(expected, candidate.strip().encode())
    return found


def token_ok(expected: str, header: str | None) -> bool:
    """A shared token sent in a header (GitLab's X-Gitlab-Token, our Opsgenie header)."""
    if not header:
        return False
    return hmac.compare_digest(expected.encode(), header.strip().encode())
