"""The Search tab's "Minimum match score" slider in a real browser, on the offline lite app:
at its default a search for something no photo shows ("a violin") shows no padded
results and a plain message saying so; lowered to 0 the closest images come back, each
captioned "weak match"; a search that works ("a cup of coffee") is a strong match. At
desktop and phone widths; screenshots in artifacts/browser/."""

from __future__ import annotations

import re

import pytest

from mmdemo.models.backends.label_bridge import LITE_THRESHOLDS
from tests.support.browser import TIMEOUT_MS, screenshot, search, wait_for_results

pytestmark = pytest.mark.browser

SLIDER = "#search-min-score-text input[type=number]"
MESSAGE = "#search-message"
GRID_CAPTIONS_JS = """() => [...document.querySelectorAll('#search-results .thumbnail-item')]
    .map(item => item.innerText.trim())"""


def message_says(page, text: str) -> str:
    page.locator(MESSAGE).get_by_text(text, exact=False).first.wait_for(timeout=TIMEOUT_MS)
    return page.locator(MESSAGE).inner_text()


DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE])
def test_the_minimum_hides_weak_results_and_lowering_it_shows_them(
    offline_page, offline_app_server, viewport
):
    page = offline_page
    width = viewport["width"]
    page.set_viewport_size(viewport)
    slider = page.locator(SLIDER).first
    assert float(slider.input_value()) == pytest.approx(LITE_THRESHOLDS["text"])

    search(page, "a violin")
    text = message_says(page, "Lower the minimum match score")
    assert "No good match" in text and not re.search(r"\d\.\d", text)  # words, no cosines
    assert page.evaluate(GRID_CAPTIONS_JS) == []  # no padding with unrelated photos
    screenshot(page, f"search_min_score_nothing_{width}.png")

    slider.fill("0")
    slider.press("Enter")
    search(page, "a violin")
    wait_for_results(page, offline_app_server)
    message_says(page, "only weak matches")
    captions = page.evaluate(GRID_CAPTIONS_JS)
    assert captions and all(c.startswith("weak match ·") for c in captions), captions
    screenshot(page, f"search_min_score_lowered_{width}.png")

    search(page, "a cup of coffee")
    message_says(page, "strong match")
    wait_for_results(page, offline_app_server)
    page.wait_for_function(
        f"() => ({GRID_CAPTIONS_JS})()[0]?.startsWith('strong match')", timeout=TIMEOUT_MS
    )
    screenshot(page, f"search_min_score_coffee_{width}.png")


def test_the_minimum_and_match_words_in_chinese(offline_zh_page, offline_app_server):
    """zh-CN on lite: the slider's label, the "nothing reaches it" message and the match
    words under the thumbnails are Chinese (the query too: lite's bridge reads Chinese)."""
    page = offline_zh_page
    page.get_by_text("最低匹配分数").first.wait_for(state="visible", timeout=TIMEOUT_MS)
    search(page, "一把小提琴")
    text = message_says(page, "降低最低匹配分数")
    assert "没有好的匹配" in text and not re.search(r"[A-Za-z]{3,}", text), text
    slider = page.locator(SLIDER).first
    slider.fill("0")
    slider.press("Enter")
    search(page, "一把小提琴")
    wait_for_results(page, offline_app_server)
    message_says(page, "弱匹配")
    captions = page.evaluate(GRID_CAPTIONS_JS)
    assert captions and all(c.startswith("弱匹配 ·") for c in captions), captions
    screenshot(page, "search_min_score_zh.png")
