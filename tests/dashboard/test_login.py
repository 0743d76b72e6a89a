"""Signing a browser in with an API token (`serve --auth token`): redirects, cookie, sign-out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from dorameter.store import Store
from dorameter.tokens import hash_token
from dorameter.web import session
from dorameter.web.login import safe_next
from dorameter.web.session import COOKIE, session_value
from tests.dashboard.conftest import QUARTER, started

PAGE = f"/services/ledger?{QUARTER}"


@pytest.fixture
def closed(demo_store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app with --auth token; token look-ups are not cached, so revocation shows at once."""
    monkeypatch.setattr(session, "TOKEN_CACHE_SECONDS", 0.0)
    with started(demo_store, read_auth=True) as running:
        yield running


def sign_in(client: TestClient, token: str, target: str = PAGE) -> None:
    answer = client.post("/login", data={"token": token, "next": target}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def test_a_page_without_credentials_goes_to_the_sign_in_form(closed: TestClient) -> None:
    answer = closed.get(PAGE, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={quote(PAGE, safe='')}"
    form = closed.get(answer.headers["location"])
    assert form.status_code == 200
    assert 'name="token"' in form.text and 'type="password"' in form.text
    assert f'name="next" value="{PAGE.replace("&", "&amp;")}"' in form.text


def test_a_valid_token_sets_a_signed_session_cookie(closed: TestClient, token: str) -> None:
    answer = closed.post("/login", data={"token": token, "next": PAGE}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == PAGE
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here
    value = closed.cookies[COOKIE]
    assert token not in value and hash_token(token) not in value
    page = closed.get(PAGE)
    assert page.status_code == 200 and 'id="timeline"' in page.text
    assert 'id="logout"' in page.text
    for path in (f"/api/v1/report?{QUARTER}", "/api/v1/deployments", "/metrics", "/api"):
        assert closed.get(path).status_code == 200, path


def test_over_https_the_cookie_is_secure(demo_store: Store, token: str) -> None:
    with started(demo_store, read_auth=True) as client:
        client.base_url = client.base_url.copy_with(scheme="https")
        sign_in(client, token)
        answer = client.post("/login", data={"token": token}, follow_redirects=False)
        assert "Secure" in answer.headers["set-cookie"]


def test_a_wrong_token_shows_the_form_again(closed: TestClient) -> None:
    for given, message in (("dm_wrong", "unknown or revoked"), ("", "Enter an API token")):
        answer = closed.post("/login", data={"token": given, "next": PAGE})
        assert answer.status_code == 401
        assert message in answer.text and 'id="login-form"' in answer.text
        assert "set-cookie" not in answer.headers
    assert closed.get(PAGE, follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "/login?next=/",
        "/logout",
        "/\nSet-Cookie: x",
        "",
    ],
)
def test_next_only_goes_to_a_path_on_this_server(
    closed: TestClient, token: str, target: str
) -> None:
    assert safe_next(target) == "/"
    answer = closed.post("/login", data={"token": token, "next": target}, follow_redirects=False)
    assert answer.headers["location"] == "/"


def test_next_keeps_a_page_with_its_filters() -> None:
    assert safe_next(PAGE) == PAGE
    assert safe_next("/teams/checkout") == "/teams/checkout"


def test_sign_out_clears_the_cookie(closed: TestClient, token: str) -> None:
    sign_in(closed, token)
    assert closed.get(PAGE).status_code == 200
    answer = closed.get("/logout", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert (
        f'{COOKIE}=""' in answer.headers["set-cookie"]
        and "Max-Age=0" in answer.headers["set-cookie"]
    )
    assert COOKIE not in closed.cookies
    assert closed.get(PAGE, follow_redirects=False).status_code == 303


def test_revoking_the_token_ends_its_sessions(
    closed: TestClient, demo_store: Store, token: str
) -> None:
    sign_in(closed, token)
    assert closed.get("/api/v1/teams").status_code == 200
    demo_store.revoke_token(f"reader-{token[:10]}")
    assert closed.get("/api/v1/teams").status_code == 401
    answer = closed.get(PAGE, follow_redirects=False)
    assert answer.status_code == 303
    assert "Max-Age=0" in answer.headers["set-cookie"]  # the dead session is dropped


def test_a_forged_or_expired_cookie_is_refused(
    closed: TestClient, demo_store: Store, token: str
) -> None:
    token_id = demo_store.token_id(hash_token(token))
    assert token_id is not None
    past = int(time.time()) - 1
    future = int(time.time()) + 3600
    valid = session_value(token_id, hash_token(token), future)
    tampered = valid[:-1] + ("1" if valid.endswith("0") else "0")  # one digit of it changed
    for value in (
        session_value(token_id, hash_token(token), past),
        session_value(token_id, hash_token("dm_other"), future),
        tampered,
        f"{token_id}.{future}",
        token,
    ):
        closed.cookies.set(COOKIE, value)
        refused = closed.get("/api/v1/report")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    closed.cookies.set(COOKIE, valid)
    assert closed.get("/api/v1/teams").status_code == 200


def test_a_session_only_reads(closed: TestClient, token: str) -> None:
    sign_in(closed, token)
    push = closed.post("/api/v1/deployments", json={"service": "ledger", "sha": "a" * 40})
    assert push.status_code == 401  # the push API needs the Authorization header


def test_another_site_cannot_sign_a_browser_in(closed: TestClient, token: str) -> None:
    answer = closed.post("/login", data={"token": token}, headers={"Sec-Fetch-Site": "cross-site"})
    assert answer.status_code == 403 and "text/html" in answer.headers["content-type"]
    assert COOKIE not in closed.cookies


def test_without_read_auth_there_is_no_sign_in(client: TestClient) -> None:
    assert client.get("/login").status_code == 404
    assert client.get("/logout").status_code == 404
    assert 'id="logout"' not in client.get(f"/?{QUARTER}").text
