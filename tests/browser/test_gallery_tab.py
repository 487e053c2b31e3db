"""The Gallery tab in a real browser: thumbnails with their names, an upload whose report
names the twin and the unreadable file, selecting an image by clicking it and removing it;
at desktop width and on a 390 px phone. Screenshots in artifacts/browser/.

On the session's tiny app (shared, on loopback: removal needs no password); the one image
this adds it removes again, through the page or, if the test fails first, through the API.
"""

from __future__ import annotations

import pytest

from tests.support.browser import open_tab, screenshot
from tests.support.images import write_test_image

pytestmark = pytest.mark.browser


CAPTIONS_JS = """() => [...document.querySelectorAll('#gallery-grid .caption-label')]
    .map(label => label.innerText)"""
PAINTED_JS = """() => [...document.querySelectorAll('#gallery-grid img')]
    .filter(img => img.complete && img.naturalWidth > 0).length"""


def open_gallery(page) -> list[str]:
    """Open the tab and wait for its thumbnails; the captions shown, in grid order.

    On a phone the tab bar has no room for it: it is behind the "More tabs" menu.
    """
    open_tab(page, "Gallery")
    page.wait_for_function(f"() => ({PAINTED_JS})() >= 8")
    return page.evaluate(CAPTIONS_JS)


def first_caption_is(page, name: str) -> None:
    page.wait_for_function(f"() => ({CAPTIONS_JS})()[0] === {name!r}")


def text_of(page, selector: str) -> str:
    return page.locator(selector).inner_text()


def test_upload_select_and_remove_through_the_gallery_tab(page, app_server, tmp_path):
    captions = open_gallery(page)
    assert "coffee_cup.png" in captions and len(captions) >= 16
    assert "Page 1 of 1" in text_of(page, "#gallery-page-note")
    sizes = page.evaluate(
        "() => [...document.querySelectorAll('#gallery-grid img')]"
        ".map(img => Math.max(img.naturalWidth, img.naturalHeight))"
    )
    assert max(sizes) <= 384  # thumbnails, not the originals
    screenshot(page, "gallery_tab_desktop.png")

    picture = write_test_image(tmp_path / "my holiday.png", size=(120, 90), color=(250, 120, 0))
    twin = tmp_path / "holiday again.png"
    twin.write_bytes(picture.read_bytes())
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff this is no jpeg")
    page.locator("#index-add-files input[type=file]").set_input_files([picture, twin, broken])
    page.locator("#index-add-button").click()
    try:
        page.wait_for_function(
            "() => document.querySelector('#index-add-report').innerText.includes('added 1')"
        )
        report = text_of(page, "#index-add-report")
        assert "holiday again.png is the same image as my holiday.png (in this upload)" in report
        assert "broken.jpg is unreadable:" in report
        first_caption_is(page, "my holiday.png")  # the grid follows, newest first
        screenshot(page, "gallery_tab_uploaded.png")

        page.locator("#gallery-grid .thumbnail-item").first.click()
        page.wait_for_function(
            "() => document.querySelector('#gallery-selected').innerText"
            ".includes('Selected (1): my holiday.png')"
        )
        first_caption_is(page, "✓ my holiday.png")  # the grid marks what is selected
        screenshot(page, "gallery_tab_selected.png")
        page.locator("#index-remove-button").click()
        page.wait_for_function(
            "() => document.querySelector('#index-add-report').innerText"
            ".includes('Removed 1 of 1 image(s): my holiday.png.')"
        )
        page.wait_for_function(  # the selection is cleared, the grid follows
            "() => document.querySelector('#gallery-selected').innerText.includes('Click images')"
        )
        page.wait_for_function(
            f"() => !({CAPTIONS_JS})().some(caption => caption.includes('my holiday.png'))"
        )
        screenshot(page, "gallery_tab_removed.png")
    finally:  # the session app is shared: leave it as it was, whatever happened above
        client = app_server.client()
        data = client.predict(1, 60, api_name="/gallery_page")[3]
        left = [i["id"] for i in data["items"] if i["name"] == "my holiday.png"]
        if left:
            client.predict(", ".join(map(str, left)), "", api_name="/index_remove")
    assert not page.page_errors


def test_the_gallery_tab_on_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    # the tab bar re-lays itself out for the narrow screen: wait for its "More tabs" menu
    page.get_by_role("button", name="More tabs").wait_for(state="visible")
    captions = open_gallery(page)
    assert len(captions) >= 16
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no side-scroll
    columns = page.evaluate(
        "() => new Set([...document.querySelectorAll('#gallery-grid .thumbnail-item')]"
        ".slice(0, 12).map(item => item.getBoundingClientRect().left)).size"
    )
    assert 2 <= columns <= 4  # the grid reflows to a few columns, thumbnails stay tappable
    page.locator("#gallery-grid .thumbnail-item").nth(1).click()
    page.wait_for_function(
        "() => document.querySelector('#gallery-selected').innerText.includes('Selected (1)')"
    )
    screenshot(page, "gallery_tab_phone.png")
    page.locator("#gallery-clear").click()
    page.wait_for_function(
        "() => document.querySelector('#gallery-selected').innerText.includes('Click images')"
    )
    assert not page.page_errors


def test_the_gallery_tab_in_chinese(zh_page, app_server, tmp_path):
    """zh-CN: the pager, the add report (added, the twin, the unreadable file), the
    selection, the removal and the status panel (its index line naming the index type) are
    Chinese; file names stay as given."""
    page = zh_page
    open_tab(page, "图库")
    page.wait_for_function(f"() => ({PAINTED_JS})() >= 8")
    assert "第 1 / 1 页" in text_of(page, "#gallery-page-note")
    assert "最新的在前" in text_of(page, "#gallery-intro")
    page.get_by_role("button", name="添加到图库").wait_for(state="visible")
    picture = write_test_image(tmp_path / "我的假期.png", size=(120, 90), color=(20, 200, 90))
    twin = tmp_path / "假期副本.png"
    twin.write_bytes(picture.read_bytes())
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff this is no jpeg")
    page.locator("#index-add-files input[type=file]").set_input_files([picture, twin, broken])
    page.locator("#index-add-button").click()
    try:
        page.wait_for_function(
            "() => document.querySelector('#index-add-report').innerText.includes('已添加 1 张')"
        )
        report = text_of(page, "#index-add-report")
        assert "假期副本.png 和 我的假期.png 是同一张图片（都在这次上传里）" in report
        assert "broken.jpg 无法读取：" in report and "added" not in report
        first_caption_is(page, "我的假期.png")
        page.locator("#gallery-grid .thumbnail-item").first.click()
        page.wait_for_function(
            "() => document.querySelector('#gallery-selected').innerText.includes('已选中（1）')"
        )
        screenshot(page, "zh_gallery_selected.png")
        page.locator("#index-remove-button").click()
        page.wait_for_function(
            "() => document.querySelector('#index-add-report').innerText"
            ".includes('已删除 1 张图片')"
        )
        page.wait_for_function(  # the selection is cleared, in Chinese
            "() => document.querySelector('#gallery-selected').innerText.includes('点击网格')"
        )
        page.get_by_text("管理图库", exact=True).click()
        for button in (
            "恢复为默认图库（上传的图片会被丢弃）",
            "用当前模型重新嵌入",
            "为图库生成描述",
        ):
            page.get_by_role("button", name=button).wait_for(state="visible")
        page.get_by_text("状态", exact=True).click()
        page.locator("#status").get_by_text("预设").first.wait_for(state="visible")
        status = text_of(page, "#status")  # the index line names its type in Chinese
        assert "张图片，精确搜索，运行于 CPU" in status and "exact" not in status, status
        screenshot(page, "zh_gallery_removed_status.png")
    finally:
        client = app_server.client()
        data = client.predict(1, 60, api_name="/gallery_page")[3]
        left = [i["id"] for i in data["items"] if i["name"] == "我的假期.png"]
        if left:
            client.predict(", ".join(map(str, left)), "", api_name="/index_remove")
    assert not page.page_errors
