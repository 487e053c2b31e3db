"""Text-to-image backends: the tiny SD-Turbo twin through the real diffusers loading and
generation code (seeding, per-step progress, cancel, deadline, bounds), and the real
backend's hub files fetched from a fake hub serving a diffusers-shaped repo."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError
from mmdemo.core.generate_results import MAX_PROMPT_CHARS, GenerateOptions
from mmdemo.models.backends import sd_turbo
from mmdemo.models.hub.files import is_cached
from mmdemo.models.hub.preset_weights import download_weights
from mmdemo.models.protocols import ImageGenerator
from mmdemo.models.registry import BackendSpec, get_backend
from tests.support.fake_hub import FakeHub, go_offline, use_hub

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tiny_settings(tmp_path_factory) -> Settings:
    return Settings(preset="tiny", cache_dir=tmp_path_factory.mktemp("gen-cache"))


@pytest.fixture(scope="module")
def tiny(tiny_settings):
    import torch

    from mmdemo.models.base import LoadContext

    spec = get_backend("generate", "sd-tiny")
    ctx = LoadContext(tiny_settings, torch.device("cpu"), torch.float32, lambda *_: None)
    return spec.load(spec, ctx)


def pixels(result) -> np.ndarray:
    return np.asarray(result.image, dtype=np.int16)


def test_tiny_loads_through_the_diffusers_pipeline_and_meets_the_protocol(tiny):
    from diffusers import StableDiffusionPipeline

    assert isinstance(tiny, ImageGenerator) and isinstance(tiny.pipe, StableDiffusionPipeline)
    assert type(tiny.pipe.scheduler).__name__ == "EulerDiscreteScheduler"
    assert tiny.pipe.scheduler.config.timestep_spacing == "trailing"
    assert tiny.info().is_random and tiny.info().parameters > 0
    result = tiny.generate("a red fox in the snow", GenerateOptions(steps=1))
    assert result.stopped == "done" and result.steps_done == 1
    assert result.image.size == (128, 128) and result.image.mode == "RGB"  # 512 / pixel_scale 4
    assert "safety checker" in result.note and result.backend == "sd-tiny"


def test_same_seed_same_image_other_seed_other_image(tiny):
    a = tiny.generate("a lighthouse", GenerateOptions(steps=2, seed=3))
    b = tiny.generate("a lighthouse", GenerateOptions(steps=2, seed=3))
    c = tiny.generate("a lighthouse", GenerateOptions(steps=2, seed=4))
    assert np.array_equal(pixels(a), pixels(b))
    assert np.abs(pixels(a) - pixels(c)).mean() > 1.0


def test_on_step_is_called_once_per_step(tiny):
    seen: list[tuple[int, int]] = []
    result = tiny.generate("a boat", GenerateOptions(steps=4), on_step=lambda *s: seen.append(s))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)] and result.steps_done == 4


def test_cancel_after_the_first_step_stops_without_decoding(tiny):
    cancel = threading.Event()
    seen: list[int] = []

    def on_step(done, total):
        seen.append(done)
        if done == 1:
            cancel.set()

    result = tiny.generate("a cat", GenerateOptions(steps=4), on_step=on_step, cancel=cancel)
    assert result.stopped == "cancelled" and result.steps_done == 1 and seen == [1]
    assert result.image is None and result.to_json()["has_image"] is False
    # a request cancelled before it started never runs the model
    ran: list[int] = []
    early = tiny.generate("a cat", GenerateOptions(steps=4), on_step=ran.append, cancel=cancel)
    assert early.stopped == "cancelled" and early.steps_done == 0 and ran == []


def test_a_passed_deadline_decodes_what_the_first_step_made(tiny):
    seen: list[int] = []
    result = tiny.generate(
        "a cat",
        GenerateOptions(steps=4),
        on_step=lambda done, _: seen.append(done),
        deadline=time.monotonic() - 1,
    )
    assert result.stopped == "time" and result.steps_done == 1 and seen == [1]
    assert result.image is not None and result.image.size == (128, 128)


@pytest.mark.parametrize(
    "prompt, options",
    [
        ("", {}),
        ("x" * (MAX_PROMPT_CHARS + 1), {}),
        (None, {}),
        ("a cat", {"steps": 9}),
        ("a cat", {"width": 1024}),
        ("a cat", {"height": 300}),
    ],
)
def test_bounds_are_refused_before_any_model_work(tiny, prompt, options, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("the pipeline ran")

    monkeypatch.setattr(tiny, "pipe", boom)
    with pytest.raises(BadInputError):
        tiny.generate(prompt, options if options else GenerateOptions())


def test_the_generator_is_serialised_and_needs_no_global_seed(tiny):
    import torch

    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    tiny.generate("a tree", GenerateOptions(seed=9))
    assert torch.equal(torch.random.get_rng_state(), before)  # per-call generator only
    assert tiny.lock.acquire(blocking=False)
    tiny.lock.release()


def test_download_fetches_every_file_of_a_diffusers_repo(tiny, tmp_path, monkeypatch):
    """A tiny pipeline laid out as sd-turbo's repo (fp16 variant names) on a fake hub: the
    real spec's hub_files fetch every subfolder file, and the backend loads them offline."""
    source = Path(tiny.pipe.config._name_or_path)
    repo = "test/sd-turbo-shaped"
    spec = BackendSpec(
        task="generate",
        name="sd-turbo-test",
        load=sd_turbo.load,
        hub_files=sd_turbo.hub_files,
        description="test",
        options={"repo": repo},
    )
    weights = spec.weights(Settings())
    wanted = set(sd_turbo.CONFIG_FILES) | {pair[0] for pair in sd_turbo.WEIGHT_FILES}
    assert {w.filenames[0] for w in weights} == wanted
    cache = tmp_path / "cache"
    with FakeHub(tmp_path / "hub") as hub:
        for name in sd_turbo.CONFIG_FILES:
            hub.add_file(repo, name, source / name)
        for fp16, full in sd_turbo.WEIGHT_FILES:
            hub.add_file(repo, fp16, source / full)  # served under the fp16 variant's name
        hub.add_file(repo, "README.md", b"# card\n")
        hub.add_file(repo, "sd_turbo.safetensors", b"single-file checkpoint, not needed")
        use_hub(monkeypatch, hub.url)
        fetched = download_weights(weights, cache)
        assert all(f.downloaded for f in fetched) and all(is_cached(w, cache) for w in weights)
        asked = {path for _, path in hub.requests}
        assert not any("README" in p or "sd_turbo.safetensors" in p for p in asked)

        go_offline(monkeypatch)
        seen = len(hub.requests)
        import torch

        from mmdemo.models.base import LoadContext

        ctx = LoadContext(Settings(cache_dir=cache), torch.device("cpu"), torch.float32, None)
        backend = spec.load(spec, ctx)
        assert len(hub.requests) == seen  # loaded from the cache alone
    folder = Path(backend.pipe.config._name_or_path)
    assert sd_turbo._variant(folder) == "fp16"
    result = backend.generate("a red fox", GenerateOptions(steps=1, width=256, height=256))
    assert result.image.size == (256, 256) and not backend.info().is_random
