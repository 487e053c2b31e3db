"""The caption, VQA and sentiment endpoints through gradio_client.

Two servers: the tiny app (behaviour, bad input, random-weight warnings) and a plain
``python app.py`` with no preset and no network, which must choose ``lite`` by itself and
give real, meaningful answers on every tab.
"""

from __future__ import annotations

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from mmdemo.config import PROJECT_ROOT

pytestmark = pytest.mark.integration

GALLERY = PROJECT_ROOT / "assets" / "gallery"
SHAPES = PROJECT_ROOT / "assets" / "examples" / "shapes"


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


def test_vqa_model_choice_switches_between_blip_vilt_and_ours(gradio_client, make_test_image):
    image = handle_file(str(make_test_image("q.png")))
    _, notes = gradio_client.predict(image, "what is this?", api_name="/vqa")
    assert "BLIP" in notes and "Random test weights" in notes
    answers, notes = gradio_client.predict(
        image, "what is this?", "product", "vilt-vqa-tiny", api_name="/vqa"
    )
    assert "ViLT" in notes and 1 <= len(confidences(answers)) <= 5


def test_vqa_shapes_image_is_answered_by_the_trained_model_even_on_tiny(gradio_client):
    answers, notes = gradio_client.predict(
        handle_file(str(SHAPES / "red_circle.png")),
        "what shape is this?",
        "product",
        "routed-vqa",
        api_name="/vqa",
    )
    assert max(confidences(answers), key=confidences(answers).get) == "circle"
    assert "shapes-vqa" in notes


def test_vqa_fusion_choice_picks_that_trained_variant(gradio_client):
    image = handle_file(str(SHAPES / "yellow_triangle.png"))
    for fusion in ("concat", "attention"):
        answers, notes = gradio_client.predict(
            image, "is there a triangle?", fusion, "routed-vqa", api_name="/vqa"
        )
        assert f"{fusion} fusion" in notes
        assert max(confidences(answers), key=confidences(answers).get) == "yes"


@pytest.mark.parametrize(
    ("question", "error"), [("", "question is empty"), ("   ", "question is empty")]
)
def test_vqa_bad_questions_are_clear_errors(gradio_client, make_test_image, question, error):
    with pytest.raises(AppError, match=error):
        gradio_client.predict(handle_file(str(make_test_image("q.png"))), question, api_name="/vqa")


def test_vqa_needs_an_image(gradio_client):
    with pytest.raises(AppError, match="No image"):
        gradio_client.predict(None, "what is this?", api_name="/vqa")


def test_vqa_long_and_foreign_questions_get_an_honest_answer(gradio_client):
    image = handle_file(str(GALLERY / "coffee_cup.png"))
    for question in ("why? " * 1000, "这是什么？"):
        answers, notes = gradio_client.predict(
            image, question, "product", "routed-vqa", api_name="/vqa"
        )
        assert not confidences(answers) and "Can't answer this kind of question" in notes
    with pytest.raises(AppError, match=r"is \d+ characters long; the limit is 500"):
        gradio_client.predict(image, "why? " * 1000, api_name="/vqa")
    answers, notes = gradio_client.predict(image, "这是什么？", api_name="/vqa")
    assert confidences(answers) and "English" in notes


def test_corrupt_image_is_named_on_every_task(gradio_client, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(AppError, match=r"broken\.png"):
        gradio_client.predict(handle_file(str(bad)), api_name="/caption")
    with pytest.raises(AppError, match=r"broken\.png"):
        gradio_client.predict(handle_file(str(bad)), "what is this?", api_name="/vqa")


# -- offline, no preset: auto -> lite, real meaning ---------------------------------------
def test_offline_app_chooses_lite_and_says_why(offline_client):
    status = offline_client.predict(api_name="/info")
    assert "`lite`" in status and "cannot be reached" in status


def test_offline_lite_search_finds_the_coffee(offline_client):
    _, _, hits = offline_client.predict("a cup of coffee", 3, api_name="/search_text")
    assert any(h["image_path"].endswith("coffee_cup.png") for h in hits)


def test_offline_lite_caption_vqa_and_sentiment_mean_something(offline_client):
    coffee = handle_file(str(GALLERY / "coffee_cup.png"))
    text, _, notes = offline_client.predict(coffee, api_name="/caption")
    assert "espresso" in text and "Random" not in notes
    answers, _ = offline_client.predict(coffee, "What is this?", api_name="/vqa")
    assert max(confidences(answers), key=confidences(answers).get) == "espresso"
    answers, notes = offline_client.predict(coffee, "How many cups are there?", api_name="/vqa")
    assert not confidences(answers) and "lite models" in notes
    output, *_ = offline_client.predict("This is terrible, I hate it.", api_name="/sentiment")
    assert max(confidences(output), key=confidences(output).get) == "negative"
