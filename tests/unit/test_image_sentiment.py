"""Image sentiment's colour-mood cue and how it is blended with the zero-shot prompts.

No model weights here: the colour maths is checked on flat colours and grids (monotone,
bounded, mid-grey neutral), and the blend on a fake embedder, so a failure points at the
arithmetic rather than at a model. What the cue means on real photos is tested with
``lite`` in test_sentiment_fusion.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from mmdemo.models.image_sentiment import (
    COLOUR_SCALE,
    GALLERY_COLOUR_REFERENCE,
    MIN_SD,
    PLEASURE_BRIGHTNESS,
    PLEASURE_SATURATION,
    ColourReference,
    ImageSentiment,
    colour_mood,
    colour_stats,
)
from mmdemo.models.registry import spec
from mmdemo.sentiment import maths

GRID = np.linspace(0.0, 1.0, 11)


def flat(colour, size=(64, 48), mode="RGB") -> Image.Image:
    return Image.new(mode, size, colour)


def pol(mood) -> float:
    return maths.polarity(mood.probabilities())


# -- measuring brightness and saturation -------------------------------------------------------
@pytest.mark.parametrize(
    ("colour", "expected"),
    [
        ((0, 0, 0), (0.0, 0.0)),
        ((255, 255, 255), (1.0, 0.0)),
        ((128, 128, 128), (128 / 255, 0.0)),
        ((255, 0, 0), (1.0, 1.0)),
        ((0, 0, 255), (1.0, 1.0)),  # HSV: a pure blue is as "bright" as white
        ((200, 100, 100), (200 / 255, 0.5)),
    ],
)
def test_colour_stats_are_mean_hsv_value_and_saturation(colour, expected):
    assert colour_stats(flat(colour)) == pytest.approx(expected, abs=0.01)


def test_colour_stats_work_on_a_small_copy_of_any_mode_and_size():
    half = Image.new("RGB", (4000, 3000), (255, 255, 255))
    half.paste((0, 0, 0), (0, 0, 2000, 3000))  # left half black: mean V 0.5
    brightness, saturation = colour_stats(half)
    assert brightness == pytest.approx(0.5, abs=0.01) and saturation == pytest.approx(0.0)
    assert colour_stats(flat(128, mode="L")) == pytest.approx((128 / 255, 0.0), abs=0.01)
    assert colour_stats(flat((255, 0, 0, 0), mode="RGBA")) == pytest.approx((1.0, 1.0), abs=0.01)
    assert colour_stats(flat((10, 200, 30), size=(1, 1)))[1] == pytest.approx(0.95, abs=0.01)


def test_the_fallback_reference_is_the_shipped_gallery_measured():
    from mmdemo.imaging import load_image
    from mmdemo.models.image_sentiment import REFERENCE_DIR, reference_files

    files = reference_files(REFERENCE_DIR)
    measured = ColourReference.of(np.array([colour_stats(load_image(p)) for p in files]))
    fallback = GALLERY_COLOUR_REFERENCE
    assert measured.images == 16
    for key in ("brightness_mean", "brightness_sd", "saturation_mean", "saturation_sd"):
        assert getattr(fallback, key) == pytest.approx(getattr(measured, key), abs=0.002)


# -- colour mood maths -------------------------------------------------------------------------
def test_pleasure_is_the_valdez_mehrabian_formula_on_standardised_scales():
    ref = ColourReference(0.4, 0.2, 0.3, 0.1, 16)
    mood = colour_mood(0.6, 0.5, ref)
    assert mood.brightness_z == pytest.approx(1.0) and mood.saturation_z == pytest.approx(2.0)
    assert mood.pleasure == pytest.approx(PLEASURE_BRIGHTNESS * 1.0 + PLEASURE_SATURATION * 2.0)
    assert mood.margin == pytest.approx(COLOUR_SCALE * mood.pleasure)
    assert colour_mood(0.4, 0.3, ref).margin == 0.0  # the reference's average photo: no lean
    assert pol(colour_mood(0.4, 0.3, ref)) == pytest.approx(0.0)


def test_colour_mood_is_monotone_in_brightness_and_saturation():
    ref = GALLERY_COLOUR_REFERENCE
    moods = np.array([[colour_mood(b, s, ref).margin for s in GRID] for b in GRID])
    assert (np.diff(moods, axis=0) > 0).all()  # brighter: more pleasant, at every saturation
    assert (np.diff(moods, axis=1) > 0).all()  # more saturated: more pleasant, at every brightness
    # brightness matters about three times as much as saturation (0.69 vs 0.22 per SD)
    polarities = np.array([[pol(colour_mood(b, s, ref)) for s in GRID] for b in GRID])
    assert (np.diff(polarities, axis=0) >= 0).all() and (np.diff(polarities, axis=1) >= 0).all()


def test_colour_mood_is_bounded_and_a_probability():
    for ref in (GALLERY_COLOUR_REFERENCE, ColourReference.of(np.full((5, 2), 0.5))):
        for b in GRID:
            for s in GRID:
                mood = colour_mood(b, s, ref)
                probs = mood.probabilities()
                assert sum(probs) == pytest.approx(1.0) and min(probs) >= 0.0
                assert -1.0 <= pol(mood) <= 1.0 and np.isfinite(mood.margin)
                # |z| <= 1 / MIN_SD whatever the reference: the margin cannot run away
                assert (
                    abs(mood.margin)
                    <= COLOUR_SCALE * (PLEASURE_BRIGHTNESS + PLEASURE_SATURATION) / MIN_SD
                )


def test_reference_spread_is_floored_for_identical_photos():
    ref = ColourReference.of(np.full((4, 2), 0.3))
    assert ref.brightness_sd == MIN_SD and ref.saturation_sd == MIN_SD and ref.images == 4
    rows = np.array([[0.2, 0.1], [0.6, 0.5]])
    ref = ColourReference.of(rows)
    assert (ref.brightness_mean, ref.brightness_sd) == pytest.approx((0.4, 0.2))
    assert (ref.saturation_mean, ref.saturation_sd) == pytest.approx((0.3, 0.2))


def test_mid_grey_is_neutral_dark_grey_leans_negative_bright_colour_positive():
    ref = GALLERY_COLOUR_REFERENCE
    grey = colour_mood(*colour_stats(flat((128, 128, 128))), ref)
    assert maths.label_of(grey.probabilities()) == "neutral" and abs(pol(grey)) < 0.1
    dark = colour_mood(*colour_stats(flat((60, 60, 60))), ref)
    assert pol(dark) < -0.3
    petals = flat((90, 150, 60), size=(120, 120))  # a sunflower: yellow petals on green
    petals.paste((250, 200, 40), (20, 20, 100, 100))
    bright = colour_mood(*colour_stats(petals), ref)
    assert pol(bright) > 0.3
    assert pol(dark) < pol(grey) < pol(bright)


# -- the blend ---------------------------------------------------------------------------------
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
    test_spec = spec(
        "image_sentiment", "test-colour", "x:y", "test", options={"colour_weight": colour_weight}
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
        assert probs == pytest.approx(maths.three_class_from_margin(expected), abs=1e-6)
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
