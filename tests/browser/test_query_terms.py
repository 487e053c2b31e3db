"""Query arithmetic in a real browser (tiny app): the rows write the one-line terms, an example
fills the line and the image, the search fills the results grid and says what was searched;
in zh-CN on a 390 px phone every label is Chinese and the same flow works (screenshots
search_terms*.png in artifacts/browser/)."""

from __future__ import annotations

import pytest

from tests.support.browser import TIMEOUT_MS, open_tab, screenshot, wait_for_results

pytestmark = pytest.mark.browser

LINE = "#search-terms-line textarea, #search-terms-line input"
READ = "#search-terms-read"


def open_terms(page) -> None:
    open_tab(page, "Search" if page.evaluate("navigator.language") != "zh-CN" else "搜索")
    page.locator("#search-terms > button, #search-terms .label-wrap").first.click()
    page.locator(LINE).first.wait_for(state="visible", timeout=TIMEOUT_MS)


def example_rows(page):
    """The rows of the examples table shown in the page's language (one table per language)."""
    table = "[id^='search-terms-examples'] tbody tr, [id^='search-terms-examples'] .gallery-item"
    return page.locator(table).locator("visible=true")


def row(page, n: int):
    return page.locator(f"#search-terms-text-{n} textarea, #search-terms-text-{n} input").first


def test_rows_write_the_line_and_the_search_fills_the_grid(page, app_server):
    open_terms(page)
    row(page, 1).fill("a dog")
    row(page, 3).fill("people")
    line = page.locator(LINE).first
    page.wait_for_function(
        f"() => document.querySelector('{LINE.split(',')[0]}').value === '\"a dog\" - \"people\"'",
        timeout=TIMEOUT_MS,
    )
    page.locator("#search-terms-button").click()
    wait_for_results(page, app_server)
    page.locator(READ).get_by_text("Searched for:").wait_for(timeout=TIMEOUT_MS)
    assert line.input_value() == '"a dog" - "people"'
    screenshot(page, "search_terms.png")
    assert not page.page_errors, page.page_errors


def test_an_example_fills_the_line_and_the_image(page, app_server):
    open_terms(page)
    example_rows(page).first.click()
    page.wait_for_function(
        f"() => document.querySelector('{LINE.split(',')[0]}').value.startsWith('image - ')",
        timeout=TIMEOUT_MS,
    )
    page.locator("#search-image-query img").first.wait_for(timeout=TIMEOUT_MS)
    page.locator("#search-terms-button").click()
    wait_for_results(page, app_server)
    said = page.locator(READ)
    said.get_by_text("Searched for:").wait_for(timeout=TIMEOUT_MS)
    assert "not used" not in said.inner_text()


def test_chinese_phone(zh_page, app_server):
    page = zh_page
    page.set_viewport_size({"width": 390, "height": 844})
    open_terms(page)
    panel = page.locator("#search-terms")
    text = panel.inner_text()
    for chinese in ("组合搜索", "文字", "权重", "用这些搜索项搜索", "试试"):
        assert chinese in text, text
    for english in ("Text", "Weight", "Search with these terms"):
        assert english not in text, text
    example_rows(page).first.click()
    page.wait_for_function(
        f"() => document.querySelector('{LINE.split(',')[0]}').value.includes('一只猫')",
        timeout=TIMEOUT_MS,
    )
    page.locator("#search-terms-button").click()
    wait_for_results(page, app_server)
    page.locator(READ).get_by_text("搜索的是").wait_for(timeout=TIMEOUT_MS)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"the page scrolls sideways on a phone: {width} px"
    screenshot(page, "search_terms_zh_phone.png")
    assert not page.page_errors, page.page_errors
