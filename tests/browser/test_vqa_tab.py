"""The Ask (VQA) tab in a real browser (tiny app): a suggested question asked of ViLT and
remembered; the fusion menu shown only for the model that has fusions, on a shapes image;
in zh-CN on lite, Chinese questions offered and answered in Chinese."""

from __future__ import annotations

import pytest

from tests.support.browser import GALLERY, open_tab, screenshot

SHAPES = GALLERY.parent / "examples" / "shapes"

pytestmark = pytest.mark.browser


def test_vqa_model_choice_works_in_the_page(page, app_server):
    """tiny app: a suggested question asked of ViLT, remembered; fusions for routed-vqa only."""
    open_tab(page, "Ask (VQA)")
    page.locator("#vqa-image input[type=file]").set_input_files(str(GALLERY / "coffee_cup.png"))
    suggestions = page.locator("#vqa-suggestions")
    suggestions.get_by_text("Is there a cup?").click()
    page.wait_for_function(
        "() => document.querySelector('#vqa-question textarea, #vqa-question input')"
        ".value === 'Is there a cup?'"
    )
    page.locator("#vqa-model input").click()
    page.get_by_role("option", name="ViLT, tiny random (tests)").click()
    page.locator("#vqa-button").click()
    page.locator("#vqa-notes").get_by_text("ViLT").first.wait_for(state="visible")
    history = page.locator("#vqa-history")
    history.get_by_text("Is there a cup?").wait_for(state="visible")
    assert "Asked about this image" in history.inner_text()
    assert "%)" in history.inner_text()  # the top answer and its confidence
    assert page.locator("#vqa-answers").inner_text().strip()
    assert not page.locator("#vqa-fusion").is_visible()  # only our shapes model has fusions
    page.locator("#vqa-model input").click()
    page.get_by_role("option", name="Shapes model trained here").click()
    page.wait_for_timeout(500)
    assert not page.locator("#vqa-fusion").is_visible()  # still a photo: fusions do not apply
    page.locator("#vqa-image input[type=file]").set_input_files(str(SHAPES / "red_circle.png"))
    page.locator("#vqa-fusion").wait_for(state="visible")
    screenshot(page, "tiny_vqa_vilt.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


def test_vqa_tab_in_chinese_offers_and_answers_chinese_questions(offline_zh_page):
    """zh-CN on lite: Chinese suggested questions for the coffee photo, a Chinese answer
    (没有 to 有没有猫？), Chinese notes and history; a shapes image gets the English
    questions (its model reads English only)."""
    page = offline_zh_page
    open_tab(page, "提问（视觉问答）")
    question = page.locator("#vqa-question textarea, #vqa-question input").first
    page.wait_for_function(
        "() => document.querySelector('#vqa-question textarea, #vqa-question input')"
        ".placeholder === '例如：这是什么？'"
    )
    page.locator("#vqa-image input[type=file]").set_input_files(str(GALLERY / "coffee_cup.png"))
    suggestions = page.locator("#vqa-suggestions")
    suggestions.get_by_text("有没有猫？").click()
    page.wait_for_function(
        "() => document.querySelector('#vqa-question textarea, #vqa-question input')"
        ".value === '有没有猫？'"
    )
    assert "Is there" not in suggestions.inner_text()
    page.get_by_role("button", name="提问", exact=True).click()
    history = page.locator("#vqa-history")
    history.get_by_text("有没有猫？").wait_for(state="visible")
    assert "关于这张图片问过的" in history.inner_text() and "没有" in history.inner_text()
    assert "没有" in page.locator("#vqa-answers").inner_text()
    notes = page.locator("#vqa-notes").inner_text()
    assert "回答的模型" in notes and "Answered by" not in notes, notes
    screenshot(page, "zh_lite_vqa.png")
    assert question.input_value() == "有没有猫？"
    page.locator("#vqa-image input[type=file]").set_input_files(str(SHAPES / "red_circle.png"))
    suggestions.get_by_text("What shape is this?").wait_for(state="visible")
    page.locator("#vqa-fusion").wait_for(state="visible")
    screenshot(page, "zh_lite_vqa_shapes.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"
