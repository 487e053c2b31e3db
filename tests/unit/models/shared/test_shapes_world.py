"""The easy-VQA shapes world: which questions are about it, and which images are from it."""

from __future__ import annotations

import pytest
from PIL import Image

from mmdemo.core.config import PROJECT_ROOT
from mmdemo.models.shared.shapes_world import (
    EASY_VQA_WORDS,
    Vocabulary,
    can_answer,
    looks_like_shapes_image,
    unanswerable_message,
)

GALLERY = PROJECT_ROOT / "assets" / "gallery"
SHAPES = PROJECT_ROOT / "assets" / "examples" / "shapes"


def test_vocabulary_check_accepts_paraphrases_of_training_words():
    assert can_answer("What colour is the shape in this picture?")
    assert can_answer("Is there a grey triangle?")
    assert not can_answer("is there a red star?")  # "star" was never seen


def test_known_words_are_exactly_the_training_vocabulary():
    easy_vqa = pytest.importorskip("easy_vqa")
    questions, _, _ = easy_vqa.get_train_questions()
    vocab = Vocabulary.from_questions(questions)
    assert {w for w in vocab.words if w in vocab} == EASY_VQA_WORDS


def test_shapes_images_are_recognised_and_photos_are_not():
    easy_vqa = pytest.importorskip("easy_vqa")
    paths = easy_vqa.get_test_image_paths()
    assert all(looks_like_shapes_image(Image.open(p)) for p in paths.values())
    photos = sorted(GALLERY.glob("*.png")) + sorted(GALLERY.glob("*.jpg"))
    assert photos
    flagged = [p.name for p in photos if looks_like_shapes_image(Image.open(p))]
    assert flagged == []
    assert not looks_like_shapes_image(Image.new("RGB", (64, 64), "white"))  # no shape


def test_the_shipped_shapes_examples_are_shapes_images():
    examples = sorted(SHAPES.glob("*.png"))
    assert len(examples) == 4
    assert all(looks_like_shapes_image(Image.open(p)) for p in examples)


def test_a_saved_vocabulary_keeps_its_ids_and_refuses_a_bad_list():
    vocab = Vocabulary.from_questions(["what shape is in the image?"])
    again = Vocabulary.from_saved(vocab.words)
    assert again.words == vocab.words and again.encode("what shape?") == vocab.encode("what shape?")
    assert vocab.encode("please") == [1]  # all fillers: one unknown token, never empty
    with pytest.raises(ValueError, match="pad"):
        Vocabulary.from_saved(["what", "<pad>", "<unk>"])


def test_the_decline_message_names_the_unknown_words():
    message = unanswerable_message("is there a red star?")
    assert "star" in message and "circle, rectangle or triangle" in message
    assert "does not ask about a shape or a colour" in unanswerable_message("is there a?")
