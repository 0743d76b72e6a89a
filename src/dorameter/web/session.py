"""Browser sign-in for `serve --auth token`: an API token typed once, then a session cookie.

The cookie holds `<token id>.<expiry>.<signature>`, an HMAC-SHA256 of id and expiry keyed with
the token's stored hash. It carries neither the token nor its hash; each check reads the live
token's hash again (cached for TOKEN_CACHE_SECONDS), so revoking a token ends its sessions within
seconds, and servers sharing one database accept each other's sessions with no secret to set up.
Whoever can read the database could sign sessions, but could read every figure anyway, and a
session only reads (GET and HEAD): the push API keeps asking for the Authorization header.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from dorameter.store import Store
from dorameter.web.auth import TOKEN_CACHE_SECONDS, TokenCheck, unauthorized

COOKIE = "dorameter_session"
SESSION_SECONDS = 12 * 3600
_READS = frozenset({"GET", "HEAD"})


def session_value(token_id: int, token_hash: str, expires: int) -> str:
    """The cookie value of a session of one token, valid until `expires` (epoch seconds)."""
    return f"{token_id}.{expires}.{_signature(token_id, token_hash, expires)}"


def _signature(token_id: int, token_hash: str, expires: int) -> str:
    message = f"dorameter-session\n{token_id}\n{expires}".encode()
    return hmac.new(token_hash.encode(), message, hashlib.sha256).hexdigest()


def set_session(response: Response, request: Request, value: str) -> None:
    """The cookie as the browser keeps it: no script reads it, no other site sends it."""
    response.set_cookie(
        COOKIE,
        value,
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def delete_session(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )


class ReadAccess:
    """Who may read: an API token (Authorization: Bearer) or, for GET and HEAD, a session."""

    def __init__(self, store: Store, token: TokenCheck) -> None:
        self._store = store
        self._token = token
        self._hashes: dict[int, tuple[str | None, float]] = {}  # id -> (live hash, valid until)

    async def __call__(self, request: Request) -> None:
        """Nothing when the request may read; 401 otherwise (pages turn it into /login)."""
        cookie = request.cookies.get(COOKIE)
        if "authorization" in request.headers or not cookie or request.method not in _READS:
            await self._token(request)
            return
        token_id = await self.session_token(cookie)
        if token_id is None:
            raise unauthorized("the session has expired or its token was revoked; sign in again")
        self._token.note_use(token_id)

    async def session_token(self, value: str, now: float | None = None) -> int | None:
        """The token id of a valid session cookie, or None (malformed, expired or revoked)."""
        parts = value.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
            return None
        token_id, expires = int(parts[0]), int(parts[1])
        if expires <= (time.time() if now is None else now):
            return None
        token_hash = await self._live_hash(token_id)
        if token_hash is None:
            return None
        expected = _signature(token_id, token_hash, expires)
        return token_id if hmac.compare_digest(expected, parts[2]) else None

    async def _live_hash(self, token_id: int) -> str | None:
        now = time.monotonic()
        cached = self._hashes.get(token_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        token_hash = await run_in_threadpool(self._store.live_token_hash, token_id)
        if len(self._hashes) > 10_000:
            self._hashes.clear()
        self._hashes[token_id] = (token_hash, now + TOKEN_CACHE_SECONDS)
        return token_hash
