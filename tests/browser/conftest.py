"""Browser fixtures: one headless chromium per session, a fresh page per test.

The browser is checked before any app server starts, so a machine without chromium skips
(or, under ``MMDEMO_REQUIRE_BROWSER=1``, fails) at once. The page fixtures open their pages
in one browser context per app and language (its HTTP cache shared; cookies and storage
cleared after each page, see ``open_page``). Helpers: tests/support/browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browser import launch_browser, new_context, open_page


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless chromium for the session; checked before the app server starts."""
    with launch_browser() as running:
        yield running


@pytest.fixture(scope="session")
def browser_context(browser):
    """``browser_context(server, locale)``: the session's one context for that app and
    language, made on first use and closed before the browser."""
    made: dict = {}

    def get(server, locale: str | None = None):
        key = (server.url, locale)
        if key not in made:
            made[key] = new_context(browser, server, locale)
        return made[key]

    yield get
    for context in made.values():
        context.close()


@pytest.fixture
def page(browser, browser_context, app_server):
    """A page on the session's tiny app."""
    with open_page(browser, app_server, context=browser_context(app_server)) as page:
        yield page


@pytest.fixture
def offline_page(browser, browser_context, offline_app_server):
    """A page on the offline app (no preset, no network: auto -> lite)."""
    context = browser_context(offline_app_server)
    with open_page(browser, offline_app_server, context=context) as page:
        yield page


@pytest.fixture
def zh_page(browser, browser_context, app_server):
    """A page on the tiny app in a browser set to Simplified Chinese (zh-CN)."""
    context = browser_context(app_server, "zh-CN")
    with open_page(browser, app_server, locale="zh-CN", context=context) as page:
        yield page


@pytest.fixture
def offline_zh_page(browser, browser_context, offline_app_server):
    """A page on the offline (lite) app in a browser set to Simplified Chinese (zh-CN)."""
    context = browser_context(offline_app_server, "zh-CN")
    with open_page(browser, offline_app_server, locale="zh-CN", context=context) as page:
        yield page
