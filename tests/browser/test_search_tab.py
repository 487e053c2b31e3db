"""The Search tab in a real browser (tiny app): a text search shows thumbnails that load, an
empty query shows the error, clears the stale results and the page keeps working; a click
pins the original above "more like this" results and Back restores the previous ones (at
desktop and phone widths; screenshots in artifacts/browser/)."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from tests.support.browser import (
    ARTIFACTS,
    ERROR_TOAST,
    GALLERY,
    QUERY,
    RESULTS_LOADED_JS,
    TIMEOUT_MS,
    TOAST_MESSAGE,
    screenshot,
    search,
    wait_for_results,
)

pytestmark = pytest.mark.browser


def test_text_search_shows_images(page, app_server):
    headings = " ".join(page.locator("h1, h2").all_inner_texts())
    assert "mmdemo" in (page.title() + " " + headings).lower()
    assert not page.evaluate(RESULTS_LOADED_JS), "results shown before any search"

    search(page, "a cup of coffee on a table")
    wait_for_results(page, app_server)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)
    assert (ARTIFACTS / "search.png").stat().st_size > 0


def test_empty_query_shows_error_and_page_keeps_working(page, app_server):
    search(page, "")

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

    search(page, "a cat")
    wait_for_results(page, app_server)
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


THUMBNAILS_JS = """() => [...document.querySelectorAll('#search-results img')].map(
    img => ({src: img.currentSrc || img.src, w: img.naturalWidth, h: img.naturalHeight}))"""
PINNED_JS = """() => {
    const img = document.querySelector('#search-pinned-image img');
    return img && img.complete ? {w: img.naturalWidth, h: img.naturalHeight} : null;
}"""
GRID_CAPTIONS_JS = """() => [...document.querySelectorAll('#search-results .thumbnail-item')]
    .map(item => item.innerText.trim())"""


SHOWN_JS = """selector => [...document.querySelectorAll(selector)].some(
    e => e.offsetParent !== null && e.getClientRects().length > 0)"""


def visible(page, selector: str) -> bool:
    """Whether any element matching ``selector`` is shown (Gradio may keep hidden copies)."""
    return page.evaluate(SHOWN_JS, selector)


@pytest.mark.parametrize(
    "viewport",
    [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
    ids=["desktop", "phone"],
)
def test_more_like_this_pins_the_original_and_back_restores_the_results(page, app_server, viewport):
    """Search -> click a result -> its original is pinned above "Images like ..." results,
    the stale query is cleared -> Back brings the first results and the query back."""
    width = viewport["width"]
    page.set_viewport_size(viewport)
    search(page, "a rocket launching")
    wait_for_results(page, app_server)
    first = page.evaluate(THUMBNAILS_JS)
    assert first and all(max(t["w"], t["h"]) <= 384 for t in first), first  # thumbnails
    assert all("-384.jpg" in t["src"] for t in first), first
    captions_before = page.evaluate(GRID_CAPTIONS_JS)
    assert not visible(page, "#search-pinned") and not visible(page, "#search-back")
    screenshot(page, f"search_results_{width}.png")

    page.locator("#search-results .thumbnail-item").nth(1).click()
    page.locator("#search-pinned-title").get_by_text("Images like").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(PINNED_JS, timeout=TIMEOUT_MS)
    wait_for_results(page, app_server)
    pinned = page.evaluate(PINNED_JS)
    title = page.locator("#search-pinned-title").inner_text()
    clicked_name = captions_before[1].split("·", 1)[-1].strip()
    assert clicked_name and clicked_name in title, (title, captions_before[1])
    with Image.open(GALLERY / clicked_name) as original:  # the original, not a thumbnail
        assert (pinned["w"], pinned["h"]) == original.size, pinned
    assert page.locator(QUERY).first.input_value() == ""  # the stale query is gone
    assert visible(page, "#search-back")
    page.wait_for_function(
        f"() => !({GRID_CAPTIONS_JS})().some(c => c.endsWith({clicked_name!r}))"
    )  # the clicked image itself is not among its "more like this" results
    screenshot(page, f"more_like_this_{width}.png")

    page.locator("#search-back").click()
    page.wait_for_function(
        f"want => JSON.stringify(({GRID_CAPTIONS_JS})()) === JSON.stringify(want)",
        arg=captions_before,
    )
    page.wait_for_function(f"() => !({SHOWN_JS})('#search-pinned')")
    assert page.locator(QUERY).first.input_value() == "a rocket launching"
    assert not visible(page, "#search-back")
    wait_for_results(page, app_server)
    screenshot(page, f"search_back_{width}.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


def test_a_failed_search_clears_the_results_it_would_have_replaced(page, app_server):
    search(page, "a cat")
    wait_for_results(page, app_server)
    search(page, "   ")
    page.locator(ERROR_TOAST).first.wait_for(state="visible", timeout=15_000)
    page.locator("#search-message").get_by_text("did not run").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function("() => !document.querySelector('#search-results img')")
    screenshot(page, "search_failed.png")
    search(page, "a cat")  # and the page keeps working
    wait_for_results(page, app_server)


def test_image_to_text_results_show_thumbnails_and_a_click_finds_more_like_it(
    page, app_server, gradio_client
):
    gradio_client.predict(api_name="/caption_gallery")  # no-op when already captioned
    page.locator("#search-image-query input[type=file]").set_input_files(
        str(GALLERY / "coffee_cup.png")
    )
    page.locator("#search-image-to-text-button").click()
    thumbs = "#search-caption-images img"
    page.wait_for_function(
        f"() => [...document.querySelectorAll('{thumbs}')].some(i => i.complete && i.naturalWidth)"
    )
    sizes = page.evaluate(
        "s => [...document.querySelectorAll(s)].map(i => [i.naturalWidth, i.naturalHeight])",
        thumbs,
    )
    assert sizes and all(max(size) <= 384 for size in sizes), sizes
    assert visible(page, "#search-captions")
    screenshot(page, "image_to_text.png")
    page.locator("#search-caption-images .thumbnail-item").first.click()
    page.locator("#search-pinned-title").get_by_text("Images like").wait_for(timeout=TIMEOUT_MS)
    wait_for_results(page, app_server)
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


def test_a_single_hit_keeps_thumbnail_size(page, app_server):
    """One result must not be stretched across the page (Gradio widens a gallery's columns
    to its number of images unless ``fit_columns=False``): its tile stays about one of the
    six grid columns wide."""
    number = page.locator("#search-k input[type=number]").first
    number.fill("1")
    number.press("Enter")
    search(page, "a cat")
    wait_for_results(page, app_server)
    widths = page.evaluate(
        """() => {
        const gallery = document.querySelector('#search-results');
        const tiles = [...gallery.querySelectorAll('button.thumbnail-item, .thumbnail-item')];
        return {gallery: gallery.getBoundingClientRect().width,
                tiles: tiles.map(t => t.getBoundingClientRect().width)};
    }"""
    )
    screenshot(page, "search_one_hit.png")
    assert len(widths["tiles"]) == 1, widths
    assert widths["tiles"][0] < widths["gallery"] / 4, widths


def test_the_search_flow_in_chinese(zh_page, app_server):
    """zh-CN: a Chinese query finds images, a click pins its original under a Chinese title
    and the Back button (Chinese) restores the results; a failed search says so in Chinese."""
    page = zh_page
    search(page, "一只猫")
    wait_for_results(page, app_server)
    page.locator("#search-message").get_by_text("个结果").wait_for(timeout=TIMEOUT_MS)
    captions_before = page.evaluate(GRID_CAPTIONS_JS)
    page.locator("#search-results .thumbnail-item").nth(1).click()
    page.locator("#search-pinned-title").get_by_text("与它相似的图片").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(PINNED_JS, timeout=TIMEOUT_MS)
    page.locator("#search-message").get_by_text("相似：").wait_for(timeout=TIMEOUT_MS)
    back = page.locator("#search-back")
    assert "回到上一次的结果" in back.inner_text()
    screenshot(page, "more_like_this_zh.png")
    back.click()
    page.wait_for_function(
        f"want => JSON.stringify(({GRID_CAPTIONS_JS})()) === JSON.stringify(want)",
        arg=captions_before,
    )
    assert page.locator(QUERY).first.input_value() == "一只猫"

    search(page, "   ")
    toast = page.locator(ERROR_TOAST).first
    toast.wait_for(state="visible", timeout=15_000)
    page.locator("#search-message").get_by_text("这次搜索没有运行").wait_for(timeout=TIMEOUT_MS)
    said = toast.locator(TOAST_MESSAGE).first.inner_text()
    assert re.search(r"[\u4e00-\u9fff]", said) and "empty" not in said, said
    page.wait_for_timeout(500)
    screenshot(page, "search_failed_zh.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"
