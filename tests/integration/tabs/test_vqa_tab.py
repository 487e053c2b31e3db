"""The Ask (VQA) tab's endpoint, /vqa, through gradio_client.

Three apps: the tiny one (BLIP by default, ViLT and our routed shapes model as choices),
one pinned to the tiny ViLT with ``MMDEMO_BACKENDS`` (ranked probabilities; no model with
fusions), and a plain offline ``python app.py`` (auto -> lite: answers that mean something).
A browser reading Chinese gets Chinese answers to Chinese questions from lite, Chinese notes,
and a Chinese refusal from a model that reads English only.
"""

from __future__ import annotations

import json
import re

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from mmdemo.core.config import PROJECT_ROOT
from mmdemo.core.i18n import has_cjk
from tests.support.page_views import call_as, outputs_of, page_view, value_of

pytestmark = pytest.mark.integration

GALLERY = PROJECT_ROOT / "assets" / "gallery"
SHAPES = PROJECT_ROOT / "assets" / "examples" / "shapes"


def confidences(label_output) -> dict[str, float]:
    if not label_output:  # gr.Label shows nothing when there is no answer
        return {}
    return {c["label"]: c["confidence"] for c in label_output.get("confidences", [])}


# -- tiny: behaviour -----------------------------------------------------------------------
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


def test_vqa_needs_only_the_image_and_the_question(gradio_client, make_test_image):
    """Fusion and model have defaults: the tab's own (product, the preset's first model)."""
    image = handle_file(str(make_test_image("alone.png")))
    alone = gradio_client.predict(image, "what is this?", api_name="/vqa")
    spelled_out = gradio_client.predict(
        image, "what is this?", "product", "blip-vqa-tiny", api_name="/vqa"
    )
    assert alone == spelled_out


def test_vqa_long_and_foreign_questions_get_an_honest_answer(gradio_client):
    image = handle_file(str(GALLERY / "coffee_cup.png"))
    # English-only models refuse a question they cannot read (never an answer to it)
    for model in ("blip-vqa-tiny", "vilt-vqa-tiny"):
        with pytest.raises(AppError, match=rf"The model {model} reads English only.*in English"):
            gradio_client.predict(image, "这是什么？", "product", model, api_name="/vqa")
    # the routed model's photo VQA reads Chinese and answers in it (tiny: random classes,
    # but named in Chinese); a Chinese question about a shapes image gets "ask in English"
    answers, _ = gradio_client.predict(
        image, "这是什么？", "product", "routed-vqa", api_name="/vqa"
    )
    assert confidences(answers) and all(map(has_cjk, confidences(answers))), answers
    answers, notes = gradio_client.predict(
        handle_file(str(SHAPES / "red_circle.png")),
        "这是什么形状？",
        "product",
        "routed-vqa",
        api_name="/vqa",
    )
    assert not confidences(answers) and "English" in notes, notes
    # Over-long questions are refused by every model now, the routed one included (it used
    # to truncate them and answer "Can't answer"): see notes/MIGRATION.md, photo_vqa.
    for model in ("routed-vqa", "blip-vqa-tiny"):
        with pytest.raises(AppError, match=r"is \d+ characters long; the limit is 500"):
            gradio_client.predict(image, "why? " * 1000, "product", model, api_name="/vqa")
    with pytest.raises(AppError, match=r"is \d+ characters long; the limit is 500"):
        gradio_client.predict(image, "why? " * 1000, api_name="/vqa")
    answers, _ = gradio_client.predict(image, "what is this? 这是什么", api_name="/vqa")
    assert confidences(answers)  # mostly Latin script: read, and answered


def test_a_corrupt_image_is_named(gradio_client, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(AppError, match=r"broken\.png"):
        gradio_client.predict(handle_file(str(bad)), "what is this?", api_name="/vqa")


# -- tiny ViLT pinned: ranked answers, and no model with fusions ---------------------------
def test_vilt_answers_are_ranked_probabilities(generative_client, make_test_image):
    client = generative_client
    image = handle_file(str(make_test_image("q.png", size=(80, 60))))
    answers, notes = client.predict(image, "what is this?", api_name="/vqa")
    assert "vilt" in notes.lower()
    scores = [c["confidence"] for c in answers["confidences"]]
    assert len(scores) == 5 and all(0 <= s <= 1 for s in scores)  # top 5 of 21 answers
    assert scores == sorted(scores, reverse=True)
    with pytest.raises(AppError, match="500"):
        client.predict(image, "why " * 1500, api_name="/vqa")


# -- offline, no preset: auto -> lite, real meaning ---------------------------------------
def test_offline_lite_vqa_means_something(offline_client):
    coffee = handle_file(str(GALLERY / "coffee_cup.png"))
    answers, _ = offline_client.predict(coffee, "What is this?", api_name="/vqa")
    assert max(confidences(answers), key=confidences(answers).get) == "espresso"
    answers, notes = offline_client.predict(coffee, "How many cups are there?", api_name="/vqa")
    assert not confidences(answers) and "lite models" in notes


# -- the visitor's language ------------------------------------------------------------------
def test_lite_answers_a_chinese_question_in_chinese_with_chinese_notes(offline_app_server):
    coffee = GALLERY / "coffee_cup.png"
    answers, notes = outputs_of(
        call_as(offline_app_server.url, "vqa", [coffee, "有没有猫？"], "zh")
    )
    assert max(confidences(answers), key=confidences(answers).get) == "没有"
    assert "*回答的模型：*" in notes and "Answered by" not in notes, notes
    # an English question from a Chinese page: English answers, the notes in Chinese
    answers, notes = outputs_of(
        call_as(offline_app_server.url, "vqa", [coffee, "What is this?"], "zh")
    )
    assert max(confidences(answers), key=confidences(answers).get) == "espresso"
    assert notes.startswith("答案是 ImageNet 的类别") and "*回答的模型：*" in notes, notes


def test_an_english_only_model_refuses_a_chinese_question_in_chinese(app_server, make_test_image):
    image = make_test_image("q.png")
    stream = call_as(app_server.url, "vqa", [image, "这是什么？", "product", "blip-vqa-tiny"], "zh")
    error = re.search(r"^event: error\ndata: (.*)$", stream, re.M)
    assert error and "event: complete" not in stream, stream
    message = json.loads(error.group(1))
    message = message.get("message", message) if isinstance(message, dict) else message
    assert "blip-vqa-tiny" in str(message) and "英文" in str(message), message


def test_the_page_in_chinese_offers_what_each_model_reads(app_server, offline_app_server):
    """tiny's BLIP reads English only: the intro says so and the placeholder asks in
    English; lite's photo VQA reads Chinese: a Chinese placeholder and Chinese examples."""
    tiny = page_view(app_server.url, "zh")
    assert "只读英文问题" in value_of(tiny["vqa-intro"])
    assert "英文" in tiny["vqa-question"]["placeholder"]
    assert [v for _, v in tiny["vqa-model"]["choices"]] == [
        "blip-vqa-tiny",
        "vilt-vqa-tiny",
        "routed-vqa",
    ]
    assert "vqa-examples-zh" not in tiny  # no Chinese rows for an English-only default
    lite = page_view(offline_app_server.url, "zh")
    assert lite["vqa-question"]["placeholder"] == "例如：这是什么？"
    assert "只读英文问题" not in value_of(lite["vqa-intro"])
    assert lite["vqa-examples-zh"]["visible"] and not lite["vqa-examples"]["visible"]
    english = page_view(offline_app_server.url, "en")
    assert english["vqa-question"]["placeholder"] == "e.g. What is this?"
    assert english["vqa-examples"]["visible"] and not english["vqa-examples-zh"]["visible"]
