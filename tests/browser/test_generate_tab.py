"""The Generate tab in a real browser (tiny app: the random SD twin): draw an image (the
progress, then the image), add it to the gallery, find similar photos; the same in zh-CN
on a phone; lite says in one line that it needs full. Screenshots to artifacts/browser/."""

from __future__ import annotations

import pytest

from tests.support.browser import TIMEOUT_MS, open_tab, screenshot

pytestmark = pytest.mark.browser


def draw(page, steps: int = 3) -> None:
    page.locator("#generate-prompt textarea").fill("a red fox in the snow, photo")
    page.locator("#generate-button").click()
    page.locator("#generate-image img").wait_for(state="visible", timeout=TIMEOUT_MS)


def use_the_image(page, added: str) -> None:
    page.locator("#generate-add").click()
    page.locator("#generate-loop-note").get_by_text(added).first.wait_for(timeout=TIMEOUT_MS)
    page.locator("#generate-similar").click()
    page.locator("#generate-similar-results img").first.wait_for(timeout=TIMEOUT_MS)


def test_draw_then_add_and_find_similar(page, app_server):
    open_tab(page, "Generate")
    assert "English" in page.locator("#generate-intro").inner_text()
    draw(page)
    assert "Drawn by" in page.locator("#generate-notes").inner_text()
    with app_server.gallery_left_as_it_was():
        use_the_image(page, "added 1")
    screenshot(page, "tiny_generate_desktop.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


def test_zh_phone_flow(zh_page, app_server):
    zh_page.set_viewport_size({"width": 390, "height": 844})
    open_tab(zh_page, "画图")
    draw(zh_page)
    assert "画成" in zh_page.locator("#generate-notes").inner_text()
    zh_page.locator("#generate-similar").click()
    zh_page.locator("#generate-similar-results img").first.wait_for(timeout=TIMEOUT_MS)
    zh_page.locator("#generate-loop-note").get_by_text("最接近").wait_for(timeout=TIMEOUT_MS)
    screenshot(zh_page, "tiny_generate_zh_phone.png")
    assert not zh_page.page_errors, f"uncaught errors in the page: {zh_page.page_errors}"


def test_lite_says_it_needs_full(offline_zh_page):
    open_tab(offline_zh_page, "画图")
    line = offline_zh_page.locator("#generate-intro").inner_text()
    assert "full" in line and "lite" in line
    assert offline_zh_page.locator("#generate-button").count() == 0
    screenshot(offline_zh_page, "lite_generate_zh.png")
