"""The Ask (VQA) tab in a real browser (tiny app): a suggested question asked of ViLT and
remembered; the fusion menu shown only for the model that has fusions, on a shapes image."""

from __future__ import annotations

import pytest

from tests.support.browser import GALLERY, screenshot

SHAPES = GALLERY.parent / "examples" / "shapes"

pytestmark = pytest.mark.browser


def test_vqa_model_choice_works_in_the_page(page, app_server):
    """tiny app: a suggested question asked of ViLT, remembered; fusions for routed-vqa only."""
    page.get_by_role("tab", name="Ask (VQA)").click()
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
