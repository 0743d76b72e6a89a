"""Errors as pages for a person in a browser: what went wrong, in the dashboard's layout.

A page path that matches nothing, or names a service or team that does not exist, answers 404;
a filter value that cannot be understood answers 400 and names the filter. A page asked for
without credentials (`serve --auth token`) is sent to /login instead. Machine paths keep the
JSON shape of web/errors.py.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment

from dorameter.web.errors import Failure, PageRenderer
from dorameter.web.session import COOKIE, delete_session

TITLES = {
    400: "Invalid filter",
    403: "Forbidden",
    404: "Not found",
    405: "Not allowed",
    413: "Too large",
    500: "Unexpected error",
    503: "Store unavailable",
}
# Starlette's own wording when no route matches; a page says which address instead.
_ROUTING = {
    "Not Found": "There is no page at {path}.",
    "Method Not Allowed": "{path} does not take a {method}.",
}


def page_renderer(pages: Environment) -> PageRenderer:
    """Render failures on page paths with the `error.html` template."""

    def render(request: Request, failure: Failure) -> Response:
        if failure.status == 401:
            return login_redirect(request)
        # A wrong filter is the reader's request being malformed: 400 for a page, whatever
        # the API answers (422, or 404 for a service filter naming nothing).
        status = 400 if failure.parameter or failure.status == 422 else failure.status
        template = _ROUTING.get(failure.message)
        message = (
            template.format(path=request.url.path, method=request.method)
            if template
            else failure.message
        )
        html = pages.get_template("error.html").render(
            title=TITLES.get(status, "Error"),
            status=status,
            message=message,
            parameter=failure.parameter,
            path=request.url.path,
            view=None,
        )
        headers = {
            name: value
            for name, value in (failure.headers or {}).items()
            if name.lower() == "allow"
        }
        return HTMLResponse(html, status_code=status, headers=headers)

    return render


def login_redirect(request: Request) -> Response:
    """To /login, coming back to this page afterwards; a stale session cookie is dropped."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    if COOKIE in request.cookies:
        delete_session(response, request)
    return response
