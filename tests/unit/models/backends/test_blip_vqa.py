"""BLIP VQA through its real class and loader, on a tiny random BLIP, offline.

Results of random models are meaningless: only shapes, types and behaviour are checked
(and that the confidence is the probability of the generated answer).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mmdemo.core.errors import BadInputError
from mmdemo.core.results import Scored, VqaResult
from mmdemo.models.backends import blip_vqa
from mmdemo.models.registry import BackendSpec

pytestmark = pytest.mark.usefixtures("one_thread")

TINY_SPEC = BackendSpec(
    task="vqa",
    name="test-blip-vqa-tiny",
    load=blip_vqa.load,
    description="tiny random blip-vqa",
    options={"tiny": "blip-vqa", "seed": 0},
    is_random=True,
)
QUESTIONS = ["what color is it?", "how many dogs are sitting next to the tree?", "who?", "is it"]


@pytest.fixture(scope="module")
def blip_answerer(hf_settings, load_context) -> blip_vqa.BlipVqa:
    return blip_vqa.load(TINY_SPEC, load_context(hf_settings))


def test_a_non_image_is_refused(blip_answerer):
    with pytest.raises(BadInputError, match="not an image"):
        blip_answerer.answer(np.zeros((4, 4, 3)), "what is it?")


def test_blip_vqa_gives_one_answer_with_a_probability(blip_answerer, sample_images):
    result = blip_answerer.answer(sample_images(1)[0], "What colour is the car?", top_k=5)
    assert isinstance(result, VqaResult) and result.answered
    [answer] = result.answers
    assert isinstance(answer, Scored) and isinstance(answer.label, str) and answer.label
    assert 0.0 <= answer.probability <= 1.0
    assert result.model == blip_answerer.model_label and "beam search" in result.message
    assert "English" not in result.message


def test_blip_answer_probability_is_the_sequence_probability(blip_answerer, sample_images):
    """The confidence equals P(generated tokens, end token included) by teacher forcing."""
    image, question = sample_images(1)[0], "what is in the picture?"
    model = blip_answerer.model
    inputs = blip_answerer.preprocess([(image, question)])
    with torch.inference_mode():
        output = blip_answerer._forward(inputs)
    [(text, probability)] = blip_answerer.postprocess(output)
    assert blip_answerer.answer(image, question).answers[0] == Scored(text, probability)
    ids = output.sequences[0].tolist()  # [DEC] answer... [SEP] (padding after it, if any)
    end = model.config.text_config.sep_token_id
    decoder_ids = torch.tensor([ids[: ids.index(end) + 1] if end in ids else ids])
    with torch.inference_mode():
        image_embeds = model.vision_model(pixel_values=inputs["pixel_values"])[0]
        question_embeds = model.text_encoder(
            input_ids=inputs["input_ids"],
            attention_mask=inputs["attention_mask"],
            encoder_hidden_states=image_embeds,
        )[0]
        logits = model.text_decoder(
            input_ids=decoder_ids, encoder_hidden_states=question_embeds
        ).logits
    log_probs = torch.log_softmax(logits[0, :-1], dim=-1)
    expected = log_probs.gather(1, decoder_ids[0, 1:, None]).sum().exp().item()
    assert probability == pytest.approx(expected, rel=1e-3)


def test_generation_is_bounded_in_time_per_pair(blip_answerer, sample_images, monkeypatch):
    seen = []
    generate = blip_answerer.model.generate

    def spy(**kwargs):
        seen.append(kwargs["max_time"])
        return generate(**kwargs)

    monkeypatch.setattr(blip_answerer.model, "generate", spy)
    pairs = [(image, "what is it?") for image in sample_images(3)]  # batches of 2 and 1
    assert len(blip_answerer.answer_many(pairs)) == 3
    assert seen == [2 * blip_answerer.max_time_s, blip_answerer.max_time_s]


def test_blip_answer_many_equals_one_by_one(blip_answerer, sample_images):
    pairs = list(zip(sample_images(4), QUESTIONS, strict=True))
    batched = blip_answerer.answer_many(pairs)
    single = [blip_answerer.answer(image, question) for image, question in pairs]
    assert [r.answers[0].label for r in batched] == [r.answers[0].label for r in single]
    for b, s in zip(batched, single, strict=True):
        assert b.answers[0].probability == pytest.approx(s.answers[0].probability, rel=1e-4)


@pytest.mark.parametrize(
    ("question", "words"),
    [("", "The question is empty"), ("  \n\t ", "The question is empty"), ("x" * 5000, "500")],
    ids=["empty", "whitespace", "5000-chars"],
)
def test_bad_questions_are_refused(blip_answerer, sample_images, question, words, monkeypatch):
    def no_model_work(*args, **kwargs):
        raise AssertionError("the model ran on a question that should have been refused")

    monkeypatch.setattr(blip_answerer, "_forward", no_model_work)  # refused before any model work
    with pytest.raises(BadInputError, match=words):
        blip_answerer.answer(sample_images(1)[0], question)
    with pytest.raises(BadInputError):  # one bad pair refuses the whole batch
        blip_answerer.answer_many([(sample_images(1)[0], "what?"), (sample_images(1)[0], question)])


def test_questions_in_another_script_are_answered_with_a_note(blip_answerer, sample_images):
    result = blip_answerer.answer(sample_images(1)[0], "Какого цвета машина?")
    assert result.answered and "trained on English questions" in result.message
