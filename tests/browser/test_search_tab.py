"""The Search tab in a real browser (tiny app): a text search shows images that load, an
empty query shows the error and the page keeps working, a click finds more like it."""

from __future__ import annotations

import pytest

from tests.support.browser import (
    ARTIFACTS,
    ERROR_TOAST,
    RESULTS_LOADED_JS,
    TIMEOUT_MS,
    TOAST_MESSAGE,
    search,
    wait_for_results,
)

pytestmark = pytest.mark.browser


def test_text_search_shows_images(page, app_server):
    headings = " ".join(page.locator("h1, h2").all_inner_texts())
    assert "mmdemo" in (page.title() + " " + headings).lower()
    assert not page.evaluate(RESULTS_LOADED_JS), "results shown before any search"

    search(page, "a cup of coffee on a table")
    wait_for_results(page, app_server)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)
    assert (ARTIFACTS / "search.png").stat().st_size > 0


def test_empty_query_shows_error_and_page_keeps_working(page, app_server):
    search(page, "")

    toast = page.locator(ERROR_TOAST).first
    try:
        toast.wait_for(state="visible", timeout=15_000)
    except Exception:
        pytest.fail(
            "no error toast appeared after searching for an empty query (expected a gr.Error)"
            f"\napp log tail:\n{app_server.log_tail()}",
            pytrace=False,
        )
    # A gr.Error carries its message; an unexpected exception shows an empty "Error" toast.
    message = toast.locator(TOAST_MESSAGE).first
    try:
        message.wait_for(state="visible", timeout=5_000)
    except Exception:
        pytest.fail(
            f"the error toast shows no message, only {toast.inner_text()!r}: did the handler "
            "raise something other than gr.Error?",
            pytrace=False,
        )
    assert message.inner_text().strip(), "the error toast has an empty message"
    page.wait_for_timeout(500)  # let the toast finish sliding in before the screenshot
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "empty_query_error.png"), full_page=True)

    search(page, "a cat")
    wait_for_results(page, app_server)
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


def test_clicking_a_result_finds_more_like_it(page, app_server):
    search(page, "a rocket launching")
    wait_for_results(page, app_server)
    page.locator("#search-results .thumbnail-item").first.click()
    page.locator("#search-message").get_by_text("More like").wait_for(timeout=TIMEOUT_MS)
    wait_for_results(page, app_server)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "more_like_this.png"), full_page=True)
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"
