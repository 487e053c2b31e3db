"""``python -m mmdemo download``: weights fetched from a (fake, local) hub, then loaded offline.

Why a fake hub: the download path must be tested without internet. ``tests/support/
fake_hub.py`` answers the requests huggingface_hub makes; ``HF_ENDPOINT`` points at it (the
hub code passes the endpoint explicitly, so setting the variable is enough in-process).
The subprocess gets exactly the environment it needs, whatever the caller exported.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pytest
from PIL import Image

from mmdemo.cli.commands import download
from mmdemo.cli.main import main
from mmdemo.core.config import Settings
from mmdemo.models.hub.preset_weights import download_preset, missing_weights
from mmdemo.serving import ModelServer
from tests.support.app_process import free_port, run_mmdemo
from tests.support.fake_hub import CLIP_ONLY, FakeHub, go_offline, use_hub

FULL_REPO = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"  # what open_clip names for laion2b_s34b_b79k
# The fake hub holds only the ViT-B-32 checkpoint; these tests pin the embedder to it (so no
# alternative embedder is downloaded) and keep `full`'s other tasks on backends without hub
# weights (the BLIP/ViLT downloads are covered in


@pytest.fixture(scope="module")
def full_hub(tmp_path_factory, random_vit_b_32_checkpoint):
    """A fake hub holding a random ViT-B-32 where ``full`` expects its weights (only the .bin)."""
    path, expected = random_vit_b_32_checkpoint
    with FakeHub(tmp_path_factory.mktemp("hub")) as hub:
        hub.add_file(FULL_REPO, "open_clip_pytorch_model.bin", path, link=True)
        hub.add_file(FULL_REPO, "README.md", b"# not needed\n")
        yield hub, expected


def test_full_preset_downloads_then_loads_offline(full_hub, tmp_path, monkeypatch, capsys):
    """The whole story in-process: ``run`` (the command's body) fills a folder; offline,
    ``full`` loads from it through the real loading code with no request to any hub."""
    hub, expected = full_hub
    cache = tmp_path / "weights"
    settings = Settings(
        preset="full", cache_dir=cache, index_default_gallery=False, backends=CLIP_ONLY
    )
    [needed] = missing_weights("full", settings)  # a cache folder that does not exist yet
    assert needed.repo_id == FULL_REPO and "open_clip_pytorch_model.bin" in needed.filenames

    use_hub(monkeypatch, hub.url)
    monkeypatch.setenv("MMDEMO_INDEX_DEFAULT_GALLERY", "false")
    monkeypatch.setenv("MMDEMO_BACKENDS", CLIP_ONLY)  # the command reads its settings there
    started = time.perf_counter()
    args = argparse.Namespace(preset="full", dir=cache, verbose=False)
    assert download.run(args) == 0
    out = capsys.readouterr().out
    assert time.perf_counter() - started < 60  # 600 MB over localhost: ~3 s here
    assert "downloaded" in out and "open_clip_pytorch_model.bin" in out and "MiB" in out
    assert f"MMDEMO_CACHE_DIR={cache.resolve()} MMDEMO_PRESET=full python app.py" in out
    assert ("HEAD", f"/{FULL_REPO}/resolve/main/open_clip_model.safetensors") in hub.requests
    assert not any("README" in path for _, path in hub.requests)  # only what is needed

    go_offline(monkeypatch)
    assert missing_weights("full", settings) == []
    seen = len(hub.requests)
    embedder = ModelServer(settings, "full").get("embed")
    assert len(hub.requests) == seen  # no network while loading
    assert embedder.model_id == "open_clip:ViT-B-32/laion2b_s34b_b79k" and embedder.dim == 512
    texts = embedder.embed_texts(["a photo of a cat", "a red car"])
    images = embedder.embed_images([Image.new("RGB", (64, 48), "red"), Image.new("RGB", (9, 9))])
    for vectors in (texts, images):
        assert vectors.shape == (2, 512) and np.isfinite(vectors).all()
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(texts[0], expected, atol=1e-4)  # the hub's weights were loaded

    use_hub(monkeypatch, hub.url)  # a second download skips the cached file
    seen = len(hub.requests)
    assert download_preset("full", settings, cache)[0].paths[0].name == (
        "open_clip_pytorch_model.bin"
    )
    assert len(hub.requests) == seen


def test_download_command_as_a_subprocess(full_hub, tmp_path):
    """The command a person runs, in an environment of its own: the hub switched on (even
    when the caller exported HF_HUB_OFFLINE=1) and pointed at the fake hub."""
    hub, _ = full_hub
    cache = tmp_path / "weights"
    result = run_mmdemo(
        *("download", "--preset", "full", "--dir", str(cache)),
        timeout=180,
        HF_HUB_OFFLINE=None,
        HF_ENDPOINT=hub.url,
        MMDEMO_BACKENDS=CLIP_ONLY,
    )
    assert result.returncode == 0, result.stderr
    assert f"MMDEMO_CACHE_DIR={cache.resolve()} MMDEMO_PRESET=full python app.py" in result.stdout
    assert missing_weights("full", Settings(cache_dir=cache, backends=CLIP_ONLY)) == []


def test_download_command_unreachable_hub_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")  # nothing listens
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert main(["download", "--dir", str(tmp_path / "weights")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("error: ") and "MMDEMO_PRESET=lite" in captured.err


@pytest.mark.parametrize("preset", ["lite", "tiny"])
def test_presets_without_hub_weights_have_nothing_to_download(
    preset, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("MMDEMO_CACHE_DIR", str(tmp_path / "nowhere"))
    assert download.run(argparse.Namespace(preset=preset, dir=None)) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert "nothing to download" in line
