"""The open_clip embedders: the tiny random one (shapes, determinism, thread safety) and the
``full`` ViT-B-32 loading path, proved offline with a random checkpoint of the real size."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.errors import ModelLoadError
from mmdemo.models.backends.openclip_embed import SPECS
from mmdemo.serving import ModelServer

# this file is about the English-only ViT-B-32 backend (full embeds multilingually by default)
VIT_B_32 = "embed=openclip-vit-b-32"


@pytest.mark.parametrize("spec", [s for s in SPECS if s.option("pretrained")], ids=lambda s: s.name)
def test_each_spec_carries_open_clips_own_hub_location(spec):
    """The copy that spares the start-up check an open_clip import equals open_clip's table."""
    import open_clip

    cfg = open_clip.get_pretrained_cfg(spec.option("arch"), spec.option("pretrained"))
    assert spec.option("hub") == cfg["hf_hub"]


def test_every_real_open_clip_spec_names_its_hub_location():
    real = [s for s in SPECS if not s.is_random]
    assert real and all(s.option("hub") for s in real)
    assert all(s.option("pretrained") is None for s in SPECS if s.is_random)


def test_full_preset_offline_fails_fast_with_advice(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    server = ModelServer(Settings(preset="full", backends=VIT_B_32, cache_dir=tmp_path))
    with pytest.raises(ModelLoadError) as caught:
        server.get("embed")
    message = str(caught.value)
    assert "ViT-B-32" in message and "laion2b_s34b_b79k" in message
    assert "MMDEMO_PRESET" in message and "HF_HOME" in message


def test_tiny_embedder_shapes_and_determinism():
    first = ModelServer(Settings(preset="tiny")).get("embed")
    second = ModelServer(Settings(preset="tiny")).get("embed")
    texts = first.embed_texts(["a cat", "a dog", "x" * 10_000])  # over-long text is truncated
    assert texts.shape == (3, first.dim) and texts.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(second.embed_texts(["a cat"])[0], texts[0], atol=1e-6)
    images = first.embed_images([Image.new("RGB", (50, 90), "red"), Image.new("RGB", (9, 9))])
    assert images.shape == (2, first.dim)
    assert first.info().is_random and first.info().parameters > 0


def test_tiny_embedder_concurrent_calls_match_serial():
    embedder = ModelServer(Settings(preset="tiny")).get("embed")
    texts = [f"query number {i}" for i in range(16)]
    serial = embedder.embed_texts(texts)
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda t: embedder.embed_texts([t])[0], texts))
    np.testing.assert_allclose(np.stack(parallel), serial, atol=1e-5)


def test_full_preset_loads_a_local_checkpoint_through_the_real_path(random_vit_b_32_checkpoint):
    """Offline proof of the ``full`` loading code: same loader, weights from a file."""
    path, expected = random_vit_b_32_checkpoint
    server = ModelServer(Settings(preset="full", backends=VIT_B_32, clip_pretrained=str(path)))
    embedder = server.get("embed")
    assert embedder.model_id == "open_clip:ViT-B-32/file:vit_b_32_random.pt"
    assert embedder.dim == 512
    vector = embedder.embed_texts(["a photo of a cat"])[0]
    np.testing.assert_allclose(vector, expected, atol=1e-4)  # the saved weights were loaded
    info = embedder.info()
    assert 140e6 < info.parameters < 160e6 and not info.is_random  # CLIP ViT-B-32: 151 M


def test_corrupt_checkpoint_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelLoadError, match=r"broken\.pt"):
        ModelServer(Settings(preset="full", backends=VIT_B_32, clip_pretrained=str(bad))).get(
            "embed"
        )
    with pytest.raises(ModelLoadError, match="does not exist"):
        ModelServer(
            Settings(preset="full", backends=VIT_B_32, clip_pretrained="/no/such/file.pt")
        ).get("embed")
