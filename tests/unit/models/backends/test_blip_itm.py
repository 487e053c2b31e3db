"""BLIP image-text matching through its real class and loader, on a tiny random BLIP ITM.

The twin is saved by ``save_pretrained`` and loaded by ``from_pretrained(folder)`` with its
own BlipProcessor, as the full model is: only shapes, types and behaviour are checked (its
scores mean nothing). The ITM branch the backend runs is held to the model's own forward.
"""

from __future__ import annotations

import pytest
import torch

from mmdemo.core.errors import BadInputError
from mmdemo.models.backends import blip_itm
from mmdemo.models.protocols import Matcher
from mmdemo.models.registry import EnglishOnlyError, get_backend

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def matcher(hf_settings, load_context) -> blip_itm.BlipMatcher:
    return blip_itm.load(get_backend("match", "blip-itm-tiny"), load_context(hf_settings))


def test_the_twin_loads_through_the_real_code_path(matcher, hf_settings):
    assert isinstance(matcher, Matcher)
    assert type(matcher.model).__name__ == "BlipForImageTextRetrieval"
    assert type(matcher.processor).__name__ == "BlipProcessor"
    info = matcher.info()
    assert (info.task, info.backend) == ("match", "blip-itm-tiny")
    assert info.is_random and info.parameters > 0 and "tiny" in info.model
    # the tokenizer has BLIP's [ENC], which starts every text the ITM head reads
    assert matcher.enc_token_id == matcher.processor.tokenizer.convert_tokens_to_ids("[ENC]")
    assert matcher.enc_token_id != matcher.processor.tokenizer.unk_token_id


def test_scores_are_probabilities_and_differ_between_pairs(matcher, sample_images):
    images = sample_images(3)
    texts = ["a cat", "a dog on a red couch", "two people"]
    scores = matcher.match_many(list(zip(images, texts, strict=True)))
    assert len(scores) == 3 and all(isinstance(s, float) for s in scores)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert len(set(scores)) == 3  # each pair is scored on its own image and text
    assert matcher.match_many([]) == []


def test_batch_equals_one_by_one(matcher, sample_images):
    """batch_size 2 and texts of different lengths: padding and batching change nothing."""
    images = sample_images(5)
    texts = ["a cat", "a dog on a red couch next to a tree", "sky", "a man", "coffee cup"]
    pairs = list(zip(images, texts, strict=True))
    batched = matcher.match_many(pairs)
    single = [matcher.match(image, text) for image, text in pairs]
    assert batched == pytest.approx(single, abs=1e-5)


def test_the_first_token_is_enc_and_long_texts_are_cut(matcher, sample_images):
    image = sample_images(1)[0]
    inputs = matcher.preprocess([(image, "a cat"), (image, " ".join(["word"] * 200))])
    assert (inputs["input_ids"][:, 0] == matcher.enc_token_id).all()
    assert inputs["input_ids"].shape[1] == blip_itm.MAX_TOKENS
    assert "token_type_ids" not in inputs


def test_the_itm_branch_equals_the_models_own_forward(matcher, sample_images):
    images = sample_images(2)
    inputs = matcher.preprocess([(images[0], "a cat"), (images[1], "a red car on the street")])
    with torch.inference_mode():
        ours = blip_itm._itm_logits(matcher.model, inputs)
        theirs = matcher.model(**inputs, use_itm_head=True).itm_score
    assert ours.shape == (2, 2)
    assert torch.allclose(ours, theirs, atol=1e-6)


def test_bad_items_are_refused_before_any_model_work(matcher, sample_images):
    image = sample_images(1)[0]
    with pytest.raises(BadInputError, match="empty"):
        matcher.match(image, "   ")
    with pytest.raises(BadInputError, match="must be text"):
        matcher.match(image, 5)
    with pytest.raises(BadInputError, match="characters long"):
        matcher.match(image, "a" * (blip_itm.MAX_TEXT_CHARS + 1))
    with pytest.raises(BadInputError, match="not an image"):
        matcher.match("photo.jpg", "a cat")
    with pytest.raises(BadInputError, match="pair"):
        matcher.match_many([image])


def test_chinese_is_refused_like_other_english_only_models(matcher, sample_images):
    for name in ("blip-itm", "blip-itm-tiny"):
        capabilities = get_backend("match", name).capabilities
        assert capabilities.languages == ("en",) and not capabilities.reads("一只猫")
    with pytest.raises(EnglishOnlyError, match="reads English only"):
        matcher.match(sample_images(1)[0], "一只猫在沙发上")


def test_the_full_backend_names_its_hub_repo(hf_settings):
    full = get_backend("match", "blip-itm")
    assert [w.repo_id for w in full.weights(hf_settings)] == ["Salesforce/blip-itm-base-coco"]
    assert not full.is_random
    assert get_backend("match", "blip-itm-tiny").weights(hf_settings) == []
