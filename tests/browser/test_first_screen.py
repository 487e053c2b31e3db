"""The first screen as a first-time visitor sees it, at desktop width and on a 390 px phone:
one plain status line, a short overview, the tabs reachable without scrolling, and no
developer detail (environment variables, commands, repo ids) until a fold is opened.

Screenshots of the first screen (the viewport, not the whole page) go to artifacts/browser/.
"""

from __future__ import annotations

import re

import pytest

from tests.support.browser import (
    ARTIFACTS,
    ERROR_TOAST,
    QUERY,
    TIMEOUT_MS,
    TOAST_MESSAGE,
    search,
    switch_language,
    wait_for_results,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TOP = ("#mmdemo-title", "#mmdemo-banner", "#mmdemo-overview")
# what only a developer needs: environment variables, commands, hub repo ids, server paths
DEVELOPER = re.compile(
    r"MMDEMO_|HF_HOME|python -m|app\.py|Salesforce/|laion2b|/tmp/|/home/|/work/|`|\*\*"
)


def first_screen(page, viewport: dict, name: str) -> str:
    """Set the viewport, wait for the banner, save the viewport's screenshot, and return the
    text the top of the page shows (closed folds' contents are not rendered, so not in it)."""
    page.set_viewport_size(viewport)
    page.locator("#mmdemo-banner summary").first.wait_for(state="visible", timeout=TIMEOUT_MS)
    page.wait_for_timeout(300)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
    return "\n".join(page.locator(selector).inner_text() for selector in TOP)


def assert_tabs_on_first_screen(page, viewport: dict) -> None:
    """The tab bar's first tab lies inside the first screen: no scrolling past text."""
    tab = page.get_by_role("tab", name="Search").first
    box = tab.bounding_box()
    assert box is not None, "the Search tab is not rendered"
    assert box["y"] + box["height"] <= viewport["height"], box


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_lite_first_screen_speaks_plainly(offline_page, viewport):
    page = offline_page
    width = "phone" if viewport is PHONE else "desktop"
    shown = first_screen(page, viewport, f"first_screen_lite_{width}.png")
    assert "Offline models (preset lite)" in shown
    assert "cannot be reached" in shown
    assert "one space" in shown.lower() and "photo" in shown
    assert not DEVELOPER.search(shown), DEVELOPER.search(shown)
    assert_tabs_on_first_screen(page, viewport)

    # the fold holds why, which models, and how to get the full ones
    page.locator("#mmdemo-banner summary").first.click()
    details = page.locator("#mmdemo-banner details").first
    details.get_by_text("To get the full models:").wait_for(state="visible")
    opened = details.inner_text()
    assert "python -m mmdemo download --preset full" in opened
    assert "EfficientNet-Lite0" in opened  # the model that really runs, from its spec
    assert "`" not in opened and "**" not in opened  # rendered, not literal markdown
    page.locator("#mmdemo-overview summary").first.click()
    page.locator("#mmdemo-overview").get_by_text("Decision level").wait_for(state="visible")
    page.screenshot(path=str(ARTIFACTS / f"first_screen_lite_{width}_open.png"), full_page=True)
    assert not page.page_errors, page.page_errors


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_tiny_first_screen_says_results_are_meaningless(page, viewport):
    width = "phone" if viewport is PHONE else "desktop"
    shown = first_screen(page, viewport, f"first_screen_tiny_{width}.png")
    assert "Test models (preset tiny)" in shown and "meaningless" in shown
    assert not DEVELOPER.search(shown), DEVELOPER.search(shown)
    assert_tabs_on_first_screen(page, viewport)
    page.locator("#mmdemo-banner summary").first.click()
    page.locator("#mmdemo-banner").get_by_text("MMDEMO_PRESET=lite").first.wait_for(state="visible")
    assert not page.page_errors, page.page_errors


def test_an_error_toast_on_a_phone_is_plain_text(page):
    """A refusal on a 390 px screen: the toast shows a sentence, no markdown marks."""
    page.set_viewport_size(PHONE)
    search(page, "   ")
    toast = page.locator(ERROR_TOAST).first
    toast.wait_for(state="visible", timeout=TIMEOUT_MS)
    text = toast.locator(TOAST_MESSAGE).first.inner_text()
    assert "search text is empty" in text
    assert not DEVELOPER.search(text), text
    page.wait_for_timeout(800)  # the toast fades in
    page.screenshot(path=str(ARTIFACTS / "first_screen_toast_phone.png"))


# -- a visitor whose browser reads Simplified Chinese ---------------------------------------
CJK = re.compile(r"[\u4e00-\u9fff]")


def shown_words(page, selector: str) -> str:
    return page.locator(selector).first.inner_text()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_lite_first_screen_in_chinese(offline_zh_page, viewport):
    page = offline_zh_page
    width = "phone" if viewport is PHONE else "desktop"
    shown = first_screen(page, viewport, f"first_screen_lite_zh_{width}.png")
    assert "离线模型（预设 lite）" in shown and "图片和文字" in shown, shown
    assert "Offline models" not in shown and "pictures and words" not in shown
    assert not DEVELOPER.search(shown), DEVELOPER.search(shown)
    tab = page.get_by_role("tab", name="搜索").first
    box = tab.bounding_box()
    assert box is not None and box["y"] + box["height"] <= viewport["height"], box
    assert not page.page_errors, page.page_errors


def test_a_chinese_visitor_searches_in_chinese_and_the_switch_flips_the_page(zh_page, app_server):
    """zh-CN browser: the Search tab speaks Chinese, a Chinese chip searches, the switch
    turns the tab (and its chips) to English and back, and the choice survives a reload."""
    page = zh_page
    page.locator("#mmdemo-banner summary").first.wait_for(state="visible", timeout=TIMEOUT_MS)
    page.get_by_text("描述你想找的图片").first.wait_for(state="visible")
    assert "测试模型（预设 tiny）" in shown_words(page, "#mmdemo-banner")
    assert page.get_by_role("tab", name="搜索").first.is_visible()
    assert page.locator(QUERY).first.get_attribute("placeholder") == "例如：一杯咖啡"
    assert "用文字搜索" in shown_words(page, "#search-text-button")
    page.get_by_text("一只猫", exact=True).first.click()  # a Chinese chip fills the query
    page.wait_for_function(f"() => document.querySelector({QUERY!r}).value === '一只猫'")
    page.locator("#search-text-button").click()
    wait_for_results(page, app_server)
    page.locator("#search-message").get_by_text("个结果").wait_for(timeout=TIMEOUT_MS)
    message = shown_words(page, "#search-message")
    assert CJK.search(message) and "result" not in message, message
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "search_zh.png"), full_page=True)

    switch_language(page, "English")  # the tab, its chips and the banner turn English
    page.get_by_text("Describe the image you want").first.wait_for(state="visible")
    page.get_by_role("tab", name="Search").first.wait_for(state="visible")
    page.get_by_text("a cup of coffee", exact=True).first.wait_for(state="visible")
    page.locator("#mmdemo-banner").get_by_text("Test models").first.wait_for(state="visible")
    assert "用文字搜索" not in shown_words(page, "#search-text-button")
    page.screenshot(path=str(ARTIFACTS / "search_zh_switched_en.png"), full_page=True)

    page.reload(wait_until="domcontentloaded")  # the cookie wins over the browser's zh-CN
    page.get_by_text("Describe the image you want").first.wait_for(state="visible")
    page.get_by_text("a cup of coffee", exact=True).first.wait_for(state="visible")
    page.locator("#mmdemo-banner").get_by_text("Test models").first.wait_for(state="visible")

    switch_language(page, "中文")
    page.get_by_text("描述你想找的图片").first.wait_for(state="visible")
    page.get_by_text("一杯咖啡", exact=True).first.wait_for(state="visible")
    page.reload(wait_until="domcontentloaded")
    page.get_by_text("描述你想找的图片").first.wait_for(state="visible")
    page.get_by_role("tab", name="搜索").first.wait_for(state="visible")
    assert not page.page_errors, page.page_errors


GRID_CAPTIONS_JS = """() => [...document.querySelectorAll('#search-results .thumbnail-item')]
    .map(item => item.innerText.trim())"""


def test_a_lite_chinese_chip_finds_its_photo_first(offline_zh_page, offline_app_server):
    """lite's bridge reads Chinese: the zh-CN page offers Chinese chips, and 一只猫 puts the
    cat first, worded as a strong match in Chinese."""
    page = offline_zh_page
    page.get_by_text("一只猫", exact=True).first.click()
    page.wait_for_function(f"() => document.querySelector({QUERY!r}).value === '一只猫'")
    page.locator("#search-text-button").click()
    wait_for_results(page, offline_app_server)
    page.wait_for_function(f"() => ({GRID_CAPTIONS_JS})().length > 0", timeout=TIMEOUT_MS)
    first = page.evaluate(GRID_CAPTIONS_JS)[0]
    assert first.startswith("强匹配 ·") and "chelsea_the_cat" in first, first
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "search_lite_zh_chip.png"), full_page=True)
    assert not page.page_errors, page.page_errors
