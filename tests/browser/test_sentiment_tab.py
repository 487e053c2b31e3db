"""The Sentiment tab in a real browser (tiny app): each modality, the chart and the fusion;
early fusion without a trained head is not offered: the page says how to train one."""

from __future__ import annotations

import pytest

from tests.support.browser import screenshot

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

    # no head trained: early fusion is not a choice; the page says what it needs
    assert "early fusion" not in page.locator("#sentiment-fusion").inner_text()
    needs = page.locator("#sentiment-early-needs")
    assert "train sentiment-fusion" in needs.inner_text()
    page.locator("#sentiment-fusion").get_by_text("Caption bridge").click()
    page.wait_for_function(  # the weight is the late fusion's only
        "() => document.querySelector('#sentiment-weight input[type=range]').disabled"
    )
    screenshot(page, "tiny_sentiment_early_no_head.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"
