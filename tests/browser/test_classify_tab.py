"""The Classify tab in a real browser (tiny app): typed labels come back with probabilities."""

from __future__ import annotations

import pytest

from tests.support.browser import ARTIFACTS, TIMEOUT_MS

pytestmark = pytest.mark.browser


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
