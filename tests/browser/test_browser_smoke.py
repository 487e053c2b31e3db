"""Real-browser smoke test: headless Debian chromium drives the running app like a person.

Why: gradio_client tests call the API directly; only a browser proves the page renders, the
elements are wired to the events and the gallery images actually load. Uses the system's
``/usr/bin/chromium`` (``apt-get install chromium``), never ``playwright install``. Without
it the tests skip, unless ``MMDEMO_REQUIRE_BROWSER=1`` (CI), where they fail instead.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
TIMEOUT_MS = 60_000

QUERY = "#search-text-query textarea, #search-text-query input"
BUTTON = "#search-text-button"
# True once the results gallery shows at least one image that really decoded.
RESULTS_LOADED_JS = """() => {
    const gallery = document.querySelector('#search-results');
    if (!gallery) return false;
    return [...gallery.querySelectorAll('img')].some(img => img.complete && img.naturalWidth > 0);
}"""
# Gradio shows gr.Error as a toast with the "error" class.
ERROR_TOAST = '[data-testid="toast-body"].error, .toast-body.error'
TOAST_MESSAGE = '[data-testid="toast-text"], .toast-message-text'


def _unavailable(reason: str) -> None:
    if os.environ.get("MMDEMO_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (MMDEMO_REQUIRE_BROWSER=1, so this is a failure)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless chromium for the session; checked before the app server starts."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: install it with apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def open_page(browser, server) -> Iterator:
    """A fresh page on ``server``; requests to any other host are blocked (we are offline)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    app_host = urlparse(server.url).netloc

    def only_the_app(route):
        if urlparse(route.request.url).netloc == app_host:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_the_app)
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda err: page_errors.append(str(err)))
    page.goto(server.url, wait_until="domcontentloaded")
    page.wait_for_selector(QUERY)
    page.page_errors = page_errors
    try:
        yield page
    finally:
        if page_errors:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "page_errors.json").write_text(json.dumps(page_errors, indent=2))
        context.close()


@pytest.fixture
def page(browser, app_server):
    with open_page(browser, app_server) as page:
        yield page


@pytest.fixture
def offline_page(browser, offline_app_server):
    with open_page(browser, offline_app_server) as page:
        yield page


def _search(page, text: str) -> None:
    box = page.locator(QUERY).first
    box.fill(text)
    page.locator(BUTTON).click()


def _wait_for_results(page, app_server) -> None:
    try:
        page.wait_for_function(RESULTS_LOADED_JS, timeout=TIMEOUT_MS)
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "no_results.png"), full_page=True)
        pytest.fail(
            "no loaded image appeared in #search-results; screenshot in "
            f"{ARTIFACTS / 'no_results.png'}\napp log tail:\n{app_server.log_tail()}",
            pytrace=False,
        )


def test_text_search_shows_images(page, app_server):
    headings = " ".join(page.locator("h1, h2").all_inner_texts())
    assert "mmdemo" in (page.title() + " " + headings).lower()
    assert not page.evaluate(RESULTS_LOADED_JS), "results shown before any search"

    _search(page, "a cup of coffee on a table")
    _wait_for_results(page, app_server)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)
    assert (ARTIFACTS / "search.png").stat().st_size > 0


def test_empty_query_shows_error_and_page_keeps_working(page, app_server):
    _search(page, "")

    toast = page.locator(ERROR_TOAST).first
    try:
        toast.wait_for(state="visible", timeout=15_000)
    except Exception:
        pytest.fail(
            "no error toast appeared after searching for an empty query (expected a gr.Error)"
            f"\napp log tail:\n{app_server.log_tail()}",
            pytrace=False,
        )
    # A gr.Error carries its message; an unexpected exception shows an empty "Error" toast.
    message = toast.locator(TOAST_MESSAGE).first
    try:
        message.wait_for(state="visible", timeout=5_000)
    except Exception:
        pytest.fail(
            f"the error toast shows no message, only {toast.inner_text()!r}: did the handler "
            "raise something other than gr.Error?",
            pytrace=False,
        )
    assert message.inner_text().strip(), "the error toast has an empty message"
    page.wait_for_timeout(500)  # let the toast finish sliding in before the screenshot
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "empty_query_error.png"), full_page=True)

    _search(page, "a cat")
    _wait_for_results(page, app_server)
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


def test_clicking_a_result_finds_more_like_it(page, app_server):
    _search(page, "a rocket launching")
    _wait_for_results(page, app_server)
    page.locator("#search-results .thumbnail-item").first.click()
    page.locator("#search-message").get_by_text("More like").wait_for(timeout=TIMEOUT_MS)
    _wait_for_results(page, app_server)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "more_like_this.png"), full_page=True)
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


def test_classify_tab_shows_probabilities(page, app_server, make_test_image):
    page.get_by_role("tab", name="Classify").click()
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


def _screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_offline_app_runs_lite_and_every_task_tab_answers(offline_page, offline_app_server):
    """Plain ``python app.py`` offline: the lite banner, then caption, VQA and sentiment."""
    page = offline_page
    banner = page.locator("#mmdemo-banner")
    banner.get_by_text("Preset lite").wait_for(state="visible", timeout=TIMEOUT_MS)
    assert "cannot be reached" in banner.inner_text()
    _search(page, "a cup of coffee")
    _wait_for_results(page, offline_app_server)
    _screenshot(page, "lite_search.png")

    page.get_by_role("tab", name="Caption").click()
    coffee = Path(__file__).resolve().parents[2] / "assets" / "gallery" / "coffee_cup.png"
    page.locator("#caption-image input[type=file]").set_input_files(str(coffee))
    page.locator("#caption-button").click()
    page.locator("#caption-labels").get_by_text("espresso").first.wait_for(state="visible")
    assert "espresso" in page.locator("#caption-output textarea").input_value()
    _screenshot(page, "lite_caption.png")

    page.get_by_role("tab", name="Ask (VQA)").click()
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
        _screenshot(page, "lite_vqa_failed.png")
        pytest.fail(
            "no 'rectangle' answer appeared; screenshot lite_vqa_failed.png\n"
            f"app log tail:\n{offline_app_server.log_tail()}",
            pytrace=False,
        )
    assert "shapes-vqa" in page.locator("#vqa-notes").inner_text()
    _screenshot(page, "lite_vqa_shapes.png")

    page.get_by_role("tab", name="Sentiment").click()
    page.locator("#sentiment-text textarea").fill("What a wonderful, happy day!")
    page.locator("#sentiment-button").click()
    page.locator("#sentiment-notes").get_by_text("positive").first.wait_for(state="visible")
    _screenshot(page, "lite_sentiment.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


def test_caption_options_and_vqa_model_choice_work_in_the_page(page, app_server):
    """tiny app: nucleus sampling with a prefix; a suggested question asked of ViLT, remembered."""
    gallery = Path(__file__).resolve().parents[2] / "assets" / "gallery"
    page.get_by_role("tab", name="Caption").click()
    page.locator("#caption-image input[type=file]").set_input_files(str(gallery / "flower.jpg"))
    page.get_by_text("Decoding (generative captioners such as BLIP)").click()
    page.locator("#caption-mode").get_by_text("Nucleus sampling").click()
    page.locator("#caption-prefix textarea, #caption-prefix input").first.fill("a photo of")
    page.locator("#caption-button").click()
    page.locator("#caption-notes").get_by_text("nucleus sampling").first.wait_for(state="visible")
    assert page.locator("#caption-output textarea").input_value().startswith("a photo of")
    assert "Random test weights" in page.locator("#caption-notes").inner_text()
    _screenshot(page, "tiny_caption_options.png")

    page.get_by_role("tab", name="Ask (VQA)").click()
    page.locator("#vqa-image input[type=file]").set_input_files(str(gallery / "coffee_cup.png"))
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
    page.locator("#vqa-fusion").wait_for(state="visible")
    _screenshot(page, "tiny_vqa_vilt.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


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
    _screenshot(page, "tiny_sentiment_late.png")

    page.locator("#sentiment-fusion").get_by_text("Feature level (early fusion)").click()
    page.locator("#fusion-help").get_by_text("train sentiment-fusion").first.wait_for(
        state="visible"
    )
    assert not page.locator("#sentiment-weight input[type=range]").is_enabled()
    page.locator("#sentiment-button").click()
    toast = page.locator(ERROR_TOAST).first
    toast.wait_for(state="visible")
    assert "train sentiment-fusion" in toast.inner_text()
    _screenshot(page, "tiny_sentiment_early_no_head.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"
