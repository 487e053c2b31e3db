""" "Why this label?" under Classify in a real browser (lite, the offline app): after the cat
is classified the panel starts from the top label in its template, and the heatmap comes
back with its method and score, in English and in zh-CN, on a desktop and a 390 px phone.
Screenshots in artifacts/browser/why_*.png."""

from __future__ import annotations

import pytest

from tests.support.browser import GALLERY, TIMEOUT_MS, open_tab, screenshot

pytestmark = pytest.mark.browser
QUERY = "#classify-why-query textarea, #classify-why-query input"


def _classify_then_explain(
    page, tab: str, classify: str, fold: str, button: str, score: str
) -> str:
    """Classify the cat, open the panel, show the map; wait for the note's ``score`` label.

    The note is written by a follow-up event, and while it runs Gradio shows a timer
    ("0.0s") in its place: waiting for any "0." matched that timer, and a CI run read the
    note before it was written. The score's label appears only in the finished note."""
    open_tab(page, tab)
    page.locator("#classify-image input[type=file]").set_input_files(
        str(GALLERY / "chelsea_the_cat.png")
    )
    page.locator("#classify-why").get_by_text(fold).first.click()
    page.get_by_role("button", name=classify, exact=True).click()
    page.wait_for_function(  # a successful Classify puts its top label into the panel
        f"() => (document.querySelector('{QUERY}') || {{}}).value", timeout=2 * TIMEOUT_MS
    )
    query = page.locator(QUERY).first.input_value()
    page.get_by_role("button", name=button, exact=True).click()
    page.locator("#classify-why-overlay img").first.wait_for(state="visible", timeout=TIMEOUT_MS)
    page.locator("#classify-why-note").get_by_text(score).first.wait_for(timeout=TIMEOUT_MS)
    return query


@pytest.mark.parametrize("width", [1280, 390])
def test_why_this_label_in_english(offline_page, width):
    page = offline_page
    page.set_viewport_size({"width": width, "height": 900})
    query = _classify_then_explain(
        page, "Classify", "Classify", "Why this label?", "Show where it matched", "match score"
    )
    assert query == "a photo of a cat."
    note = page.locator("#classify-why-note").inner_text()
    assert "Grad-CAM on EfficientNet classes" in note, note
    classes = note.split("closest to the text:", 1)[-1]  # the ImageNet classes it followed
    assert classes.count("cat") >= 2, note  # cat classes (tiger cat, Persian cat, ...)
    page.locator("#classify-why-overlay").scroll_into_view_if_needed()
    screenshot(page, f"why_lite_en_{width}.png")
    assert not page.page_errors, page.page_errors


@pytest.mark.parametrize("width", [1280, 390])
def test_why_this_label_in_chinese(offline_zh_page, width):
    page = offline_zh_page
    page.set_viewport_size({"width": width, "height": 900})
    query = _classify_then_explain(
        page, "分类", "分类", "为什么是这个标签？", "显示匹配的位置", "匹配分数"
    )
    assert query == "一张猫的照片。"
    note = page.locator("#classify-why-note").inner_text()
    assert "基于 EfficientNet 类别的 Grad-CAM" in note and "匹配分数" in note, note
    assert "输入一段文字" in page.locator("#classify-why-intro").inner_text()
    page.locator("#classify-why-overlay").scroll_into_view_if_needed()
    screenshot(page, f"why_lite_zh_{width}.png")
    assert not page.page_errors, page.page_errors
