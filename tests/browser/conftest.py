"""Browser fixtures: one headless chromium per session, a fresh page per test.

The browser is checked before any app server starts, so a machine without chromium skips
(or, under ``MMDEMO_REQUIRE_BROWSER=1``, fails) at once. Helpers: tests/support/browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browser import launch_browser, open_page


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless chromium for the session; checked before the app server starts."""
    with launch_browser() as running:
        yield running


@pytest.fixture
def page(browser, app_server):
    """A page on the session's tiny app."""
    with open_page(browser, app_server) as page:
        yield page


@pytest.fixture
def offline_page(browser, offline_app_server):
    """A page on the offline app (no preset, no network: auto -> lite)."""
    with open_page(browser, offline_app_server) as page:
        yield page


@pytest.fixture
def zh_page(browser, app_server):
    """A page on the tiny app in a browser set to Simplified Chinese (zh-CN)."""
    with open_page(browser, app_server, locale="zh-CN") as page:
        yield page


@pytest.fixture
def offline_zh_page(browser, offline_app_server):
    """A page on the offline (lite) app in a browser set to Simplified Chinese (zh-CN)."""
    with open_page(browser, offline_app_server, locale="zh-CN") as page:
        yield page
