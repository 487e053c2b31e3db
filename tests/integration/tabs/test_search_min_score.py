"""The Search tab's minimum-score sliders and match strength through gradio_client.

Behaviour on the tiny app (random weights: no words, nothing hidden by default), meaning on
the offline ``lite`` app: a rotated or grey copy of a gallery photo is at least a possible
match, "a violin" is only weak and, at the default minimum, not padded in. Calls
made before the sliders existed (three inputs to /search_text, four to /search_image) still
work and get the slider's default.
"""

from __future__ import annotations

import re

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image, ImageOps

from mmdemo.core.config import Settings
from mmdemo.models.backends.label_bridge import LITE_THRESHOLDS
from tests.support.localised_calls import call_in

pytestmark = pytest.mark.integration

GALLERY = Settings().assets_dir / "gallery"


def parameters(client, endpoint: str) -> list[dict]:
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    return api[endpoint]["parameters"]


# -- tiny: behaviour ------------------------------------------------------------------------
# the min score's position: after it only the opt-in options (collapse, re-rank), off
MIN_AT = {"/search_text": 3, "/search_image": 4}


def test_min_score_is_an_optional_last_input(gradio_client):
    for endpoint, at in MIN_AT.items():
        params = parameters(gradio_client, endpoint)
        assert params[at]["parameter_has_default"]
        assert params[at]["parameter_default"] == -1.0  # no levels: nothing hidden
        assert all(p["parameter_default"] is False for p in params[at + 1 :])


def test_old_calls_still_work_and_min_score_filters(gradio_client):
    _, _, old = gradio_client.predict("a cup of coffee", 8, False, api_name="/search_text")
    assert len(old) == 8 and all(h["strength"] is None for h in old)  # random weights
    cut = old[3]["score"] - 1e-4  # the JSON rounds scores to 4 decimals
    _, message, kept = gradio_client.predict(
        "a cup of coffee", 8, False, cut, api_name="/search_text"
    )
    assert [h["id"] for h in kept] == [h["id"] for h in old if h["score"] >= cut]
    assert "not shown" in message
    gallery, message, none = gradio_client.predict(
        "a cup of coffee", 8, False, 1.0, api_name="/search_text"
    )
    assert gallery == [] and none == [] and "Lower the minimum match score" in message
    with pytest.raises(AppError, match="minimum match score"):
        gradio_client.predict("a cup of coffee", 8, False, "lots", api_name="/search_text")


def test_search_image_and_similar_take_the_minimum(gradio_client, make_test_image):
    image = handle_file(str(make_test_image("q.png")))
    _, _, four = gradio_client.predict(image, "", 0.3, 6, api_name="/search_image")
    assert len(four) == 6
    _, message, none = gradio_client.predict(image, "", 0.3, 6, 1.0, api_name="/search_image")
    assert none == [] and "Lower the minimum" in message
    item = four[0]["id"]
    _, _, all_like = gradio_client.predict(item, 5, api_name="/search_similar")
    assert len(all_like) == 5
    _, _, few = gradio_client.predict(item, 5, 1.0, api_name="/search_similar")
    assert few == []


# -- lite: meaning --------------------------------------------------------------------------
def copy_of(tmp_path, photo: str, change) -> str:
    with Image.open(GALLERY / photo) as original:
        changed = change(original.convert("RGB"))
    path = tmp_path / f"copy_of_{photo}.png"
    changed.save(path)
    return handle_file(str(path))


def test_lite_slider_starts_at_the_possible_level(offline_client):
    text_min = parameters(offline_client, "/search_text")[MIN_AT["/search_text"]]
    assert text_min["parameter_default"] == pytest.approx(LITE_THRESHOLDS["text"])
    image_min = parameters(offline_client, "/search_image")[MIN_AT["/search_image"]]
    assert image_min["parameter_default"] == pytest.approx(LITE_THRESHOLDS["image"])


@pytest.mark.parametrize(
    ("photo", "change"),
    [
        ("coffee_cup.png", lambda im: im.rotate(90, expand=True)),  # the 0.876
        ("china_temple.jpg", lambda im: ImageOps.grayscale(im).convert("RGB")),  # its 0.874
    ],
)
def test_lite_copies_are_at_least_possible(offline_client, tmp_path, photo, change):
    image = copy_of(tmp_path, photo, change)
    gallery, message, hits = offline_client.predict(image, api_name="/search_image")
    assert hits and hits[0]["image"] == photo, hits[:3]
    assert hits[0]["strength"] in {"possible", "strong"}
    assert not message.startswith("**No good match")
    captions = [item["caption"] for item in gallery]
    assert captions[0].startswith(f"{hits[0]['strength']} match · ")
    assert not any(re.match(r"\d\.\d", c) for c in captions)  # words, not cosines


def test_lite_absent_things_are_weak_and_not_padded_in(offline_client):
    gallery, message, hits = offline_client.predict("a violin", 5, api_name="/search_text")
    assert gallery == [] and hits == []  # the default minimum hides every weak hit
    assert "No good match" in message and "Lower the minimum match score" in message
    assert not re.search(r"\d\.\d", message)
    _, _, shown = offline_client.predict("a violin", 5, False, 0.0, api_name="/search_text")
    assert len(shown) == 5 and {h["strength"] for h in shown} == {"weak"}
    _, message, coffee = offline_client.predict("a cup of coffee", 5, api_name="/search_text")
    assert coffee[0]["image"] == "coffee_cup.png" and coffee[0]["strength"] == "strong"
    assert "strong match" in message


def test_lite_strength_words_and_the_none_reach_message_in_chinese(offline_app_server):
    """A Chinese query on a Chinese page (lite's bridge reads Chinese) gets the same verdicts
    in Chinese words; the JSON keeps English values."""
    url, floor = offline_app_server.url, LITE_THRESHOLDS["text"]
    gallery, message, hits = call_in(
        url, "search_text", ["一把小提琴", 5, False, floor], language="zh-CN"
    )[:3]
    assert gallery == [] and hits == []
    assert message.startswith("**没有好的匹配") and "降低最低匹配分数" in message, message
    assert not re.search(r"[A-Za-z]{3,}", message), message  # no English left
    gallery, message, shown = call_in(
        url, "search_text", ["一把小提琴", 5, False, 0.0], cookie="zh"
    )[:3]
    assert {h["strength"] for h in shown} == {"weak"}  # the API's values stay English
    assert all(item["caption"].startswith("弱匹配 · ") for item in gallery), gallery
    coffee = ["一杯咖啡", 5, False, floor]
    _, message, _ = call_in(url, "search_text", coffee, cookie="zh")[:3]
    assert message.startswith("共 ") and "个强匹配" in message, message
