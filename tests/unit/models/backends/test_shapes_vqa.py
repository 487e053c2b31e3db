"""The shapes-VQA backend: the committed weights answer correctly, and out-of-world input is
declined (unknown questions) or flagged (photos) rather than answered with a made-up label.
"""

from __future__ import annotations

import json

import pytest
import torch
from PIL import Image

from mmdemo.core.config import PROJECT_ROOT, Settings
from mmdemo.core.errors import BadInputError, ModelLoadError
from mmdemo.models.backends.shapes_vqa import load, weights_dir
from mmdemo.models.registry import BackendSpec
from mmdemo.models.shared.shapes_world import (
    ANSWERS,
    DEFAULT_FUSION,
    FUSIONS,
    can_answer,
    preprocess_image,
)

WEIGHTS_DIR = weights_dir(Settings())
GALLERY = PROJECT_ROOT / "assets" / "gallery"


def _spec(**options) -> BackendSpec:
    return BackendSpec(
        task="vqa", name="shapes-vqa", load=load, description="desc", options=options
    )


@pytest.fixture(scope="module")
def ctx(load_context):
    return load_context(Settings())


@pytest.fixture(scope="module")
def backend(ctx):
    return load(_spec(), ctx)


@pytest.fixture(scope="module")
def test_questions():
    easy_vqa = pytest.importorskip("easy_vqa")
    questions, answers, image_ids = easy_vqa.get_test_questions()
    return questions, answers, image_ids, easy_vqa.get_test_image_paths()


def test_weights_dir_is_under_the_assets_dir(tmp_path):
    assert WEIGHTS_DIR == PROJECT_ROOT / "assets" / "models" / "shapes_vqa"
    assert weights_dir(Settings(assets_dir=tmp_path)) == tmp_path / "models" / "shapes_vqa"


def test_best_weights_answer_the_first_200_test_questions(backend, test_questions):
    questions, answers, image_ids, paths = test_questions
    assert backend.model.fusion == DEFAULT_FUSION
    correct = 0
    for question, answer, image_id in zip(
        questions[:200], answers[:200], image_ids[:200], strict=True
    ):
        result = backend.answer(Image.open(paths[image_id]), question, top_k=3)
        assert result.answered, question
        assert len(result.answers) == 3
        assert result.answers[0].probability >= result.answers[1].probability
        correct += result.answers[0].label == answer
    assert correct / 200 >= 0.95


def test_answers_an_upload_of_any_mode_and_size(backend, test_questions):
    """A user's upload (RGBA, 512x512) is converted and resized like the training images."""
    questions, answers, image_ids, paths = test_questions
    shape_q = next(i for i, q in enumerate(questions) if q == "what shape is in the image?")
    original = Image.open(paths[image_ids[shape_q]]).convert("RGB")
    upload = original.resize((512, 512), Image.NEAREST).convert("RGBA")
    assert preprocess_image(upload).shape == (3, 64, 64)
    assert preprocess_image(original.convert("L")).shape == (3, 64, 64)
    result = backend.answer(upload, "What shape is in the picture?")
    assert result.answered
    assert result.answers[0].label == answers[shape_q]
    assert result.message == ""  # still a shapes image, so no warning


@pytest.mark.parametrize("fusion", FUSIONS)
def test_committed_weights_load_for_every_fusion(fusion, ctx):
    path = WEIGHTS_DIR / f"shapes_vqa_{fusion}.pt"
    assert path.stat().st_size < 2_000_000
    vqa = load(_spec(fusion=fusion), ctx)
    metrics = json.loads((WEIGHTS_DIR / f"metrics_{fusion}.json").read_text())
    assert vqa.model.test_accuracy == pytest.approx(metrics["final_test_accuracy"])
    assert vqa.info().parameters == metrics["parameters"]


@pytest.mark.parametrize(
    "question",
    ["how many dogs are there?", "Is there a cat?", "what is the capital of France?", "?!"],
)
def test_out_of_vocabulary_questions_are_declined(backend, question):
    result = backend.answer(Image.new("RGB", (64, 64), "white"), question)
    assert not result.answered
    assert result.answers == ()
    assert "shape" in result.message and "colo" in result.message
    assert not can_answer(question)
    assert not backend.can_answer(question)


@pytest.mark.parametrize("question", ["", "   \n\t"])
def test_empty_question_is_a_clear_error(backend, question):
    with pytest.raises(BadInputError, match="question"):
        backend.answer(Image.new("RGB", (64, 64)), question)


def test_a_photo_gets_an_answer_with_a_warning(backend):
    photo = Image.open(sorted(GALLERY.glob("*.png"))[0])
    result = backend.answer(photo, "what color is the shape?")
    assert result.answered
    assert "does not look like" in result.message


def test_corrupt_or_missing_weights_say_how_to_retrain(tmp_path, ctx):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ModelLoadError, match="python -m mmdemo train shapes-vqa --fusion sum"):
        load(_spec(fusion="sum", weights=str(broken)), ctx)
    wrong = tmp_path / "wrong.pt"
    torch.save({"state_dict": {}}, wrong)
    with pytest.raises(ModelLoadError, match="not a shapes-vqa checkpoint"):
        load(_spec(fusion="sum", weights=str(wrong)), ctx)
    with pytest.raises(ModelLoadError, match="does not exist"):
        load(_spec(weights=str(tmp_path / "missing.pt")), ctx)


def test_weights_file_holds_only_plain_data():
    """Loadable with weights_only=True: tensors, strings, numbers, lists and dicts."""
    path = WEIGHTS_DIR / f"shapes_vqa_{DEFAULT_FUSION}.pt"
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    assert checkpoint["fusion"] == DEFAULT_FUSION
    assert checkpoint["answers"] == list(ANSWERS)
