"""Driving the running app with headless Debian chromium: the browser, a page per test, and
the few things every browser test waits for (search results, error toasts, screenshots).

Why the system's ``/usr/bin/chromium`` (``apt-get install chromium``) and never
``playwright install``: the tests run offline. Without it (or without the playwright
package) browser tests skip, unless ``MMDEMO_REQUIRE_BROWSER=1`` (CI), where they fail.
Screenshots and uncaught page errors go to ``artifacts/browser/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support.app_process import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = REPO_ROOT / "artifacts" / "browser"
GALLERY = REPO_ROOT / "assets" / "gallery"
TIMEOUT_MS = 60_000

QUERY = "#search-text-query textarea, #search-text-query input"
BUTTON = "#search-text-button"
# True once the results gallery shows at least one image that really decoded.
RESULTS_LOADED_JS = """() => {
    const gallery = document.querySelector('#search-results');
    if (!gallery) return false;
    return [...gallery.querySelectorAll('img')].some(img => img.complete && img.naturalWidth > 0);
}"""
# the overview's "How it works" fold exists only once the page's load event has rendered it
# (before, the overview is empty or shows Gradio's "processing | 1.8s" timer)
PAGE_LOADED_JS = "() => document.querySelector('#mmdemo-overview details summary') !== null"
# Gradio shows gr.Error as a toast with the "error" class.
ERROR_TOAST = '[data-testid="toast-body"].error, .toast-body.error'
TOAST_MESSAGE = '[data-testid="toast-text"], .toast-message-text'


def unavailable(reason: str) -> None:
    """Skip, or fail when ``MMDEMO_REQUIRE_BROWSER=1`` asks for a real browser run."""
    if os.environ.get("MMDEMO_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (MMDEMO_REQUIRE_BROWSER=1, so this is a failure)", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def launch_browser() -> Iterator:
    """One headless chromium, or a skip (a failure under MMDEMO_REQUIRE_BROWSER=1)."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing: install it with apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright Python package is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def open_page(browser, server, locale: str | None = None) -> Iterator:
    """A fresh page on ``server``; requests to any other host are blocked (we are offline).

    ``locale`` ("zh-CN"): the browser's language - ``navigator.language`` and the
    ``Accept-Language`` it sends, as a visitor's browser set to it would (default en-US).
    The page's uncaught errors collect in ``page.page_errors`` (and artifacts/browser/).
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale or "en-US")
    context.set_default_timeout(TIMEOUT_MS)
    app_host = urlparse(server.url).netloc

    def only_the_app(route):
        if urlparse(route.request.url).netloc == app_host:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_the_app)
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda err: page_errors.append(str(err)))
    page.goto(server.url, wait_until="domcontentloaded")
    page.wait_for_selector(QUERY)
    # Ready means the load event has finished, not just that the boxes exist: it fills the
    # overview with its fold, and every box with the language's defaults (zh labels...). A
    # test that clicked Classify before it ran scored English labels on a busy machine.
    page.wait_for_function(PAGE_LOADED_JS)
    page.page_errors = page_errors
    try:
        yield page
    finally:
        if page_errors:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "page_errors.json").write_text(json.dumps(page_errors, indent=2))
        context.close()


def search(page, text: str) -> None:
    """Type ``text`` into the text search box and press the search button."""
    box = page.locator(QUERY).first
    box.fill(text)
    page.locator(BUTTON).click()


def wait_for_results(page, app_server) -> None:
    """Wait until a result image has really loaded; else a screenshot and the app's log.

    The grid is scrolled into view first, as a visitor would look at it: its images load
    lazily, and on a phone the search options put it ~1,200 px below the fold, right at
    Chromium's lazy-load distance (a CI run failed once in two on exactly that)."""
    try:
        page.locator("#search-results").scroll_into_view_if_needed(timeout=TIMEOUT_MS)
        page.wait_for_function(RESULTS_LOADED_JS, timeout=TIMEOUT_MS)
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "no_results.png"), full_page=True)
        pytest.fail(
            "no loaded image appeared in #search-results; screenshot in "
            f"{ARTIFACTS / 'no_results.png'}\napp log tail:\n{app_server.log_tail()}",
            pytrace=False,
        )


def open_tab(page, title: str) -> None:
    """Open the tab titled ``title`` at any width.

    Gradio lays its tab bar out again after load and after every resize: a tab button can be
    replaced while it is being clicked, and on a phone a tab with no room is behind "More
    tabs". A single ``click()`` then waits for a button that will never be visible again (a
    CI run failed so), so: find where the tab is *now*, click with a short timeout, and look
    again until a click lands.
    """
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        try:
            tab = page.get_by_role("tab", name=title, exact=True)
            if tab.count() and tab.first.is_visible():
                tab.first.click(timeout=2_000)
            else:
                item = page.locator(".overflow-dropdown button", has_text=title).first
                if not item.is_visible():  # the menu may still be open from a try that missed
                    page.get_by_role("button", name="More tabs").click(timeout=2_000)
                item.click(timeout=2_000)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            page.wait_for_timeout(200)


def switch_language(page, label: str) -> None:
    """Click the page's English/中文 switch (``label`` is the choice's text)."""
    page.locator("#mmdemo-language label").filter(has_text=label).first.click()


def screenshot(page, name: str) -> None:
    """A full-page screenshot in artifacts/browser/ (after a moment for animations)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
