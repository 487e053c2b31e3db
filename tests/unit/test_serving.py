"""The model-serving module: lazy loading, caching, thread safety, devices, errors."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from PIL import Image

from mmdemo.config import Settings
from mmdemo.errors import BadInputError, ModelLoadError, UnknownNameError
from mmdemo.models import add_backend, get_backend, list_backends
from mmdemo.models.presets import PRESETS
from mmdemo.models.registry import BackendSpec, remove_backend
from mmdemo.serving import ModelServer, resolve_device

LOADS: list[str] = []


class CountingBackend:
    """A real registered backend whose loader counts calls (a fake in the simonw/llm style)."""

    task = "embed"

    def __init__(self, spec):
        self.spec = spec
        self.load_seconds = 0.01

    def info(self):
        from mmdemo.types import ModelInfo

        return ModelInfo("embed", self.spec.name, "counting", "cpu", "float32", 0, 0, 0.01)


def slow_loader(spec, ctx):
    LOADS.append(spec.name)
    threading.Event().wait(0.2)  # widen the race window
    return CountingBackend(spec)


def failing_loader(spec, ctx):
    raise RuntimeError("boom")


@pytest.fixture
def counting_preset():
    """Register a backend + preset for one test, and remove them after."""
    name = "counting-test"
    add_backend(BackendSpec("embed", name, f"{__name__}:slow_loader", "counts loads"))
    add_backend(BackendSpec("embed", "failing-test", f"{__name__}:failing_loader", "fails"))
    PRESETS["counting"] = {"embed": name}
    PRESETS["failing"] = {"embed": "failing-test"}
    LOADS.clear()
    yield "counting"
    del PRESETS["counting"], PRESETS["failing"]
    remove_backend("embed", name)
    remove_backend("embed", "failing-test")


def test_lazy_load_and_cache(counting_preset):
    server = ModelServer(Settings(preset=counting_preset))
    assert LOADS == [] and not server.is_loaded("embed")  # nothing loads at construction
    first = server.get("embed")
    assert server.get("embed") is first
    assert LOADS == ["counting-test"]
    assert [m.backend for m in server.loaded()] == ["counting-test"]


def test_concurrent_first_use_loads_once(counting_preset):
    server = ModelServer(Settings(preset=counting_preset))
    with ThreadPoolExecutor(8) as pool:
        backends = list(pool.map(lambda _: server.get("embed"), range(8)))
    assert len(LOADS) == 1
    assert all(b is backends[0] for b in backends)


def test_loader_crash_becomes_model_load_error(counting_preset):
    server = ModelServer(Settings(preset="failing"))
    with pytest.raises(ModelLoadError, match=r"failing-test.*RuntimeError: boom"):
        server.get("embed")


def test_unknown_names_list_choices():
    with pytest.raises(UnknownNameError, match=r"full.*tiny"):
        ModelServer(Settings(preset="tiny"), preset="nope")
    with pytest.raises(UnknownNameError, match="openclip-tiny"):
        get_backend("embed", "nope")
    with pytest.raises(UnknownNameError, match="Valid choices"):
        ModelServer(Settings(preset="tiny")).get("nonexistent-task")
    assert "openclip-vit-b-32" in list_backends("embed")


def test_bad_settings_values_are_refused():
    from mmdemo.config import settings_from_env

    with pytest.raises(BadInputError, match="MMDEMO_BATCH_SIZE"):
        settings_from_env({"MMDEMO_BATCH_SIZE": "many"})
    with pytest.raises(BadInputError, match="device"):
        settings_from_env({"MMDEMO_DEVICE": "tpu"})
    settings = settings_from_env({"MMDEMO_FAISS_GPU": "off", "MMDEMO_MATCH_THRESHOLD": "0.25"})
    assert settings.faiss_gpu is False and settings.match_threshold == 0.25


def test_device_fallback_to_cpu(monkeypatch, caplog):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == (torch.device("cpu"), torch.float32)
    with caplog.at_level("WARNING"):
        assert resolve_device("cuda:1")[0] == torch.device("cpu")
    assert "falling back to CPU" in caplog.text


def test_full_preset_offline_fails_fast_with_advice(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    server = ModelServer(Settings(preset="full", cache_dir=tmp_path))
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


def test_zero_shot_probabilities():
    classifier = ModelServer(Settings(preset="tiny")).get("classify")
    scores = classifier.classify(Image.new("RGB", (64, 64), "blue"), "cat, dog,  car ,cat")
    assert [s.label for s in scores] != [] and len(scores) == 3  # duplicates dropped
    assert abs(sum(s.probability for s in scores) - 1.0) < 1e-5
    assert scores == sorted(scores, key=lambda s: -s.probability)
    with pytest.raises(BadInputError, match="at least two"):
        classifier.classify(Image.new("RGB", (8, 8)), " , ")


@pytest.fixture(scope="module")
def random_vit_b_32_checkpoint(tmp_path_factory):
    """A randomly initialised full-size ViT-B-32 saved as an open_clip checkpoint file."""
    import open_clip

    torch.manual_seed(1)
    model = open_clip.create_model("ViT-B-32", pretrained=None)
    path = tmp_path_factory.mktemp("ckpt") / "vit_b_32_random.pt"
    torch.save(model.state_dict(), path)
    probe = open_clip.get_tokenizer("ViT-B-32")(["a photo of a cat"])
    with torch.inference_mode():
        expected = torch.nn.functional.normalize(model.encode_text(probe), dim=-1)[0].numpy()
    return path, expected


def test_full_preset_loads_a_local_checkpoint_through_the_real_path(random_vit_b_32_checkpoint):
    """Offline proof of the ``full`` loading code: same loader, weights from a file."""
    path, expected = random_vit_b_32_checkpoint
    server = ModelServer(Settings(preset="full", clip_pretrained=str(path)))
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
        ModelServer(Settings(preset="full", clip_pretrained=str(bad))).get("embed")
    with pytest.raises(ModelLoadError, match="does not exist"):
        ModelServer(Settings(preset="full", clip_pretrained="/no/such/file.pt")).get("embed")
