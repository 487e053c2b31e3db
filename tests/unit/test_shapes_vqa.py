"""The easy-VQA shapes model: committed weights answer correctly, and out-of-world input is
declined (unknown questions) or flagged (photos) rather than answered with a made-up label.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image

from mmdemo.config import PROJECT_ROOT, Settings
from mmdemo.errors import BadInputError, ModelLoadError
from mmdemo.models.base import LoadContext
from mmdemo.models.registry import spec
from mmdemo.models.shapes_vqa import (
    ANSWERS,
    DEFAULT_FUSION,
    EASY_VQA_WORDS,
    FUSIONS,
    ShapesVqaNet,
    Vocabulary,
    can_answer,
    load,
    looks_like_shapes_image,
    preprocess_image,
)

easy_vqa = pytest.importorskip("easy_vqa")

WEIGHTS_DIR = PROJECT_ROOT / "assets" / "models" / "shapes_vqa"
GALLERY = PROJECT_ROOT / "assets" / "gallery"
CTX = LoadContext(
    settings=Settings(), device=torch.device("cpu"), dtype=torch.float32, get=lambda t: None
)


def _spec(**options):
    return spec("vqa", "shapes-vqa", "mmdemo.models.shapes_vqa:load", "desc", options=options)


@pytest.fixture(scope="module")
def backend():
    return load(_spec(), CTX)


@pytest.fixture(scope="module")
def test_questions():
    questions, answers, image_ids = easy_vqa.get_test_questions()
    return questions, answers, image_ids, easy_vqa.get_test_image_paths()


def test_best_weights_answer_the_first_200_test_questions(backend, test_questions):
    questions, answers, image_ids, paths = test_questions
    assert backend.fusion == DEFAULT_FUSION
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
def test_every_fusion_gives_one_row_of_13_logits_per_question(fusion):
    net = ShapesVqaNet(vocab_size=28, fusion=fusion).eval()
    images = torch.rand(2, 3, 64, 64)
    tokens = torch.tensor([[2, 3, 4, 0], [5, 6, 0, 0], [7, 8, 9, 10]])
    lengths = torch.tensor([3, 2, 4])
    with torch.no_grad():
        assert net(images, tokens, lengths, torch.tensor([0, 1, 1])).shape == (3, len(ANSWERS))
        assert net(images[:1], tokens[:1], lengths[:1]).shape == (1, 13)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_committed_weights_load_for_every_fusion(fusion):
    path = WEIGHTS_DIR / f"shapes_vqa_{fusion}.pt"
    assert path.stat().st_size < 2_000_000
    vqa = load(_spec(fusion=fusion), CTX)
    metrics = json.loads((WEIGHTS_DIR / f"metrics_{fusion}.json").read_text())
    assert vqa.test_accuracy == pytest.approx(metrics["final_test_accuracy"])
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


def test_vocabulary_check_accepts_paraphrases_of_training_words():
    assert can_answer("What colour is the shape in this picture?")
    assert can_answer("Is there a grey triangle?")
    assert not can_answer("is there a red star?")  # "star" was never seen


def test_known_words_are_exactly_the_training_vocabulary():
    questions, _, _ = easy_vqa.get_train_questions()
    vocab = Vocabulary.from_questions(questions)
    assert {w for w in vocab.words if w in vocab} == EASY_VQA_WORDS


@pytest.mark.parametrize("question", ["", "   \n\t"])
def test_empty_question_is_a_clear_error(backend, question):
    with pytest.raises(BadInputError, match="question"):
        backend.answer(Image.new("RGB", (64, 64)), question)


def test_shapes_images_are_recognised_and_photos_are_not():
    paths = easy_vqa.get_test_image_paths()
    assert all(looks_like_shapes_image(Image.open(p)) for p in paths.values())
    photos = sorted(GALLERY.glob("*.png")) + sorted(GALLERY.glob("*.jpg"))
    assert photos
    flagged = [p.name for p in photos if looks_like_shapes_image(Image.open(p))]
    assert flagged == []
    assert not looks_like_shapes_image(Image.new("RGB", (64, 64), "white"))  # no shape


def test_a_photo_gets_an_answer_with_a_warning(backend):
    photo = Image.open(sorted(GALLERY.glob("*.png"))[0])
    result = backend.answer(photo, "what color is the shape?")
    assert result.answered
    assert "does not look like" in result.message


def test_one_epoch_on_a_small_subset_trains_and_saves(tmp_path):
    from mmdemo.training.shapes_vqa import load_data, plot_curves, train

    data = load_data(limit_images=48)
    metrics = train("product", epochs=1, seed=3, out_dir=tmp_path, data=data, batch_images=16)
    for key in ("train_loss", "train_accuracy", "test_accuracy", "epoch_seconds"):
        assert len(metrics[key]) == 1
    assert 0.0 <= metrics["final_test_accuracy"] <= 1.0
    assert metrics["seconds"] > 0
    assert (tmp_path / "metrics_product.json").is_file()
    again = train("product", epochs=1, seed=3, out_dir=None, data=data, batch_images=16)
    assert again["train_loss"] == metrics["train_loss"]  # same seed, same run
    vqa = load(_spec(fusion="product", weights=str(tmp_path / "shapes_vqa_product.pt")), CTX)
    assert vqa.answer(Image.new("RGB", (64, 64)), "what shape is present?").answered
    png = plot_curves({"product": metrics, "sum": again}, tmp_path / "curves.png")
    assert Image.open(png).size == (900, 540)


def test_corrupt_or_missing_weights_say_how_to_retrain(tmp_path):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ModelLoadError, match="python -m mmdemo train shapes-vqa --fusion sum"):
        load(_spec(fusion="sum", weights=str(broken)), CTX)
    wrong = tmp_path / "wrong.pt"
    torch.save({"state_dict": {}}, wrong)
    with pytest.raises(ModelLoadError, match="not a shapes-vqa checkpoint"):
        load(_spec(fusion="sum", weights=str(wrong)), CTX)
    with pytest.raises(ModelLoadError, match="does not exist"):
        load(_spec(weights=str(tmp_path / "missing.pt")), CTX)


def test_weights_file_holds_only_plain_data():
    """Loadable with weights_only=True: tensors, strings, numbers, lists and dicts."""
    path = Path(WEIGHTS_DIR / f"shapes_vqa_{DEFAULT_FUSION}.pt")
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    assert checkpoint["fusion"] == DEFAULT_FUSION
    assert checkpoint["answers"] == list(ANSWERS)
