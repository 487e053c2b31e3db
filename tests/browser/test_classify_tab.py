"""The Classify tab in a real browser (tiny app): typed labels come back with probabilities;
in zh-CN the tab starts with Chinese labels (its embedder reads them) and scores them."""

from __future__ import annotations

import contextlib

import pytest

from mmdemo.ui import examples
from tests.support.browser import ARTIFACTS, GALLERY, TIMEOUT_MS, screenshot

pytestmark = pytest.mark.browser


@contextlib.contextmanager
def zh_page(browser, server):
    """A fresh zh-CN page on ``server``: tests.support.browser.open_page with a locale once
    it takes one, else the same steps here (other hosts blocked: we are offline)."""
    import inspect
    from urllib.parse import urlparse

    from tests.support.browser import QUERY, TIMEOUT_MS, open_page

    if "locale" in inspect.signature(open_page).parameters:
        with open_page(browser, server, locale="zh-CN") as page:
            yield page
        return
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    host = urlparse(server.url).netloc
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if urlparse(route.request.url).netloc == host else route.abort()
        ),
    )
    page = context.new_page()
    page.page_errors = []
    page.on("pageerror", lambda err: page.page_errors.append(str(err)))
    page.goto(server.url, wait_until="domcontentloaded")
    page.wait_for_selector(QUERY)
    try:
        yield page
    finally:
        context.close()


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


def test_classify_tab_in_chinese(browser, app_server):
    """zh-CN (tiny: its multilingual embedder reads Chinese): Chinese labels, template and
    examples to start with; the probabilities come back for the Chinese labels."""
    with zh_page(browser, app_server) as page:
        page.get_by_role("tab", name="分类").click()
        labels = page.locator("#classify-labels textarea, #classify-labels input").first
        page.wait_for_function(
            "(want) => document.querySelector('#classify-labels textarea, #classify-labels input')"
            ".value === want",
            arg=examples.CLASSIFY_LABELS_ZH,
        )
        template = page.locator("#classify-template textarea, #classify-template input").first
        assert template.input_value() == "一张{}的照片。"
        assert "标签（用逗号分隔）" in page.locator("#classify-labels").inner_text()
        assert "图像模型" in page.locator("#classify-intro").inner_text()
        assert page.locator("#classify-examples-zh").is_visible()
        assert not page.locator("#classify-examples").is_visible()
        page.locator("#classify-image input[type=file]").set_input_files(
            str(GALLERY / "chelsea_the_cat.png")
        )
        assert labels.input_value() == examples.CLASSIFY_LABELS_ZH
        page.get_by_role("button", name="分类", exact=True).click()
        output = page.locator("#classify-output")
        output.get_by_text("宇航员").first.wait_for(state="visible")
        shown = output.inner_text()
        assert all(label in shown for label in ("猫", "狗", "一杯咖啡", "花")), shown
        screenshot(page, "zh_classify.png")
        assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"
