"""The Classify tab in a real browser: typed labels come back with probabilities (tiny); in
zh-CN on lite the tab starts with Chinese labels (its bridge reads them) and puts 猫 first
on the cat, and the switch turns it English."""

from __future__ import annotations

import pytest

from mmdemo.ui import examples
from tests.support.browser import (
    ARTIFACTS,
    GALLERY,
    TIMEOUT_MS,
    open_tab,
    screenshot,
    switch_language,
)

pytestmark = pytest.mark.browser


def test_classify_tab_shows_probabilities(page, app_server, make_test_image):
    open_tab(page, "Classify")
    image = make_test_image("classify_me.png", size=(120, 90))
    page.locator("#classify-image input[type=file]").set_input_files(str(image))
    page.locator("#classify-labels textarea, #classify-labels input").first.fill("cat, dog, rocket")
    page.locator("#classify-button").click()
    output = page.locator("#classify-output")
    output.get_by_text("rocket").first.wait_for(state="visible", timeout=TIMEOUT_MS)
    text = output.inner_text()
    assert all(label in text for label in ("cat", "dog", "rocket")), text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "classify.png"), full_page=True)


def test_classify_tab_in_chinese_puts_the_cat_first(offline_zh_page):
    """zh-CN on lite (its label bridge reads Chinese): the tab starts with Chinese labels,
    template and examples; on the cat photo 猫 comes first; the switch turns the tab and
    its labels English (and English labels then give "a cat" first)."""
    page = offline_zh_page
    open_tab(page, "分类")
    box = "#classify-labels textarea, #classify-labels input"
    labels = page.locator(box).first
    page.wait_for_function(
        f"(want) => document.querySelector('{box}').value === want",
        arg=examples.CLASSIFY_LABELS_ZH,
        timeout=2 * TIMEOUT_MS,  # a freshly started lite app may still be warming up
    )
    template = page.locator("#classify-template textarea, #classify-template input").first
    assert template.input_value() == "一张{}的照片。"
    assert "标签（用逗号分隔）" in page.locator("#classify-labels").inner_text()
    assert "图像模型" in page.locator("#classify-intro").inner_text()
    assert page.locator("#classify-examples-zh").is_visible()
    assert not page.locator("#classify-examples").is_visible()
    page.locator("#classify-image input[type=file]").set_input_files(
        str(GALLERY / "chelsea_the_cat.png")
    )
    assert labels.input_value() == examples.CLASSIFY_LABELS_ZH
    page.get_by_role("button", name="分类", exact=True).click()
    output = page.locator("#classify-output")
    output.get_by_text("宇航员").first.wait_for(state="visible")
    shown = output.inner_text()
    assert shown.strip().splitlines()[:2] == ["概率", "猫"], shown  # the top label, large
    assert all(label in shown for label in ("狗", "一杯咖啡", "花")), shown
    screenshot(page, "zh_lite_classify.png")

    switch_language(page, "English")
    page.wait_for_function(
        f"(want) => document.querySelector('{box}').value === want",
        arg=examples.CLASSIFY_LABELS,
    )
    assert template.input_value() == "a photo of {}."
    page.get_by_role("tab", name="Classify").wait_for(state="visible")
    assert "Labels, comma-separated" in page.locator("#classify-labels").inner_text()
    assert page.locator("#classify-examples").is_visible()
    page.get_by_role("button", name="Classify", exact=True).click()
    output.get_by_text("an astronaut").first.wait_for(state="visible")
    assert output.inner_text().strip().splitlines()[:2] == ["Probabilities", "a cat"]
    screenshot(page, "zh_lite_classify_switched_to_english.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"
