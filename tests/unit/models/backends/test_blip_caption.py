"""BLIP captioning through its real class and loader, on a tiny random BLIP, offline.

Why a tiny random model: ``hub.tiny`` saves it with ``save_pretrained``, so these tests run
the same ``from_pretrained(folder)`` + processor + generate code as ``full``, in seconds.
Results of random models are meaningless: only shapes, types and behaviour are checked.
The ``full`` loading path (path, cache, hub) is in ``tests/unit/models/hub/test_folders.py``.
"""

from __future__ import annotations

import pytest

from mmdemo.core.errors import BadInputError
from mmdemo.core.results import CaptionResult
from mmdemo.models.backends import blip_caption
from mmdemo.models.registry import BackendSpec, get_backend

pytestmark = pytest.mark.usefixtures("one_thread")

TINY_SPEC = BackendSpec(
    task="caption",
    name="test-blip-caption-tiny",
    load=blip_caption.load,
    description="tiny random blip-caption",
    options={"tiny": "blip-caption", "seed": 0},
    is_random=True,
)


@pytest.fixture(scope="module")
def captioner(hf_settings, load_context) -> blip_caption.BlipCaptioner:
    return blip_caption.load(TINY_SPEC, load_context(hf_settings))


def test_caption_is_text_with_its_method(captioner, sample_images):
    result = captioner.caption(sample_images(1)[0])
    assert isinstance(result, CaptionResult)
    assert isinstance(result.caption, str) and result.caption
    assert result.method == "BLIP, beam search (3 beams)"
    info = captioner.info()
    assert info.task == "caption" and info.is_random and info.parameters > 0
    assert "tiny" in info.model


def test_beam_is_deterministic_and_sampling_follows_its_seed(captioner, sample_images):
    image = sample_images(1)[0]
    assert captioner.caption(image, max_length=10) == captioner.caption(image, max_length=10)
    first = captioner.caption(image, mode="sample", seed=0, max_length=10)
    assert first.method == "BLIP, nucleus sampling (top-p 0.9, seed 0)"
    assert captioner.caption(image, mode="sample", seed=0, max_length=10) == first
    others = {
        captioner.caption(image, mode="sample", seed=s, max_length=10).caption for s in (1, 2)
    }
    assert others - {first.caption}  # another seed draws another caption
    two_beams = captioner.caption(image, num_beams=2, max_length=5)
    assert two_beams.method == "BLIP, beam search (2 beams)"


def test_prefix_starts_the_caption(captioner, sample_images):
    result = captioner.caption(sample_images(1)[0], prefix="  A picture of ", max_length=8)
    assert result.caption.startswith("a picture of")  # BLIP's tokenizer lowercases
    assert "prefix 'A picture of'" in result.method


def test_max_length_bounds_the_caption(captioner, sample_images):
    short = captioner.caption(sample_images(1)[0], max_length=5)
    ids = captioner.processor.tokenizer(short.caption, add_special_tokens=False)["input_ids"]
    assert len(ids) <= 5


def test_generation_is_bounded_in_time_per_image(captioner, sample_images, monkeypatch):
    """``max_time`` (Settings.generate_max_s, per image of a batch) reaches generate, and a
    budget spent at once stops it after its first step: a runaway caption is cut, not run."""
    assert captioner.max_time_s == 30.0  # the Settings default
    seen = []
    generate = captioner.model.generate

    def spy(**kwargs):
        seen.append(kwargs["max_time"])
        return generate(**kwargs)

    monkeypatch.setattr(captioner.model, "generate", spy)
    captioner.caption_many(sample_images(3), max_length=5)  # batches of 2 and 1
    assert seen == [60.0, 30.0]
    monkeypatch.setattr(captioner, "max_time_s", 1e-9)
    cut = captioner.caption(sample_images(1)[0], max_length=50)
    ids = captioner.processor.tokenizer(cut.caption, add_special_tokens=False)["input_ids"]
    assert len(ids) <= 2


def test_caption_many_equals_one_by_one_in_beam_mode(captioner, sample_images):
    images = sample_images(5)  # batches of 2, 2 and 1
    batched = captioner.caption_many(images, prefix="a photo of", max_length=10)
    single = [captioner.caption(im, prefix="a photo of", max_length=10) for im in images]
    assert batched == single
    assert len({r.caption for r in batched}) > 1  # the images do matter
    assert captioner.caption_many([]) == []


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"mode": "greedy"}, "beam, sample"),
        ({"max_length": 4}, "between 5 and 100"),
        ({"max_length": 101}, "between 5 and 100"),
        ({"max_length": 2.5}, "whole number"),
        ({"prefix": "x" * 201}, "limit is 200"),
        ({"num_beams": 0}, "num_beams"),
        ({"top_p": 0.0}, "top_p"),
    ],
)
def test_bad_caption_options_are_refused(captioner, sample_images, options, words):
    with pytest.raises(BadInputError, match=words):
        captioner.caption(sample_images(1)[0], **options)


def test_a_non_image_is_refused(captioner, sample_images):
    with pytest.raises(BadInputError, match="not an image"):
        captioner.caption_many([sample_images(1)[0], "photo.jpg"])


@pytest.mark.parametrize("name", ["blip-caption", "blip-caption-tiny"])
def test_blip_declares_both_decoding_modes_and_a_prefix(name):
    capabilities = get_backend("caption", name).capabilities
    assert capabilities.generative
    assert capabilities.decoding == ("beam", "sample") == blip_caption.MODES
    assert capabilities.prefix
