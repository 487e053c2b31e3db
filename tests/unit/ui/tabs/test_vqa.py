"""Small pure helpers of the Ask (VQA) tab: suggestions that follow the model's declared
question kinds, example rows, the remembered answers."""

from __future__ import annotations

from mmdemo.core.config import Settings
from mmdemo.models.registry import QUESTION_KINDS, Capabilities, get_backend
from mmdemo.ui import examples
from mmdemo.ui.tabs.vqa import example_rows, history_markdown, top_answer, upload_name

ANY = Capabilities()
ROUTED = get_backend("vqa", "routed-vqa").capabilities


def texts(questions) -> list[str]:
    return [q.text for q in questions]


def test_every_example_question_has_a_known_kind_and_an_intended_answer():
    for image in examples.VQA_IMAGES:
        assert image.domain in ("photo", "shapes")
        for question in image.questions:
            assert question.kind in QUESTION_KINDS and question.expect, question


def test_a_model_that_answers_anything_gets_every_question_of_an_example_image():
    coffee = examples.vqa_image("coffee_cup.png")
    assert examples.suggested_questions(ANY, "coffee_cup.png", "photo") == list(coffee.questions)


def test_the_routed_model_is_offered_only_the_kinds_it_declares():
    """lite's photo VQA answers 'what is this?' and 'is there a ...?', never colours."""
    offered = examples.suggested_questions(ROUTED, "coffee_cup.png", "photo")
    assert texts(offered) == ["What is this?", "Is there a cup?", "Is there a cat?"]
    assert "What color is the saucer?" not in texts(offered)
    generic = texts(examples.suggested_questions(ROUTED, "holiday.jpg", "photo"))
    assert generic == ["What is this?", "Is there a person?"]
    shapes = texts(examples.suggested_questions(ROUTED, "mine.png", "shapes"))
    assert shapes == ["What shape is in the image?", "What color is the shape?"]


def test_a_shapes_only_model_offers_nothing_for_photos():
    shapes_only = get_backend("vqa", "shapes-vqa").capabilities
    assert examples.suggested_questions(shapes_only, "holiday.jpg", "photo") == []
    assert examples.suggested_questions(shapes_only, "red_circle.png", "photo")  # its own domain


def test_example_rows_are_the_first_answerable_question_of_each_shipped_image(tmp_path):
    assets = Settings().assets_dir
    rows = example_rows(assets, ROUTED)
    assert [r[1] for r in rows if r[0].endswith("falcon9_rocket_launch.jpg")] == [
        "Is there a rocket?"
    ]
    assert [r[1] for r in example_rows(assets, ANY) if r[0].endswith("coffee_cup.png")] == [
        "What color is the saucer?"
    ]
    assert example_rows(tmp_path, ROUTED) == []  # nothing shipped there: no examples


def test_upload_names():
    assert upload_name({"path": "/tmp/u/1.png", "orig_name": "coffee_cup.png"}) == "coffee_cup.png"
    assert upload_name({"path": "/tmp/gradio/x/red_circle.png"}) == "red_circle.png"
    assert upload_name(None) is None


def test_the_history_shows_the_top_answer_with_its_confidence():
    assert top_answer({"cat": 0.2, "dog": 0.7}) == "dog (70%)"
    assert top_answer(None) == "no answer"
    text = history_markdown([["Is there a dog?", "yes (91%)"], ["What colour?", "no answer"]])
    assert "1. Is there a dog? → **yes (91%)**" in text and "2. What colour?" in text
    assert history_markdown([]) == ""
