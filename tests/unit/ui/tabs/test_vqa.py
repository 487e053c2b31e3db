"""Small pure helpers of the Ask (VQA) tab: suggested questions, the remembered answers."""

from __future__ import annotations

from mmdemo.core.config import Settings
from mmdemo.ui.tabs.vqa import (
    EXAMPLE_QUESTIONS,
    GENERIC_QUESTIONS,
    history_markdown,
    suggested_questions,
    top_answer,
    vqa_examples,
)


def test_every_example_image_has_its_own_questions():
    for path, question in vqa_examples(Settings().assets_dir):
        name = path.rsplit("/", 1)[-1]
        assert question in EXAMPLE_QUESTIONS[name]
        assert suggested_questions({"path": "/tmp/gradio/x/" + name}) == EXAMPLE_QUESTIONS[name]


def test_other_images_get_generic_questions_and_no_image_none():
    assert suggested_questions({"path": "/tmp/u/holiday.jpg", "orig_name": "me.jpg"}) == (
        GENERIC_QUESTIONS
    )
    assert (
        suggested_questions({"path": "/tmp/u/1.png", "orig_name": "coffee_cup.png"})
        == (EXAMPLE_QUESTIONS["coffee_cup.png"])
    )
    assert suggested_questions(None) == []


def test_the_history_shows_the_top_answer_with_its_confidence():
    assert top_answer({"cat": 0.2, "dog": 0.7}) == "dog (70%)"
    assert top_answer(None) == "no answer"
    text = history_markdown([["Is there a dog?", "yes (91%)"], ["What colour?", "no answer"]])
    assert "1. Is there a dog? → **yes (91%)**" in text and "2. What colour?" in text
    assert history_markdown([]) == ""


def test_the_examples_come_from_the_assets_folder_given(tmp_path):
    assert len(vqa_examples(Settings().assets_dir)) >= 3
    assert vqa_examples(tmp_path) == []  # nothing shipped there: no examples, no error
