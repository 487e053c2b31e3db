"""lite's Grad-CAM: the classifier taken apart gives the classifier's logits, the map sits on
the half of a two-photo composite that shows what the query names (real lite weights:
meaning), and the input keeps the whole picture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.models.shared import gradcam

GALLERY = Settings().gallery_dir


def composite(left: str, right: str) -> Image.Image:
    canvas = Image.new("RGB", (448, 224))
    for i, name in enumerate((left, right)):
        canvas.paste(
            Image.open(Path(GALLERY) / name).convert("RGB").resize((224, 224)), (224 * i, 0)
        )
    return canvas


@pytest.fixture(scope="module")
def bridge(lite):
    return lite.get("embed")


def test_input_size_keeps_aspect_up_to_two_to_one():
    assert gradcam.input_size(Image.new("RGB", (448, 224))) == (448, 224)
    assert gradcam.input_size(Image.new("RGB", (100, 300))) == (224, 448)  # 3:1 squeezed
    assert gradcam.input_size(Image.new("RGB", (300, 300))) == (224, 224)


def test_top_classes_weights_sum_to_one():
    sims = np.array([0.1, 0.9, -0.2, 0.5], np.float32)
    classes, weights = gradcam.top_classes(sims, 2)
    assert classes.tolist() == [1, 3]
    assert weights.sum() == pytest.approx(1.0) and weights[0] > weights[1]
    _, equal = gradcam.top_classes(-np.ones(4, np.float32), 2)
    assert equal.tolist() == [0.5, 0.5]


def test_the_pieces_are_the_classifier(bridge):
    pixels = bridge.to_device(gradcam.lite_pixels(composite("flower.jpg", "coffee_cup.png")))
    with torch.inference_mode():
        whole = bridge.classifier(pixels)
        pieces = gradcam.class_logits(bridge.classifier, bridge.classifier.extract_features(pixels))
    torch.testing.assert_close(pieces, whole, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize(
    ("left", "right", "query", "side"),
    [
        ("chelsea_the_cat.png", "coffee_cup.png", "a cat", "left"),
        ("chelsea_the_cat.png", "coffee_cup.png", "a cup of coffee", "right"),
        ("coffee_cup.png", "chelsea_the_cat.png", "一只猫", "right"),  # Chinese, through USE
    ],
)
def test_the_map_sits_on_the_named_half(bridge, left, right, query, side):
    with torch.inference_mode():  # as the server calls it: gradients are turned on inside
        result = bridge.explain(composite(left, right), query)
    assert result.method == gradcam.METHOD and result.shape == (7, 14)
    half = slice(7, None) if side == "right" else slice(0, 7)
    assert result.share(half) >= 0.7, result.details
    assert all(p.grad is None for p in bridge.classifier.parameters())


def test_occlusion_baseline_has_the_same_grid(bridge):
    image = composite("chelsea_the_cat.png", "coffee_cup.png")
    result = bridge.explain(image, "a cup of coffee", baseline=True)
    assert result.method == gradcam.BASELINE and result.shape == (7, 14)
    assert result.share(slice(7, None)) > 0.5
