"""The Explore tab's near-duplicates section in a real browser: a half-size copy of the cat
uploaded, "Find near-duplicates" shows it with the original as a row of loaded thumbnails
(the original marked kept), "Remove the extra copies" takes the copy away; at desktop
width, on a 390 px phone and in zh-CN. Screenshots in artifacts/browser/duplicates_*.png.

On the session's tiny app (shared, on loopback: removal needs no password); the copy this
adds it removes again, through the page or, if the test fails first, through the API.
"""

from __future__ import annotations

import pytest
from PIL import Image

from tests.support.browser import GALLERY, open_tab, screenshot

pytestmark = pytest.mark.browser

LOADED_JS = """() => [...document.querySelectorAll('#duplicates-rows img')]
    .filter(img => img.complete && img.naturalWidth > 0).length"""


def _upload_copy(app_server, tmp_path, name: str) -> int:
    from gradio_client import handle_file

    cat = Image.open(GALLERY / "chelsea_the_cat.png").convert("RGB")
    path = tmp_path / name
    cat.resize((cat.width // 2, cat.height // 2)).save(path)
    client = app_server.client()
    report, _ = client.predict([handle_file(str(path))], api_name="/index_add")
    assert "1" in report
    data = client.predict(1, 60, api_name="/gallery_page")[3]
    return next(i["id"] for i in data["items"] if i["name"] == name)


def _leave_as_it_was(app_server, name: str) -> None:
    client = app_server.client()
    data = client.predict(1, 60, api_name="/gallery_page")[3]
    left = [i["id"] for i in data["items"] if i["name"] == name]
    if left:
        client.predict(", ".join(map(str, left)), "", api_name="/index_remove")


def _find(page) -> str:
    page.locator("#duplicates-find").click()
    page.wait_for_function(f"() => ({LOADED_JS})() >= 2")
    return page.locator("#duplicates-groups").inner_text()


def test_find_and_remove_a_copy_in_the_explore_tab(page, app_server, tmp_path):
    name = "cat copy small.png"
    copy_id = _upload_copy(app_server, tmp_path, name)
    try:
        open_tab(page, "Explore")
        rows = _find(page)
        assert f"#{copy_id} · {name}" in rows and "chelsea_the_cat.png" in rows
        assert "extra copy" in rows and "kept" in rows
        said = page.locator("#duplicates-summary").inner_text()
        assert "group(s) of near-duplicates among" in said
        group = page.locator(f'#duplicates-rows figure[data-id="{copy_id}"]').locator("xpath=../..")
        assert "chelsea_the_cat.png" in group.inner_text()  # in the cat's own row
        screenshot(page, "duplicates_desktop.png")

        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(500)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        group.scroll_into_view_if_needed()
        screenshot(page, "duplicates_phone.png")
        page.set_viewport_size({"width": 1280, "height": 900})

        page.locator("#duplicates-remove").click()
        page.wait_for_function(
            "() => document.querySelector('#duplicates-summary').innerText"
            ".includes('Removed 1 extra cop(ies)')"
        )
        page.wait_for_function(
            f"() => !document.querySelector('#duplicates-rows figure[data-id=\"{copy_id}\"]')"
        )
        screenshot(page, "duplicates_removed.png")
    finally:  # the session app is shared: leave it as it was, whatever happened above
        _leave_as_it_was(app_server, name)
    assert not page.page_errors


def test_the_duplicates_section_in_chinese(zh_page, app_server, tmp_path):
    page = zh_page
    name = "猫的副本.png"
    copy_id = _upload_copy(app_server, tmp_path, name)
    try:
        open_tab(page, "探索")
        page.get_by_role("button", name="查找近似重复").wait_for(state="visible")
        rows = _find(page)
        assert f"#{copy_id} · {name}" in rows
        assert "第 1 组" in rows and "多余副本" in rows and "保留" in rows
        said = page.locator("#duplicates-summary").inner_text()
        assert "组近似重复" in said and "group" not in said
        assert "近似重复" in page.locator("#duplicates-title").inner_text()
        screenshot(page, "duplicates_zh.png")
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(500)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        page.locator(f'#duplicates-rows figure[data-id="{copy_id}"]').scroll_into_view_if_needed()
        screenshot(page, "duplicates_zh_phone.png")
    finally:
        _leave_as_it_was(app_server, name)
    assert not page.page_errors
