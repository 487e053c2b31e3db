"""Plain ``python app.py`` offline in a real browser: the lite banner, then every task tab
answers with real meaning (search, caption, VQA, sentiment)."""

from __future__ import annotations

import pytest

from tests.support.browser import (
    GALLERY,
    TIMEOUT_MS,
    open_tab,
    screenshot,
    search,
    wait_for_results,
)

pytestmark = pytest.mark.browser


def test_offline_app_runs_lite_and_every_task_tab_answers(offline_page, offline_app_server):
    """Plain ``python app.py`` offline: the lite banner, then caption, VQA and sentiment."""
    page = offline_page
    banner = page.locator("#mmdemo-banner")
    banner.get_by_text("Preset lite").wait_for(state="visible", timeout=TIMEOUT_MS)
    assert "cannot be reached" in banner.inner_text()
    search(page, "a cup of coffee")
    wait_for_results(page, offline_app_server)
    screenshot(page, "lite_search.png")

    open_tab(page, "Caption")
    coffee = GALLERY / "coffee_cup.png"
    page.locator("#caption-image input[type=file]").set_input_files(str(coffee))
    page.locator("#caption-button").click()
    page.locator("#caption-labels").get_by_text("espresso").first.wait_for(state="visible")
    assert "espresso" in page.locator("#caption-output textarea").input_value()
    screenshot(page, "lite_caption.png")

    open_tab(page, "Ask (VQA)")
    examples = page.locator("#vqa-examples")
    examples.get_by_text("What shape is in the image?").first.click()
    # The example fills both inputs asynchronously; asking before the image arrived would
    # (rightly) get the "No image" error.
    page.locator("#vqa-image img").first.wait_for(state="visible")
    page.wait_for_function(
        "() => document.querySelector('#vqa-question textarea, #vqa-question input')"
        ".value.startsWith('What shape')"
    )
    page.locator("#vqa-button").click()
    try:
        page.locator("#vqa-answers").get_by_text("rectangle").first.wait_for(state="visible")
    except Exception:
        screenshot(page, "lite_vqa_failed.png")
        pytest.fail(
            "no 'rectangle' answer appeared; screenshot lite_vqa_failed.png\n"
            f"app log tail:\n{offline_app_server.log_tail()}",
            pytrace=False,
        )
    assert "shapes-vqa" in page.locator("#vqa-notes").inner_text()
    screenshot(page, "lite_vqa_shapes.png")

    open_tab(page, "Sentiment")
    page.locator("#sentiment-text textarea").fill("What a wonderful, happy day!")
    page.locator("#sentiment-button").click()
    page.locator("#sentiment-notes").get_by_text("positive").first.wait_for(state="visible")
    screenshot(page, "lite_sentiment.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"
