"""The dashboard in Debian's headless Chromium: pages load cleanly, charts draw, filters work.

Screenshots at desktop and phone widths go to .artifacts/screenshots (not committed). Skipped
with a reason when /usr/bin/chromium is missing (`.ci/run` installs it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from dorameter.config import ServerSettings, Settings
from dorameter.store import open_store
from dorameter.web import create_app
from dorameter.web.session import COOKIE
from tests.dashboard.conftest import QUARTER
from tests.dashboard.test_serve import free_port

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parents[2] / ".artifacts" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
)
playwright = pytest.importorskip("playwright.sync_api")


def serve(url: str, read_auth: bool = False) -> Iterator[str]:
    """The app on a free loopback port in a thread, for the browser to load."""
    store = open_store(url)
    port = free_port()
    settings = Settings(database_url=url, server=ServerSettings(read_auth=read_auth))
    config = uvicorn.Config(create_app(settings, store), port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


@pytest.fixture(scope="module")
def base(demo_url: str) -> Iterator[str]:
    yield from serve(demo_url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.console_errors = errors
    try:
        yield opened
    finally:
        context.close()


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width_name}.png"), full_page=True)


def test_the_overview_loads_and_sorts(page: Any, base: str) -> None:
    page.goto(f"{base}/?{QUARTER}")
    rows = page.locator("#overview tbody tr")
    assert rows.count() == 8
    assert page.locator("svg.sparkline polyline").count() == 8
    page.locator("#overview th", has_text="Deploys/day").click()
    page.locator("#overview th", has_text="Deploys/day").click()  # descending
    first = rows.first.get_attribute("data-service")
    assert first in {"checkout-api", "checkout-web"}
    assert page.console_errors == []
    shoot(page, "overview")


def test_the_service_page_draws_its_charts(page: Any, base: str) -> None:
    page.goto(f"{base}/services/checkout-api?{QUARTER}")
    page.wait_for_selector("#timeline .main-svg")
    assert page.locator(".chart[data-drawn='true']").count() == page.locator(".chart").count() >= 6
    weeks = page.evaluate("document.getElementById('trend-1').data[0].x.length")
    trend = page.evaluate("JSON.parse(document.querySelector('#trend-1 script').textContent)")
    assert weeks == len(trend["data"][0]["x"]) > 10
    assert page.locator("#trend-1 .scatterlayer .point").count() == sum(
        1 for value in trend["data"][0]["y"] if value is not None
    )
    assert page.console_errors == []
    shoot(page, "service")


def test_filters_change_the_url_and_the_figures(page: Any, base: str) -> None:
    page.goto(f"{base}/?{QUARTER}")
    before = page.locator("#overview tr[data-service]").count()
    page.select_option("select[name=team]", "checkout")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**team=checkout**")
    assert "service=" not in page.url  # empty filters stay out of the URL
    assert page.locator("#overview tr[data-service]").count() == 2 < before
    assert page.locator("#team-total").is_visible()
    page.select_option("select[name=last]", "7d")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**last=7d**")
    assert "team=checkout" in page.url
    assert page.console_errors == []


def test_the_api_page_works_offline(page: Any, base: str) -> None:
    outside: list[str] = []
    page.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith(base) else None,
    )
    page.goto(f"{base}/api")
    assert page.locator("section.operation").count() >= 8
    assert outside == []
    assert page.console_errors == []
    shoot(page, "api")


def test_the_empty_state_shows(browser: Any, tmp_path: Path) -> None:
    for base_url in serve(f"sqlite:///{tmp_path / 'empty.db'}"):
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{base_url}/")
        assert page.locator("#empty-state").is_visible()
        assert "dorameter ingest" in page.locator("#empty-state").inner_text()
        shoot(page, "empty")
        context.close()


def test_signing_in_with_a_token_and_out_again(browser: Any, demo_url: str, token: str) -> None:
    for base_url in serve(demo_url, read_auth=True):
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        try:
            sign_in_and_out(context.new_page(), base_url, token)
            assert context.cookies() == []
        finally:
            context.close()


def sign_in_and_out(page: Any, base_url: str, token: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base_url}/services/ledger?{QUARTER}")
    page.wait_for_url("**/login?next=**")
    page.fill("input[name=token]", "dm_not-a-token")
    with page.expect_response(lambda answer: answer.request.method == "POST") as refused:
        page.click("#login-form button[type=submit]")
    assert refused.value.status == 401
    assert "unknown or revoked" in page.locator("#login-error").inner_text()
    shoot(page, "login")
    page.fill("input[name=token]", token)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"**/services/ledger?{QUARTER}")
    page.wait_for_selector("#timeline .main-svg")
    (cookie,) = page.context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == (COOKIE, True, "Strict")
    assert token not in cookie["value"]
    assert page.evaluate("document.cookie") == ""  # no script can read the session
    page.click("#logout")
    page.wait_for_url("**/login")
    page.goto(f"{base_url}/")
    page.wait_for_url("**/login?next=%2F")
    assert errors == []
