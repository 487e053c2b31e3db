"""ViLT VQA through its real class and loader, on a tiny random ViLT, offline.

Results of random models are meaningless: only shapes, types and behaviour are checked.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mmdemo.core.errors import BadInputError
from mmdemo.models.backends import vilt_vqa
from mmdemo.models.hub.tiny import TINY_ANSWERS
from mmdemo.models.registry import BackendSpec, get_backend

pytestmark = pytest.mark.usefixtures("one_thread")

TINY_SPEC = BackendSpec(
    task="vqa",
    name="test-vilt-vqa-tiny",
    load=vilt_vqa.load,
    description="tiny random vilt-vqa",
    options={"tiny": "vilt-vqa", "seed": 0},
    is_random=True,
)
QUESTIONS = ["what color is it?", "how many dogs are sitting next to the tree?", "who?", "is it"]


@pytest.fixture(scope="module")
def vilt_answerer(hf_settings, load_context) -> vilt_vqa.ViltVqa:
    return vilt_vqa.load(TINY_SPEC, load_context(hf_settings))


def test_vilt_ranks_top_k_answers(vilt_answerer, sample_images):
    image = sample_images(1)[0]
    result = vilt_answerer.answer(image, "what color is the car?", top_k=3)
    assert result.answered and len(result.answers) == 3
    probabilities = [a.probability for a in result.answers]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert all(a.label in TINY_ANSWERS for a in result.answers)
    assert "raw" in result.message and "not normalised" in result.message
    everything = vilt_answerer.answer(image, "what color is the car?", top_k=1000)
    assert len(everything.answers) == len(TINY_ANSWERS)  # top_k is capped at the answer list
    with pytest.raises(BadInputError, match="top_k"):
        vilt_answerer.answer(image, "what?", top_k=0)


@pytest.mark.parametrize("size", [(4, 400), (400, 4), (1, 2000), (7, 23)])
def test_thin_images_are_padded_to_a_shape_vilt_can_resize(vilt_answerer, size):
    """ViLT's processor rounds the short side of a thin image down to 0 and fails (above 3.3:1
    for the tiny model's 64 px, 20:1 for the real 384 px); padded, it answers."""
    assert vilt_answerer.max_aspect == pytest.approx(106 / 32)
    result = vilt_answerer.answer(Image.new("RGB", size, (30, 60, 90)), "what is it?")
    assert result.answered and result.answers


def test_padding_keeps_the_image_and_stays_within_the_limit():
    image = Image.new("RGB", (3, 300), (10, 20, 30))
    padded = vilt_vqa.pad_to_aspect(image, 19.97)
    assert padded.size == (16, 300) and max(padded.size) / min(padded.size) <= 19.97
    assert padded.getpixel((8, 150)) == (10, 20, 30) and padded.getpixel((0, 0)) == (255,) * 3
    square = Image.new("RGB", (9, 9))
    assert vilt_vqa.pad_to_aspect(square, 3.3) is square


def test_vilt_answer_many_equals_one_by_one(vilt_answerer, sample_images):
    pairs = list(zip(sample_images(4), QUESTIONS, strict=True))
    batched = vilt_answerer.answer_many(pairs, top_k=2)
    single = [vilt_answerer.answer(image, question, top_k=2) for image, question in pairs]
    for b, s in zip(batched, single, strict=True):
        assert [a.label for a in b.answers] == [a.label for a in s.answers]
        np.testing.assert_allclose(
            [a.probability for a in b.answers], [a.probability for a in s.answers], atol=1e-5
        )


def test_vilt_truncates_long_questions_and_says_so(vilt_answerer, sample_images):
    image = sample_images(1)[0]
    long_question = "is there a red car next to the small tree in this picture " * 6
    result = vilt_answerer.answer(image, long_question)
    assert result.answered and "40-token limit" in result.message
    assert "40-token" not in vilt_answerer.answer(image, "is it red?").message


@pytest.mark.parametrize(
    ("question", "words"),
    [("", "The question is empty"), ("  \n\t ", "The question is empty"), ("x" * 5000, "500")],
    ids=["empty", "whitespace", "5000-chars"],
)
def test_bad_questions_are_refused(vilt_answerer, sample_images, question, words, monkeypatch):
    def no_model_work(*args, **kwargs):
        raise AssertionError("the model ran on a question that should have been refused")

    monkeypatch.setattr(vilt_answerer, "_forward", no_model_work)  # refused before any model work
    with pytest.raises(BadInputError, match=words):
        vilt_answerer.answer(sample_images(1)[0], question)
    with pytest.raises(BadInputError):  # one bad pair refuses the whole batch
        vilt_answerer.answer_many([(sample_images(1)[0], "what?"), (sample_images(1)[0], question)])


def test_questions_in_another_script_are_answered_with_a_note(vilt_answerer, sample_images):
    result = vilt_answerer.answer(sample_images(1)[0], "Какого цвета машина?")
    assert result.answered and "trained on English questions" in result.message


@pytest.mark.parametrize("name", ["vilt-vqa", "vilt-vqa-tiny"])
def test_vilt_declares_ranked_answers(name):
    capabilities = get_backend("vqa", name).capabilities
    assert capabilities.ranked_answers
    assert not capabilities.generative and capabilities.fusions == ()
