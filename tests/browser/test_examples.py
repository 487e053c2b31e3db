"""The offered examples and the controls that follow the model, in a real browser on the
offline (lite) app, at desktop and phone widths. Screenshots: artifacts/browser/examples_*.

What each example must show is checked for every example through gradio_client in
tests/integration/test_examples.py; here a person's clicks go through the page: an example
row fills the inputs, the answer appears, the controls offered are the ones that work, and a
failed request does not leave the previous result standing.
"""

from __future__ import annotations

import pytest

from mmdemo.ui import examples
from tests.support.browser import ERROR_TOAST, open_tab, screenshot, wait_for_results

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
QUESTION = "#vqa-question textarea, #vqa-question input"


def wait_shown(page, locator, name: str) -> None:
    """Wait for ``locator``; on a timeout, a screenshot and what the page said instead."""
    try:
        locator.wait_for(state="visible")
    except Exception:
        screenshot(page, f"examples_failed_{name}.png")
        toasts = page.locator(ERROR_TOAST).all_inner_texts()
        pytest.fail(f"{name}: not shown; toasts {toasts}; screenshot examples_failed_{name}.png")


def width_of(viewport: dict) -> str:
    return "phone" if viewport is PHONE else "desktop"


def question_is(page, start: str) -> None:
    page.wait_for_function(
        f"() => document.querySelector('{QUESTION}').value.startsWith({start!r})"
    )


@VIEWPORTS
def test_a_search_chip_finds_its_photo(offline_page, offline_app_server, viewport):
    page = offline_page
    page.set_viewport_size(viewport)
    chip = examples.search_examples("lite")[3]  # "a flower"
    page.get_by_text(chip.query, exact=True).first.click()
    page.wait_for_function(
        "() => document.querySelector('#search-text-query textarea, #search-text-query input')"
        f".value === {chip.query!r}"
    )
    page.locator("#search-text-button").click()
    wait_for_results(page, offline_app_server)
    assert chip.finds in page.locator("#search-results").inner_text()
    screenshot(page, f"examples_lite_search_{width_of(viewport)}.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


@VIEWPORTS
def test_vqa_offers_what_lite_answers_and_the_fusion_menu_only_for_shapes(offline_page, viewport):
    page = offline_page
    page.set_viewport_size(viewport)
    open_tab(page, "Ask (VQA)")
    rows = page.locator("#vqa-examples")
    rows.get_by_text("Is there a rocket?").first.click()
    page.locator("#vqa-image img").first.wait_for(state="visible")
    question_is(page, "Is there a rocket?")
    suggestions = page.locator("#vqa-suggestions")
    suggestions.get_by_text("Is it daytime?").wait_for(state="detached")
    suggestions.get_by_text("Is there a rocket?").wait_for(state="visible")
    assert "How many rockets?" not in suggestions.inner_text()  # lite cannot count
    assert not page.locator("#vqa-fusion").is_visible()  # a photo: no shapes fusions
    page.locator("#vqa-button").click()
    wait_shown(page, page.locator("#vqa-answers").get_by_text("yes").first, "vqa_yes")
    screenshot(page, f"examples_lite_vqa_photo_{width_of(viewport)}.png")

    rows.get_by_text("What shape is in the image?").first.click()
    question_is(page, "What shape")
    page.locator("#vqa-fusion").wait_for(state="visible")  # a shapes image: fusions apply
    page.locator("#vqa-button").click()
    wait_shown(page, page.locator("#vqa-answers").get_by_text("rectangle").first, "vqa_shape")
    screenshot(page, f"examples_lite_vqa_shapes_{width_of(viewport)}.png")

    # a failed request clears the answer it would have replaced and says so
    page.locator(QUESTION).first.fill("")
    page.locator("#vqa-button").click()
    page.locator(ERROR_TOAST).first.wait_for(state="visible")
    page.locator("#vqa-notes").get_by_text("No answer").wait_for(state="visible")
    assert "rectangle" not in page.locator("#vqa-answers").inner_text()
    screenshot(page, f"examples_lite_vqa_failed_{width_of(viewport)}.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


@VIEWPORTS
def test_sentiment_disagreement_example_and_early_fusion_needing_a_head(offline_page, viewport):
    page = offline_page
    page.set_viewport_size(viewport)
    open_tab(page, "Sentiment")
    fusion = page.locator("#sentiment-fusion")
    fusion.get_by_text("Decision level (late fusion)").wait_for(state="visible")
    assert "early fusion" not in fusion.inner_text()  # not a choice that would fail
    needs = page.locator("#sentiment-early-needs")
    assert "needs a small head" in needs.inner_text()
    assert "python -m mmdemo train sentiment-fusion" in needs.inner_text()

    first = examples.sentiment_examples("lite")[0]
    page.locator("#sentiment-examples").get_by_text(first.text).first.click()
    page.locator("#sentiment-image img").first.wait_for(state="visible")
    page.locator("#sentiment-button").click()
    notes = page.locator("#sentiment-notes")
    notes.get_by_text("Text and image disagree").first.wait_for(state="visible")
    screenshot(page, f"examples_lite_sentiment_{width_of(viewport)}.png")

    # text-only example, then nothing at all: the failure clears the previous verdict
    text_only = next(e for e in examples.sentiment_examples("lite") if e.image is None)
    page.locator("#sentiment-examples").get_by_text(text_only.text).first.click()
    page.locator("#sentiment-button").click()
    notes.get_by_text(f"Fused: {text_only.expect}").first.wait_for(state="visible")
    page.locator("#sentiment-text textarea").fill("")
    page.locator("#sentiment-button").click()
    page.locator(ERROR_TOAST).first.wait_for(state="visible")
    notes.get_by_text("No result").wait_for(state="visible")
    assert "Fused:" not in notes.inner_text()
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


@VIEWPORTS
def test_caption_and_classify_examples(offline_page, viewport):
    page = offline_page
    page.set_viewport_size(viewport)
    open_tab(page, "Caption")
    assert not page.get_by_text("Decoding").first.is_visible()  # label-based: no decoding
    page.locator("#caption-examples img").first.click()  # the coffee cup
    page.locator("#caption-image img").first.wait_for(state="visible")
    page.locator("#caption-button").click()
    page.locator("#caption-labels").get_by_text("espresso").first.wait_for(state="visible")
    assert "espresso" in page.locator("#caption-output textarea").input_value()
    screenshot(page, f"examples_lite_caption_{width_of(viewport)}.png")

    open_tab(page, "Classify")
    page.locator("#classify-examples img").nth(1).click()  # the cat
    page.locator("#classify-image img").first.wait_for(state="visible")
    page.locator("#classify-button").click()
    output = page.locator("#classify-output")
    output.get_by_text("a cat").first.wait_for(state="visible")
    shown = output.inner_text().split("\n")  # the label, then the top class in large
    assert shown[1] == "a cat", shown
    screenshot(page, f"examples_lite_classify_{width_of(viewport)}.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"
