"""The ViT relevancy replays open_clip's vision tower exactly and leaves the model alone.

Built on the tiny open_clip twins (random weights: shapes and behaviour, not meaning) and
on a randomly initialised full-size ViT-B-32 (the real architecture the ``full`` preset
explains with), so the replay is checked against ``encode_image`` where it matters.
"""

from __future__ import annotations

import numpy as np
import open_clip
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.models.shared import explain_vit
from mmdemo.serving import ModelServer


@pytest.fixture(scope="module")
def tiny_embedder(tmp_path_factory):
    settings = Settings(preset="tiny", index_dir=tmp_path_factory.mktemp("tiny-explain"))
    return ModelServer(settings).get("embed")


@pytest.fixture(scope="module")
def vit_b_32():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        return open_clip.create_model("ViT-B-32", pretrained=None).eval()


def photo(seed: int = 0, size=(80, 60)) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))


def test_the_replay_gives_encode_images_vector_on_vit_b_32(vit_b_32):
    pixels = torch.randn(2, 3, 224, 224)
    with torch.inference_mode():
        expected = vit_b_32.encode_image(pixels)
        replayed, tokens, probs = explain_vit.replay(vit_b_32.visual, pixels)
    torch.testing.assert_close(replayed, expected, atol=1e-4, rtol=1e-4)
    assert tokens.shape == (2, 50, 768)
    assert len(probs) == 12 and probs[0].shape == (2, 12, 50, 50)
    torch.testing.assert_close(probs[0].sum(-1), torch.ones(2, 12, 50))


def test_relevancy_is_a_7x7_non_negative_grid_and_touches_no_parameter(vit_b_32):
    text = F.normalize(torch.randn(512), dim=0)
    before = [p.detach().clone() for p in vit_b_32.parameters()]
    with torch.inference_mode():  # the backend's world: gradients must still be taken
        grid, score = explain_vit.relevancy(vit_b_32.visual, torch.randn(1, 3, 224, 224), text)
    assert grid.shape == (7, 7) and grid.dtype == np.float32
    assert (grid >= 0).all() and grid.max() > 0
    assert -1.0 <= score <= 1.0
    assert all(p.grad is None for p in vit_b_32.parameters())
    assert all(torch.equal(a, p) for a, p in zip(before, vit_b_32.parameters(), strict=True))


def test_relevancy_follows_the_gradient_sign(vit_b_32):
    """The opposite text vector pushes the other way: its map is a different map."""
    pixels = torch.randn(1, 3, 224, 224)
    text = F.normalize(torch.randn(512), dim=0)
    plus, s_plus = explain_vit.relevancy(vit_b_32.visual, pixels, text)
    minus, s_minus = explain_vit.relevancy(vit_b_32.visual, pixels, -text)
    assert s_plus == pytest.approx(-s_minus, abs=1e-5)
    assert not np.allclose(plus, minus)


def test_patch_similarity_baseline_shape(vit_b_32):
    text = F.normalize(torch.randn(512), dim=0)
    grid, score = explain_vit.patch_similarity(vit_b_32.visual, torch.randn(1, 3, 224, 224), text)
    assert grid.shape == (7, 7) and (grid >= 0).all()
    assert -1.0 <= score <= 1.0


def test_a_convnet_tower_is_refused_by_name():
    with pytest.raises(explain_vit.NotExplainable, match="not a ViT"):
        explain_vit.check_vit(torch.nn.Conv2d(3, 3, 1))


def test_whole_view_keeps_the_whole_picture():
    """No centre crop: the left and right edges of a wide image stay in the input."""
    image = Image.new("RGB", (300, 100), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 20, 100))  # a white strip at the far left
    tensor = explain_vit.whole_view(image, (224, 224), (0.0,) * 3, (1.0,) * 3)
    assert tensor.shape == (3, 224, 224)
    assert float(tensor[:, :, :5].mean()) > 0.9 and float(tensor[:, :, -5:].mean()) < 0.1


def test_tiny_embedder_explains_with_relevancy(tiny_embedder):
    assert tiny_embedder.explains == explain_vit.METHOD
    result = tiny_embedder.explain(photo(), "a red square")
    rows, cols = result.shape
    arr = result.array()
    assert (rows, cols) == tuple(tiny_embedder.model.visual.grid_size)
    assert arr.min() >= 0 and arr.max() == pytest.approx(1.0)
    expected = float(
        tiny_embedder.embed_images([photo()])[0] @ tiny_embedder.embed_texts(["a red square"])[0]
    )
    assert result.score == pytest.approx(expected, abs=1e-5)  # the search's cosine
    base = tiny_embedder.explain(photo(), "a red square", baseline=True)
    assert base.method == explain_vit.BASELINE and base.shape == result.shape
