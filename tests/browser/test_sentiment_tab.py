"""The Sentiment tab in a real browser (tiny app): each modality, the chart and the fusion;
early fusion without a trained head says how to train one."""

from __future__ import annotations

import pytest

from tests.support.browser import ERROR_TOAST, screenshot

pytestmark = pytest.mark.browser


def test_sentiment_tab_shows_each_modality_and_the_fusion(page, app_server):
    """tiny app: a text + image example, the chart, the pulls; early fusion without a head."""
    page.get_by_role("tab", name="Sentiment").click()
    page.locator("#sentiment-examples").get_by_text("Great, another rainy day.").first.click()
    page.locator("#sentiment-image img").first.wait_for(state="visible")
    page.locator("#sentiment-button").click()
    notes = page.locator("#sentiment-notes")
    notes.get_by_text("Fused:").first.wait_for(state="visible")
    text = notes.inner_text()
    assert "Text" in text and "Image" in text and "pulled" in text
    page.locator("#sentiment-chart canvas, #sentiment-chart svg").first.wait_for(state="visible")
    screenshot(page, "tiny_sentiment_late.png")

    page.locator("#sentiment-fusion").get_by_text("Feature level (early fusion)").click()
    page.locator("#fusion-help").get_by_text("train sentiment-fusion").first.wait_for(
        state="visible"
    )
    assert not page.locator("#sentiment-weight input[type=range]").is_enabled()
    page.locator("#sentiment-button").click()
    toast = page.locator(ERROR_TOAST).first
    toast.wait_for(state="visible")
    assert "train sentiment-fusion" in toast.inner_text()
    screenshot(page, "tiny_sentiment_early_no_head.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"
