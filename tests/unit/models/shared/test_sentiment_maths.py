"""The sentiment probability arithmetic: late fusion, two classes to three, normalising."""

from __future__ import annotations

import math
import random

import pytest

from mmdemo.core.sentiment_results import label_of, polarity
from mmdemo.models.shared import sentiment_maths as maths


def _random_probabilities(rng: random.Random) -> tuple[float, float, float]:
    raw = [rng.random() ** 3 for _ in range(3)]  # cubed: many near-one-hot vectors too
    return maths.normalise(raw if sum(raw) > 0 else [1, 1, 1])


def test_late_fusion_weights_0_and_1_reduce_to_one_modality_and_sum_to_1():
    rng = random.Random(0)
    for _ in range(500):
        text, image = _random_probabilities(rng), _random_probabilities(rng)
        w = rng.random()
        fused = maths.late_fusion(text, image, w)
        assert sum(fused) == pytest.approx(1.0, abs=1e-12)
        assert all(p >= 0 for p in fused)
        assert maths.late_fusion(text, image, 1.0) == pytest.approx(text, abs=1e-12)
        assert maths.late_fusion(text, image, 0.0) == pytest.approx(image, abs=1e-12)
        for f, t, i in zip(fused, text, image, strict=True):  # between the two, per class
            assert min(t, i) - 1e-12 <= f <= max(t, i) + 1e-12
        # the fused polarity moves monotonically from the image's to the text's
        assert polarity(fused) == pytest.approx(
            w * polarity(text) + (1 - w) * polarity(image), abs=1e-12
        )


@pytest.mark.parametrize("bad", [-0.01, 1.01, math.nan, True, "heavy", None])
def test_weights_outside_0_1_are_refused(bad):
    with pytest.raises(ValueError):
        maths.late_fusion((0.2, 0.3, 0.5), (0.5, 0.3, 0.2), bad)


def test_two_class_to_three_class_keeps_the_odds_and_is_neutral_only_when_unsure():
    rng = random.Random(1)
    assert maths.three_class_from_binary(0.5) == pytest.approx((0.25, 0.5, 0.25))
    for _ in range(500):
        p = rng.random()
        neg, neu, pos = maths.three_class_from_binary(p)
        assert neg + neu + pos == pytest.approx(1.0, abs=1e-12)
        if 1e-9 < p < 1 - 1e-9:
            assert pos / neg == pytest.approx(p / (1 - p), rel=1e-6)  # the model's own odds
        confident = max(p, 1 - p)
        if abs(confident - maths.NEUTRAL_BELOW) > 1e-6:
            assert (label_of((neg, neu, pos)) == "neutral") == (confident < maths.NEUTRAL_BELOW)
    assert maths.three_class_from_margin(1e6) == pytest.approx((0.0, 0.0, 1.0))
    assert maths.three_class_from_margin(-1e6) == pytest.approx((1.0, 0.0, 0.0))


def test_all_zero_probabilities_cannot_be_normalised():
    with pytest.raises(ValueError):
        maths.normalise((0.0, 0.0, 0.0))


def test_the_classes_are_importable_here_too():
    assert maths.CLASSES == ("negative", "neutral", "positive")
