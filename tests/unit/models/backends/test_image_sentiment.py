"""Image sentiment: how the colour-mood cue is blended with the zero-shot prompts.

The blend is checked on a fake embedder (one fixed vector per image), so a failure points
at the arithmetic rather than at a model; the colour maths itself is in
``shared/test_colour.py``. What the cues mean on real photos is tested with ``lite`` in
the sentiment-fusion tests.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from mmdemo.models.backends.image_sentiment import ImageSentiment, load
from mmdemo.models.registry import BackendSpec
from mmdemo.models.shared.colour import colour_mood, colour_stats
from mmdemo.models.shared.sentiment_maths import three_class_from_margin


def flat(colour, size=(64, 48), mode="RGB") -> Image.Image:
    return Image.new(mode, size, colour)


class FakeEmbedder:
    """Just what ImageSentiment reads from an embedder: one fixed vector per image."""

    model_id = "fake-embedder"
    device = torch.device("cpu")
    dtype = torch.float32

    def __init__(self, vector):
        self.vector = np.asarray(vector, np.float32)

    def embed_images(self, images):
        return np.stack([self.vector for _ in images])


def backend(colour_weight: float, vector=(0.6, 0.8)) -> ImageSentiment:
    test_spec = BackendSpec(
        task="image_sentiment",
        name="test-colour",
        load=load,
        description="test",
        options={"colour_weight": colour_weight},
    )
    return ImageSentiment(
        test_spec,
        FakeEmbedder(vector),
        positive=np.array([1.0, 0.0], np.float32),
        negative=np.array([0.0, 1.0], np.float32),
        offset=-0.1,
        spread=0.1,
        references=16,
        scale=10.0,
        colour_weight=colour_weight,
    )


def test_colour_weight_blends_the_two_margins_in_log_odds():
    dark = flat((40, 40, 40))
    prompt_margin = 10.0 * ((0.6 - 0.8) + 0.1)  # scale * (raw - offset) = -1.0
    colour_margin = colour_mood(*colour_stats(dark)).margin
    for w in (0.0, 0.25, 0.5, 1.0):
        result = backend(w).analyze(dark)
        expected = (1 - w) * prompt_margin + w * colour_margin
        assert result.details["logit_margin"] == pytest.approx(expected, abs=1e-5)
        probs = [s.probability for s in result.probabilities]
        assert probs == pytest.approx(three_class_from_margin(expected), abs=1e-6)
    only_prompts = backend(0.0).analyze(dark)
    assert "colour_weight" not in only_prompts.details and "note" not in only_prompts.details
    assert "colour" not in only_prompts.model


def test_details_show_both_cues_and_the_note_says_which_way_each_pulled():
    result = backend(0.5, vector=(0.8, 0.6)).analyze(flat((40, 40, 40)))  # happy prompts, dark
    d = result.details
    assert d["prompt_weight"] == d["colour_weight"] == 0.5
    assert d["prompt_polarity"] > 0.05 > -0.05 > d["colour_polarity"]
    assert d["colour_brightness"] == pytest.approx(40 / 255, abs=0.01)
    assert d["colour_saturation"] == pytest.approx(0.0)
    for key in ("z_score", "colour_brightness_z", "colour_saturation_z", "colour_pleasure"):
        assert isinstance(d[key], float)
    assert "prompts pull positive" in d["note"] and "colours (dark" in d["note"]
    assert "pull negative" in d["note"]
    assert "zero-shot happy/sad prompts" in result.model
    assert "colour mood (brightness, saturation)" in result.model


def test_an_embedding_without_pixels_falls_back_to_the_prompts():
    b = backend(0.5)
    result = b.analyze_vector(np.array([0.6, 0.8], np.float32))
    assert result.details["logit_margin"] == pytest.approx(-1.0, abs=1e-5)
    assert "Colour mood not measured" in result.details["note"]


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), "half"])
def test_a_bad_colour_weight_is_refused(bad):
    with pytest.raises(ValueError, match="weight"):
        backend(bad)
