"""The Caption tab's endpoint, /caption, through gradio_client.

Three apps: the tiny one (its default is the tiny random BLIP; the label-based captioner
is a choice), one pinned to the tiny BLIP with ``MMDEMO_BACKENDS`` (decoding options reach
the model), and a plain offline ``python app.py`` (auto -> lite: captions that mean
something). A browser reading Chinese (``Accept-Language: zh-CN``) gets label captions and
notes in Chinese, and BLIP's English caption with a Chinese note saying why.
"""

from __future__ import annotations

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from mmdemo.core.config import PROJECT_ROOT
from mmdemo.core.i18n import has_cjk
from tests.support.page_views import call_as, outputs_of, page_view, value_of

pytestmark = pytest.mark.integration

GALLERY = PROJECT_ROOT / "assets" / "gallery"


def confidences(label_output) -> dict[str, float]:
    if not label_output:  # gr.Label shows nothing when there is no answer
        return {}
    return {c["label"]: c["confidence"] for c in label_output.get("confidences", [])}


# -- tiny: behaviour -----------------------------------------------------------------------
def test_caption_default_is_the_tiny_blip_with_a_random_weights_warning(
    gradio_client, make_test_image
):
    text, _, notes = gradio_client.predict(
        handle_file(str(make_test_image("c.png"))), api_name="/caption"
    )
    assert isinstance(text, str) and text.strip()
    assert "Random test weights" in notes and "BLIP" in notes


def test_caption_model_choice_gives_the_label_based_caption(gradio_client, make_test_image):
    image = handle_file(str(make_test_image("c.png")))
    text, labels, notes = gradio_client.predict(
        image, "beam", 30, "", "label-caption", api_name="/caption"
    )
    assert text.startswith("A ") and "label-based" in notes
    assert len(confidences(labels)) == 5  # the top 5 of the 1000 ImageNet classes
    with pytest.raises(AppError, match="generative captioner"):
        gradio_client.predict(image, "beam", 30, "a photo of", "label-caption", api_name="/caption")
    with pytest.raises(AppError, match=r"no-such-model.*blip-caption-tiny"):
        gradio_client.predict(image, "beam", 30, "", "no-such-model", api_name="/caption")


def test_caption_needs_only_the_image(gradio_client, make_test_image):
    """Mode, max tokens, prefix and model have defaults: the image alone is the defaults."""
    image = handle_file(str(make_test_image("alone.png")))
    alone = gradio_client.predict(image, api_name="/caption")
    spelled_out = gradio_client.predict(
        image, "beam", 30, "", "blip-caption-tiny", api_name="/caption"
    )
    assert alone[0] == spelled_out[0] and alone[2] == spelled_out[2]  # beam search: same


def test_a_corrupt_image_is_named(gradio_client, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(AppError, match=r"broken\.png"):
        gradio_client.predict(handle_file(str(bad)), api_name="/caption")


# -- tiny BLIP pinned: the decoding options -------------------------------------------------
def test_blip_caption_options_reach_the_model(generative_client, make_test_image):
    client = generative_client
    image = handle_file(str(make_test_image("c.png", size=(80, 60))))
    text, _, notes = client.predict(image, api_name="/caption")
    assert isinstance(text, str) and "BLIP, beam search" in notes and "Random test" in notes
    text, _, notes = client.predict(image, "sample", 8, "a photo of", api_name="/caption")
    assert text.startswith("a photo of") and "nucleus sampling" in notes
    with pytest.raises(AppError, match="max_length"):
        client.predict(image, "beam", 500, "", api_name="/caption")


# -- offline, no preset: auto -> lite, real meaning ---------------------------------------
def test_offline_lite_caption_means_something(offline_client):
    coffee = handle_file(str(GALLERY / "coffee_cup.png"))
    text, _, notes = offline_client.predict(coffee, api_name="/caption")
    assert "espresso" in text and "Random" not in notes


# -- the visitor's language ------------------------------------------------------------------
def test_a_chinese_visitor_gets_a_chinese_label_caption_and_notes(offline_app_server):
    """lite's label-based captioner writes Chinese for a zh-CN browser: the sentence, the
    classes it saw and the notes; gradio_client (the API) keeps getting English."""
    cat = GALLERY / "chelsea_the_cat.png"
    text, labels, notes = outputs_of(call_as(offline_app_server.url, "caption", [cat], "zh"))
    assert text.startswith("一张照片") and "猫" in text, text
    assert labels and all(has_cjk(c["label"]) for c in labels["confidences"]), labels
    assert notes.startswith("*方法：*") and "Method" not in notes, notes
    english, _, english_notes = outputs_of(call_as(offline_app_server.url, "caption", [cat], "en"))
    assert not has_cjk(english) and english_notes.startswith("*Method:*")


def test_blip_captions_stay_english_and_the_note_says_so_in_chinese(app_server, make_test_image):
    image = make_test_image("zh.png")
    data = [image, "beam", 30, "", "blip-caption-tiny"]
    text, _, notes = outputs_of(call_as(app_server.url, "caption", data, "zh"))
    assert isinstance(text, str) and not has_cjk(text)  # BLIP writes English only
    assert "只会写英文" in notes and "随机测试权重" in notes, notes


def test_the_page_in_chinese_names_the_models_with_english_values(app_server):
    zh, en = page_view(app_server.url, "zh"), page_view(app_server.url, "en")
    intro = value_of(zh["caption-intro"])
    assert has_cjk(intro) and "只会写英文" in intro, intro  # tiny's default is BLIP
    menu = zh["caption-model"]["choices"]
    assert [value for _, value in menu] == ["blip-caption-tiny", "label-caption"]
    assert all(has_cjk(label) for label, _ in menu)
    assert "value" not in zh["caption-model"]  # the visitor's pick is left as it is
    assert zh["caption-mode"]["choices"] == [["束搜索", "beam"], ["核采样", "sample"]]
    assert en["caption-mode"]["choices"] == [
        ["Beam search", "beam"],
        ["Nucleus sampling", "sample"],
    ]
