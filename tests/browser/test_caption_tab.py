"""The Caption tab in a real browser (tiny app): nucleus sampling with a prefix, and the
decoding controls shown only for a captioner that declares them, following the Model menu;
in zh-CN on lite, a Chinese label caption with Chinese classes and notes."""

from __future__ import annotations

import pytest

from tests.support.browser import ERROR_TOAST, GALLERY, TIMEOUT_MS, open_tab, screenshot

pytestmark = pytest.mark.browser


DECODING = "Decoding"
PREFIX = "#caption-prefix textarea, #caption-prefix input"


def choose_model(page, label: str) -> None:
    page.locator("#caption-model input").click()
    page.get_by_role("option", name=label).click()


def test_caption_options_work_in_the_page(page, app_server):
    """tiny app: nucleus sampling with a prefix."""
    open_tab(page, "Caption")
    page.locator("#caption-image input[type=file]").set_input_files(str(GALLERY / "flower.jpg"))
    page.get_by_text(DECODING, exact=True).click()
    page.locator("#caption-mode").get_by_text("Nucleus sampling").click()
    page.locator("#caption-prefix textarea, #caption-prefix input").first.fill("a photo of")
    page.locator("#caption-button").click()
    page.locator("#caption-notes").get_by_text("nucleus sampling").first.wait_for(state="visible")
    assert page.locator("#caption-output textarea").input_value().startswith("a photo of")
    assert "Random test weights" in page.locator("#caption-notes").inner_text()
    screenshot(page, "tiny_caption_options.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_decoding_controls_follow_the_chosen_model(page, app_server, width):
    """The tiny BLIP declares decoding options; the label-based captioner has none, and a
    prefix typed for BLIP does not follow the switch (it would be refused)."""
    page.set_viewport_size({"width": width, "height": 900 if width > 390 else 844})
    open_tab(page, "Caption")
    decoding = page.get_by_text(DECODING, exact=True)
    decoding.wait_for(state="visible")  # the default, tiny BLIP, is generative
    decoding.click()
    page.locator(PREFIX).first.fill("a photo of")
    choose_model(page, "Label-based (classes of the shared image-text space)")
    decoding.wait_for(state="hidden")
    page.locator("#caption-image input[type=file]").set_input_files(str(GALLERY / "flower.jpg"))
    page.locator("#caption-button").click()
    page.locator("#caption-notes").get_by_text("label-based").first.wait_for(state="visible")
    assert page.locator(ERROR_TOAST).count() == 0  # the BLIP prefix was not sent along
    screenshot(page, f"tiny_caption_label_based_{width}.png")
    choose_model(page, "BLIP, tiny random (tests)")
    decoding.wait_for(state="visible")
    assert page.locator(PREFIX).first.input_value() == ""
    screenshot(page, f"tiny_caption_blip_controls_{width}.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


def test_caption_tab_in_chinese_writes_a_chinese_label_caption(offline_zh_page):
    """zh-CN on lite: the label-based captioner writes Chinese, the classes it saw are
    Chinese, the notes and the labels are Chinese; no decoding controls (it has none)."""
    page = offline_zh_page
    open_tab(page, "图片描述")
    # the page's load event renders the intro; a freshly started lite app may still be
    # warming its models up on this machine's two cores, so it gets twice the usual wait
    intro = page.locator("#caption-intro").get_by_text("用一句话描述一张图片")
    intro.wait_for(state="visible", timeout=2 * TIMEOUT_MS)
    page.locator("#caption-image input[type=file]").set_input_files(
        str(GALLERY / "chelsea_the_cat.png")
    )
    page.get_by_role("button", name="生成描述", exact=True).click()
    notes = page.locator("#caption-notes")
    notes.get_by_text("方法：").first.wait_for(state="visible")
    caption = page.locator("#caption-output textarea").input_value()
    assert caption.startswith("一张照片") and "猫" in caption, caption
    seen = page.locator("#caption-labels").inner_text()
    assert "猫" in seen and "cat" not in seen, seen
    assert "图像模型看到了什么" in page.locator("#caption-labels").inner_text()
    assert "Method" not in notes.inner_text()
    assert not page.get_by_text(DECODING, exact=True).is_visible()
    screenshot(page, "zh_lite_caption.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"
