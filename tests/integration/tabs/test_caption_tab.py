"""The Caption tab's endpoint, /caption, through gradio_client.

Three apps: the tiny one (its default is the tiny random BLIP; the label-based captioner
is a choice), one pinned to the tiny BLIP with ``MMDEMO_BACKENDS`` (decoding options reach
the model), and a plain offline ``python app.py`` (auto -> lite: captions that mean
something).
"""

from __future__ import annotations

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from mmdemo.core.config import PROJECT_ROOT

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
