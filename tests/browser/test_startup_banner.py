"""The first seconds in a real browser: the page is there while the models load, its
banner says so, and after the warm-up the line is gone - on the open page (its banner
is re-read every few seconds while loading) and on the next visit (desktop and 390 px).

The app is the in-process one of ``tests/unit/ui/test_launch.py``: the real page and server
with the tiny embedder behind a gate the test opens, so "still loading" is not a race.
"""

from __future__ import annotations

from types import SimpleNamespace

from tests.support.browser import open_page, screenshot
from tests.unit.ui.test_launch import GATE, GATE_TIMEOUT_S, gated_app  # noqa: F401 - fixture

BANNER = "#mmdemo-banner"
LOADING = "Loading the models"


def test_banner_says_loading_until_the_models_are_ready(browser, gated_app):  # noqa: F811
    server, _gallery, url = gated_app
    app = SimpleNamespace(url=url)
    with open_page(browser, app) as page:
        page.wait_for_selector(f"{BANNER}:has-text('{LOADING}')")
        screenshot(page, "startup_loading_desktop.png")
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot(page, "startup_loading_phone.png")
        assert server.warm_state().loading
        GATE.set()
        assert server.wait_warm(GATE_TIMEOUT_S).phase == "ready"
        # a visitor who stays on the page sees the line go (the banner's timer re-reads it)
        page.wait_for_function(
            f"() => !document.querySelector('{BANNER}').innerText.includes('{LOADING}')",
            timeout=15_000,
        )
        screenshot(page, "startup_ready_phone.png")
    with open_page(browser, app) as page:  # the next visit (or reload) has the plain banner
        page.wait_for_selector(f"{BANNER} >> text=/\\w/")
        assert LOADING not in page.inner_text(BANNER)
        screenshot(page, "startup_ready_desktop.png")
