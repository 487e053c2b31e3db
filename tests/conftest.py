"""Fixtures for every test: a clean environment, the real app as a subprocess, test images.

The environment is scrubbed when this file is imported, before any library reads it (see
``tests/support/environment.py``): the suite runs the same whatever the caller exported.
The app servers start once per session, in the ``tiny`` preset (random weights, offline)
or with no preset and no network (``auto`` must pick ``lite``), each with a fresh index
folder, so they never touch the developer's real ``index/``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.environment import scrub

scrub(os.environ, hf_home=tempfile.mkdtemp(prefix="mmdemo-tests-hf-"))

from tests.support.app_process import AppProcess, AppStartError  # noqa: E402
from tests.support.images import write_test_image  # noqa: E402


def start_app(work: Path, **env: str | None) -> AppProcess:
    """Enter an ``AppProcess`` or fail the test with the app's log (not a traceback)."""
    app = AppProcess(work, **env)
    try:
        return app.__enter__()
    except AppStartError as err:
        pytest.fail(str(err), pytrace=False)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    """``python app.py`` with the tiny preset (random weights): shapes, types, behaviour."""
    app = start_app(tmp_path_factory.mktemp("app_server"), MMDEMO_PRESET="tiny")
    yield app
    app.stop()


@pytest.fixture(scope="session")
def offline_app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    """Plain ``python app.py`` with no preset set and no network: auto must pick ``lite``."""
    work = tmp_path_factory.mktemp("offline_app")
    empty_cache = work / "hf-cache"
    empty_cache.mkdir()
    app = start_app(work, MMDEMO_CACHE_DIR=str(empty_cache), HF_ENDPOINT="http://127.0.0.1:9")
    yield app
    app.stop()


# The per-visitor app's admin password (tests/integration/test_visitors.py re-embeds with it).
PER_VISITOR_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def per_visitor_app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    """``python app.py`` as a public Space: tiny, ``MMDEMO_GALLERY_MODE=per-visitor``, the
    admin password ``PER_VISITOR_PASSWORD``, 4 images per visitor. Shared by the browser and
    the gradio_client visitor tests (one app start fewer): each test's visitors are new
    sessions, and no visitor can change the base without the password."""
    app = start_app(
        tmp_path_factory.mktemp("per_visitor_app"),
        MMDEMO_PRESET="tiny",
        MMDEMO_GALLERY_MODE="per-visitor",
        MMDEMO_ADMIN_PASSWORD=PER_VISITOR_PASSWORD,
        MMDEMO_VISITOR_MAX_IMAGES="4",
    )
    yield app
    app.stop()


@pytest.fixture(scope="session")
def gradio_client(app_server: AppProcess):
    """A ``gradio_client.Client`` connected to the session's tiny app server."""
    return app_server.client()


@pytest.fixture(scope="session")
def offline_client(offline_app_server: AppProcess):
    """A ``gradio_client.Client`` for the offline (auto -> lite) app server."""
    return offline_app_server.client()


@pytest.fixture(scope="session")
def random_vit_b_32_checkpoint(tmp_path_factory):
    """A randomly initialised full-size ViT-B-32 saved as an open_clip checkpoint file, and
    its (seeded) embedding of "a photo of a cat": built once (~600 MB, seconds) per run."""
    import open_clip
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        model = open_clip.create_model("ViT-B-32", pretrained=None)
    path = tmp_path_factory.mktemp("ckpt") / "vit_b_32_random.pt"
    torch.save(model.state_dict(), path)
    probe = open_clip.get_tokenizer("ViT-B-32")(["a photo of a cat"])
    with torch.inference_mode():
        expected = torch.nn.functional.normalize(model.encode_text(probe), dim=-1)[0].numpy()
    return path, expected


@pytest.fixture
def make_test_image(tmp_path: Path) -> Callable[..., Path]:
    """``make_test_image("cat.png", color=(...))`` writes a small valid image in tmp_path."""

    def make(name: str = "test.png", **kwargs) -> Path:
        return write_test_image(tmp_path / name, **kwargs)

    return make
