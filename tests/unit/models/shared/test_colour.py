"""What an image's colours say: greyness (label bridge, label caption) and colour mood
(lite's image sentiment).

No model weights here: the colour maths is checked on flat colours and grids (monotone,
bounded, mid-grey neutral), so a failure points at the arithmetic rather than at a model.
How the mood is blended with the prompts is in ``backends/test_image_sentiment.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.imaging import load_image
from mmdemo.core.sentiment_results import label_of, polarity
from mmdemo.models.backends.image_sentiment import reference_dir, reference_files
from mmdemo.models.shared.colour import (
    COLOUR_SCALE,
    GALLERY_COLOUR_REFERENCE,
    MIN_SD,
    PLEASURE_BRIGHTNESS,
    PLEASURE_SATURATION,
    ColourReference,
    colour_mood,
    colour_stats,
    greyness,
    image_greyness,
)

GRID = np.linspace(0.0, 1.0, 11)


def flat(colour, size=(64, 48), mode="RGB") -> Image.Image:
    return Image.new(mode, size, colour)


def pol(mood) -> float:
    return polarity(mood.probabilities())


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
    files = reference_files(reference_dir(Settings()))
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
    assert label_of(grey.probabilities()) == "neutral" and abs(pol(grey)) < 0.1
    dark = colour_mood(*colour_stats(flat((60, 60, 60))), ref)
    assert pol(dark) < -0.3
    petals = flat((90, 150, 60), size=(120, 120))  # a sunflower: yellow petals on green
    petals.paste((250, 200, 40), (20, 20, 100, 100))
    bright = colour_mood(*colour_stats(petals), ref)
    assert pol(bright) > 0.3
    assert pol(dark) < pol(grey) < pol(bright)


# -- greyness ----------------------------------------------------------------------------------
def test_grey_images_are_black_and_white_and_colourful_ones_are_not():
    assert image_greyness(flat((128, 128, 128))) == pytest.approx(1.0)
    assert image_greyness(flat(90, mode="L")) == pytest.approx(1.0)
    assert image_greyness(flat((200, 40, 40))) == pytest.approx(0.0)
    galaxy = flat((0, 0, 0), size=(64, 64))  # dark, but its few lit pixels are colourful
    galaxy.paste((250, 60, 200), (10, 10, 20, 20))
    assert image_greyness(galaxy) == pytest.approx(0.0)
    red = torch.tensor([1.0, -1.0, -1.0])[:, None, None].expand(3, 8, 8)  # preprocessed
    batch = torch.stack([torch.zeros(3, 8, 8), red])  # mid-grey, pure red; in [-1, 1]
    assert greyness(batch).tolist() == pytest.approx([1.0, 0.0])
