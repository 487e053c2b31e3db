"""Two browser tabs on a per-visitor app (as on a public Space): what one uploads through
the page, it finds; the other never sees it, and a base change without the admin password
shows the reason in a toast."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.support.browser import ERROR_TOAST, TOAST_MESSAGE, open_page, open_tab, screenshot
from tests.support.images import write_test_image

pytestmark = pytest.mark.browser

RESULT_IMAGES_JS = """() => [...document.querySelectorAll('#search-results img')]
    .filter(img => img.complete && img.naturalWidth > 0).map(img => img.src)"""


@pytest.fixture(scope="module")
def space(browser, per_visitor_app_server):
    """The session's per-visitor app (tests/conftest.py), after the browser is checked."""
    return per_visitor_app_server


def file_name(src: str) -> str:
    return src.rsplit("/", 1)[-1]


def search_by_image(page, path) -> list[str]:
    """Search a fresh page with the picture at ``path``; the result images' URLs, best first."""
    assert not page.evaluate(RESULT_IMAGES_JS), "results shown before any search"
    page.locator("#search-image-query input[type=file]").set_input_files(str(path))
    page.wait_for_selector("#search-image-query img")
    page.locator("#search-image-button").click()
    page.wait_for_function(f"() => ({RESULT_IMAGES_JS})().length > 0")
    return page.evaluate(RESULT_IMAGES_JS)


def test_an_upload_is_seen_by_its_visitor_only(browser, space, tmp_path):
    picture = write_test_image(tmp_path / "only-mine.png", size=(96, 96), color=(240, 20, 200))
    with open_page(browser, space) as alice, open_page(browser, space) as bob:
        open_tab(alice, "Gallery")
        alice.locator("#index-add-files input[type=file]").set_input_files(str(picture))
        alice.locator("#index-add-button").click()
        alice.wait_for_function(
            "() => (document.querySelector('#index-add-report') || {}).innerText"
            "?.includes('added 1')"
        )
        open_tab(alice, "Search")
        # results show the stored copy (named by the hash's first 20 digits) or its
        # thumbnail (named by the whole hash): either way the file name starts with these
        digest = hashlib.sha256(picture.read_bytes()).hexdigest()[:20]
        hers = search_by_image(alice, picture)
        assert file_name(hers[0]).startswith(digest), hers[:3]  # her own upload comes first
        screenshot(alice, "per_visitor_alice.png")

        his = search_by_image(bob, picture)
        assert his and not any(file_name(src).startswith(digest) for src in his)
        screenshot(bob, "per_visitor_bob.png")

        open_tab(bob, "Gallery")  # Bob selects a shared photo in the grid and removes it
        bob.wait_for_selector("#gallery-grid .thumbnail-item")
        bob.locator("#gallery-grid .thumbnail-item").first.click()
        bob.wait_for_function(
            "() => document.querySelector('#gallery-selected').innerText.includes('Selected (1)')"
        )
        bob.locator("#index-remove-button").click()
        toast = bob.locator(ERROR_TOAST).first
        toast.wait_for(state="visible")
        message = toast.locator(TOAST_MESSAGE).first.inner_text()
        assert re.search("admin password", message), message
        assert not alice.page_errors and not bob.page_errors
