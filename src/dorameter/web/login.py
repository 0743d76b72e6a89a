"""GET/POST /login and /logout: sign a browser in with an API token (`serve --auth token` only).

A valid token sets the session cookie of web/session.py and goes back to `next`, which must be
a path on this server (anything else goes to the overview, so the form cannot send a reader to
another site); a wrong one shows the form again with 401.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment

from dorameter.tokens import hash_token
from dorameter.web.auth import TokenCheck
from dorameter.web.errors import ApiError
from dorameter.web.intake import read_body
from dorameter.web.session import SESSION_SECONDS, delete_session, session_value, set_session

FORM_LIMIT = 4096


def safe_next(target: str | None) -> str:
    """A relative path on this server to return to; anything else (other sites too) is /."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return "/"
    return target


def login_router(pages: Environment, token: TokenCheck) -> APIRouter:
    """The sign-in form, its check, and sign-out."""
    router = APIRouter(include_in_schema=False)

    def form(target: str, message: str | None = None, status: int = 200) -> HTMLResponse:
        html = pages.get_template("login.html").render(
            title="Sign in",
            next=target,
            message=message,
            view=None,
            signing_in=True,
            hours=SESSION_SECONDS // 3600,
        )
        return HTMLResponse(html, status_code=status)

    @router.get("/login")
    async def login_page(next: str | None = None) -> HTMLResponse:
        return form(safe_next(next))

    @router.post("/login")
    async def login(request: Request) -> Response:
        if request.headers.get("sec-fetch-site") == "cross-site":
            # SameSite keeps the cookie from other sites; this keeps them from setting one.
            raise ApiError(403, "forbidden", "signing in from another site is not allowed")
        fields = parse_qs((await read_body(request, FORM_LIMIT)).decode("utf-8", "replace"))
        secret = fields.get("token", [""])[0].strip()
        target = safe_next(fields.get("next", [""])[0])
        if not secret:
            return form(target, "Enter an API token.", 401)
        token_id = await token.identify(secret)
        if token_id is None:
            message = (
                "That API token is unknown or revoked (dorameter token create NAME makes one)."
            )
            return form(target, message, 401)
        token.note_use(token_id)
        expires = int(time.time()) + SESSION_SECONDS
        response = RedirectResponse(target, status_code=303)
        set_session(response, request, session_value(token_id, hash_token(secret), expires))
        return response

    @router.api_route("/logout", methods=["GET", "POST"])
    async def logout(request: Request) -> Response:
        response = RedirectResponse("/login", status_code=303)
        delete_session(response, request)
        return response

    return router
