"""VQA for photos in the shared space: "what is this?" and "is there a ...?", nothing else."""

from __future__ import annotations

import pytest
from PIL import Image

from mmdemo.core.config import PROJECT_ROOT, Settings
from mmdemo.core.errors import BadInputError
from mmdemo.models.backends.photo_vqa import PhotoVqa, parse_question
from mmdemo.serving import ModelServer

GALLERY = PROJECT_ROOT / "assets" / "gallery"


def gallery_image(name: str) -> Image.Image:
    return Image.open(GALLERY / name).convert("RGB")


def test_photo_vqa_answers_what_and_is_there(lite):
    vqa = lite.get("vqa")
    what = vqa.answer(gallery_image("coffee_cup.png"), "What is this?")
    assert what.answered and what.answers[0].label == "espresso"
    cat = gallery_image("chelsea_the_cat.png")
    yes = vqa.answer(cat, "Is there a cat in the picture?")
    no = vqa.answer(cat, "is there a rocket?")
    assert yes.answers[0].label == "yes" and no.answers[0].label == "no"


@pytest.mark.parametrize(
    "question", ["How many people are there?", "What colour is the cup?", "Why is it here?"]
)
def test_photo_vqa_refuses_question_kinds_it_cannot_answer(lite, question):
    result = lite.get("vqa").answer(gallery_image("coffee_cup.png"), question)
    assert not result.answered and result.answers == ()
    assert "can't answer this kind of question with the lite models" in result.message.lower()


@pytest.mark.parametrize(
    ("question", "kind", "thing"),
    [
        ("What is this?", "what", ""),
        ("what kind of animal is in the picture", "what", ""),
        ("Describe this", "what", ""),
        ("Is there a red car in the photo?", "is_there", "red car"),
        ("Does the image contain any dogs?", "is_there", "dogs"),
        ("How many people are there?", "unsupported", ""),
    ],
)
def test_questions_are_sorted_into_the_kinds_it_can_answer(question, kind, thing):
    parsed = parse_question(question)
    assert (parsed.kind, parsed.thing) == (kind, thing)


def test_photo_vqa_serves_alone_on_any_embedder(tmp_path, tiny_cache):
    """As ``MMDEMO_BACKENDS=vqa=photo-vqa`` serves it: on the tiny embedder here."""
    settings = Settings(
        preset="tiny", backends="vqa=photo-vqa", index_dir=tmp_path, cache_dir=tiny_cache
    )
    vqa = ModelServer(settings).get("vqa")
    assert isinstance(vqa, PhotoVqa) and vqa.model_label.endswith(vqa.embedder.model_id)
    what = vqa.answer(Image.new("RGB", (32, 32), "red"), "what is it?", top_k=3)
    assert what.answered and len(what.answers) == 3
    there = vqa.answer(Image.new("RGB", (32, 32), "red"), "is there a cat?")
    assert sorted(a.label for a in there.answers) == ["no", "yes"]
    assert sum(a.probability for a in there.answers) == pytest.approx(1.0)
    with pytest.raises(BadInputError, match="limit is 500"):  # refused, not truncated
        vqa.answer(Image.new("RGB", (32, 32)), "is there a " + "cat " * 200)
