"""Who may send: API tokens (Authorization: Bearer) and webhook secrets, checked in constant time.

Valid token hashes are cached for a few seconds, so a busy pipeline does not cost a database
read per request; a revoked token stops working within TOKEN_CACHE_SECONDS.
"""

from __future__ import annotations

import time

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from dorameter.store import Store
from dorameter.tokens import hash_token
from dorameter.web.errors import ApiError
from dorameter.writer import EventWriter

TOKEN_CACHE_SECONDS = 10.0
_BEARER = "bearer "


class TokenCheck:
    """Checks `Authorization: Bearer <token>` against the stored token hashes."""

    def __init__(self, store: Store, writer: EventWriter) -> None:
        self._store = store
        self._writer = writer
        self._known: dict[str, tuple[int, float]] = {}  # hash -> (token id, valid until)

    async def __call__(self, request: Request) -> int:
        """The id of the request's token; 401 when it has none or a wrong one."""
        header = request.headers.get("authorization", "")
        if not header.lower().startswith(_BEARER) or not header[len(_BEARER) :].strip():
            raise unauthorized(
                "missing API token: send Authorization: Bearer <token> "
                "(`dorameter token create NAME` makes one)"
            )
        token_id = await self.identify(header[len(_BEARER) :].strip())
        if token_id is None:
            raise unauthorized("unknown or revoked API token")
        self.note_use(token_id)
        return token_id

    async def identify(self, secret: str) -> int | None:
        """The id of the live token with this secret, or None."""
        return await self._lookup(hash_token(secret))

    def note_use(self, token_id: int) -> None:
        """Remember that a token was used (written in the writer's next batch)."""
        self._writer.note_token_use(token_id)

    async def _lookup(self, digest: str) -> int | None:
        now = time.monotonic()
        cached = self._known.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        token_id = await run_in_threadpool(self._store.token_id, digest)
        if token_id is None:
            self._known.pop(digest, None)
            return None
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[digest] = (token_id, now + TOKEN_CACHE_SECONDS)
        return token_id


def unauthorized(message: str, scheme: str = "Bearer") -> ApiError:
    return ApiError(401, "unauthorized", message, {"WWW-Authenticate": scheme})


def require_secret(secret: str | None, source: str, variable: str) -> str:
    """The configured secret of a webhook source; 503 saying how to enable it when unset."""
    if not secret:
        raise ApiError(
            503,
            "not_configured",
            f"{source} webhooks are not enabled on this server: set {variable} and restart",
        )
    return secret
