"""The Explore tab in a real browser (tiny app): the map is drawn with a legend of named
clusters, hovering a point shows its thumbnail (the tab's script: plotly's own hover cannot
show an image), clicking a point runs "more like this", a typed query is drawn as a star -
in English on a desktop and in Chinese on a 390 px phone. Screenshots in artifacts/browser/.
"""

from __future__ import annotations

import pytest

from mmdemo.services.map_labels import LABELS
from tests.support.browser import TIMEOUT_MS, open_tab, screenshot

pytestmark = pytest.mark.browser

POINTS = "#explore-map .scatterlayer .trace .point"
# True once the floating thumbnail is shown and its image really decoded.
HOVER_SHOWN_JS = """() => {
    const tip = document.getElementById('explore-hover');
    return !!tip && tip.style.display === 'block' && tip.complete && tip.naturalWidth > 0;
}"""
RESULTS_LOADED_JS = """() => {
    const grid = document.querySelector('#explore-results');
    return !!grid && [...grid.querySelectorAll('img')].some(i => i.complete && i.naturalWidth > 0);
}"""


def named(name: str, vocabulary: set[str]) -> bool:
    """A cluster name is one label, or "mixed: a, b" / "混合：a、b" (no clear majority)."""
    for prefix, comma in (("mixed: ", ", "), ("混合：", "、")):
        if name.startswith(prefix):
            return set(name.removeprefix(prefix).split(comma)) <= vocabulary
    return name in vocabulary


def wait_for_map(page) -> int:
    page.locator(POINTS).first.wait_for(state="visible", timeout=2 * TIMEOUT_MS)
    return page.locator(POINTS).count()


def legend(page) -> list[str]:
    texts = page.locator("#explore-map .legend .legendtext").all_text_contents()  # SVG text
    return [t.strip() for t in texts]


def hover_and_click(page, name: str) -> None:
    """Hover the first point (its thumbnail must show), then click it (more like this)."""
    page.locator("#explore-map").scroll_into_view_if_needed()
    box = page.locator(POINTS).first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x - 30, y - 30)
    page.mouse.move(x, y, steps=5)
    page.wait_for_function(HOVER_SHOWN_JS, timeout=TIMEOUT_MS)
    screenshot(page, f"{name}_hover.png")
    page.mouse.click(x, y)
    page.wait_for_function(RESULTS_LOADED_JS, timeout=TIMEOUT_MS)


def test_the_map_hovers_thumbnails_and_clicks_to_more_like_this(page):
    open_tab(page, "Explore")
    points = wait_for_map(page)
    assert points >= 10
    names = legend(page)
    english = {en for en, _ in LABELS}
    assert names and all(named(n.rsplit(" (", 1)[0], english) for n in names), names
    assert "PCA" in page.locator("#explore-status").inner_text()
    hover_and_click(page, "explore_en")
    message = page.locator("#explore-results-message").inner_text()
    assert message.startswith("More like"), message
    page.locator("#explore-query input, #explore-query textarea").first.fill("a rocket")
    page.locator("#explore-query-button").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#explore-map .legendtext')]"
        ".some(t => t.textContent.includes('Your query: a rocket'))",
        timeout=TIMEOUT_MS,
    )
    assert "star" in page.locator("#explore-status").inner_text()
    assert not page.page_errors, page.page_errors
    screenshot(page, "explore_en.png")


def test_the_map_in_chinese_on_a_phone(zh_page):
    page = zh_page
    page.set_viewport_size({"width": 390, "height": 844})
    open_tab(page, "探索")
    wait_for_map(page)
    chinese = {zh for _, zh in LABELS}
    names = legend(page)
    assert names and all(named(n.rsplit(" (", 1)[0], chinese) for n in names), names
    status = page.locator("#explore-status").inner_text()
    assert "已绘制" in status and "点击" in status, status
    assert "嵌入向量" in page.locator("#explore-intro").inner_text()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px phone"
    hover_and_click(page, "explore_zh_phone")
    message = page.locator("#explore-results-message").inner_text()
    assert "相似" in message or "更多" in message, message
    assert not page.page_errors, page.page_errors
    screenshot(page, "explore_zh_phone.png")
