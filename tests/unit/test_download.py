"""``python -m mmdemo download``: weights fetched from a (fake, local) hub, then loaded offline.

Why a fake hub: the download path must be tested without internet. ``tests/fake_hub.py``
answers the requests huggingface_hub makes; ``HF_ENDPOINT`` points at it (download.py
passes the endpoint explicitly, so setting the variable is enough in-process).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from mmdemo.config import Settings
from mmdemo.errors import ModelLoadError
from mmdemo.models import download
from mmdemo.models.download import (
    HubWeights,
    download_preset,
    download_weights,
    is_cached,
    missing_weights,
    required_weights,
)
from mmdemo.serving import ModelServer
from tests.conftest import REPO_ROOT, free_port
from tests.fake_hub import FakeHub, go_offline, unreachable_hub, use_hub
from tests.unit.test_serving import random_vit_b_32_checkpoint  # noqa: F401 - a fixture

FULL_REPO = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"  # what open_clip names for laion2b_s34b_b79k
# The fake hub holds only the CLIP checkpoint; these tests keep `full`'s other tasks on
# backends without hub weights (the BLIP/ViLT downloads are covered in test_hf_backends,
# DistilBERT's in test_distilbert_sentiment).
CLIP_ONLY = "caption=label-caption,vqa=routed-vqa,sentiment=vader"
_LOCAL = "127.0.0.1,localhost"


@pytest.fixture(scope="module")
def full_hub(tmp_path_factory, random_vit_b_32_checkpoint):  # noqa: F811
    """A fake hub holding a random ViT-B-32 where ``full`` expects its weights (only the .bin)."""
    path, expected = random_vit_b_32_checkpoint
    with FakeHub(tmp_path_factory.mktemp("hub")) as hub:
        hub.add_file(FULL_REPO, "open_clip_pytorch_model.bin", path, link=True)
        hub.add_file(FULL_REPO, "README.md", b"# not needed\n")
        yield hub, expected


def _cli_has_download() -> bool:
    from mmdemo.cli import build_parser

    with contextlib.redirect_stderr(io.StringIO()):
        try:
            build_parser().parse_args(["download"])
        except SystemExit:
            return False
    return True


def test_full_preset_downloads_then_loads_offline(full_hub, tmp_path, monkeypatch):
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
    started = time.perf_counter()
    args = argparse.Namespace(preset="full", dir=cache, verbose=False)
    out = "\n".join(download.run(args, Settings(index_default_gallery=False, backends=CLIP_ONLY)))
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
    assert download_preset("full", settings, cache)[0].name == "open_clip_pytorch_model.bin"
    assert len(hub.requests) == seen


@pytest.mark.skipif(not _cli_has_download(), reason="mmdemo/cli.py has no download command yet")
def test_download_command_as_a_subprocess(full_hub, tmp_path):
    hub, _ = full_hub
    env = {**os.environ, "HF_ENDPOINT": hub.url, "NO_PROXY": _LOCAL, "no_proxy": _LOCAL}
    env["MMDEMO_BACKENDS"] = CLIP_ONLY
    env.pop("HF_HUB_OFFLINE", None)
    env.pop("MMDEMO_CACHE_DIR", None)
    cache = tmp_path / "weights"
    result = subprocess.run(
        [sys.executable, "-m", "mmdemo", "download", "--preset", "full", "--dir", str(cache)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert f"MMDEMO_CACHE_DIR={cache.resolve()} MMDEMO_PRESET=full python app.py" in result.stdout
    assert missing_weights("full", Settings(cache_dir=cache, backends=CLIP_ONLY)) == []


@pytest.mark.skipif(not _cli_has_download(), reason="mmdemo/cli.py has no download command yet")
def test_download_command_unreachable_hub_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    from mmdemo.cli import main

    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")  # nothing listens
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert main(["download", "--dir", str(tmp_path / "weights")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("error: ") and "MMDEMO_PRESET=lite" in captured.err


@pytest.mark.parametrize("offline", [False, True], ids=["nothing-listens", "HF_HUB_OFFLINE"])
def test_unreachable_hub_fails_fast_with_advice(offline, tmp_path, monkeypatch):
    unreachable_hub(monkeypatch, offline)
    started = time.perf_counter()
    with pytest.raises(ModelLoadError) as caught:
        download_preset("full", Settings(), tmp_path / "empty")
    assert time.perf_counter() - started < 5
    message = str(caught.value)
    assert "ViT-B-32" in message and "cannot be reached" in message
    assert "MMDEMO_PRESET=lite" in message and "HF_ENDPOINT" in message
    assert ("HF_HUB_OFFLINE is set" in message) == offline


def test_full_needs_clip_blip_caption_blip_vqa_and_distilbert():
    repos = [w.repo_id for w in required_weights("full", Settings())]
    assert repos == [
        FULL_REPO,
        "Salesforce/blip-image-captioning-base",
        "Salesforce/blip-vqa-base",
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    ]
    overridden = Settings(backends="vqa=vilt-vqa")
    assert "dandelin/vilt-b32-finetuned-vqa" in [
        w.repo_id for w in required_weights("full", overridden)
    ]


@pytest.mark.parametrize("preset", ["lite", "tiny"])
def test_presets_without_hub_weights_need_nothing(preset, tmp_path):
    settings = Settings(cache_dir=tmp_path / "nowhere")
    assert required_weights(preset, settings) == []
    assert missing_weights(preset, settings) == []
    assert download_preset(preset, settings, None) == []  # no probe, no error
    [line] = download.run(argparse.Namespace(preset=preset, dir=None), settings)
    assert "nothing to download" in line


def test_open_clip_weights_follow_settings_overrides(tmp_path):
    label = "open_clip ViT-B-16/laion2b_s34b_b88k"
    overridden = Settings(
        clip_model="ViT-B-16", clip_pretrained="laion2b_s34b_b88k", backends=CLIP_ONLY
    )
    assert [(w.repo_id, w.label) for w in required_weights("full", overridden)] == [
        ("laion/CLIP-ViT-B-16-laion2B-s34B-b88K", label)
    ]
    local_file = Settings(clip_pretrained=str(tmp_path / "mine.pt"), backends=CLIP_ONLY)
    assert required_weights("full", local_file) == []


def test_missing_weights_is_local_and_fast(tmp_path, monkeypatch):
    """``auto`` asks at start-up: no network, no error for a cache folder that is absent."""
    monkeypatch.setenv("HF_ENDPOINT", "http://192.0.2.1:9")  # would hang if it were probed
    settings = Settings(cache_dir=tmp_path / "does" / "not" / "exist")
    missing_weights("full", settings)  # the first call imports the loader modules
    started = time.perf_counter()
    assert missing_weights("full", settings)[0].repo_id == FULL_REPO
    assert time.perf_counter() - started < 0.5
    assert not settings.cache_dir.exists()


def test_snapshot_weights_round_trip(tmp_path, monkeypatch):
    """``patterns`` (transformers models) download the matching files and only those."""
    repo = "tiny-org/tiny-text-model"
    wanted = {
        "config.json": b'{"hidden_size": 8}',
        "model.safetensors": os.urandom(4096),
        "vocab.txt": b"[PAD]\n[UNK]\nhello\n",
        "tokenizer/spiece.model": b"\x00sentencepiece",
    }
    weights = HubWeights(repo, patterns=("*.json", "*.safetensors", "*.txt", "*.model"))
    cache = tmp_path / "cache"
    assert weights.label == repo and not is_cached(weights, cache)
    with FakeHub(tmp_path / "hub") as hub:
        for name, content in {**wanted, "README.md": b"card", "pytorch_model.bin": b"x"}.items():
            hub.add_file(repo, name, content)
        use_hub(monkeypatch, hub.url)
        [fetched] = download_weights([weights], cache)
        assert fetched.downloaded
        snapshot = fetched.paths[0].parent
        assert {p.relative_to(snapshot).as_posix() for p in fetched.paths} == set(wanted)
        for path in fetched.paths:
            assert path.read_bytes() == wanted[path.relative_to(snapshot).as_posix()]
        assert is_cached(weights, cache)
        seen = len(hub.requests)
        [again] = download_weights([weights], cache)
        assert not again.downloaded and len(hub.requests) == seen  # served from the cache

    go_offline(monkeypatch)
    assert is_cached(weights, cache)
    (snapshot / "vocab.txt").unlink()  # a partial snapshot is not "cached"
    assert not is_cached(weights, cache)


def test_known_hub_locations_agree_with_open_clip():
    import open_clip

    from mmdemo.models.openclip_embed import KNOWN_HUB

    for (arch, tag), hub in KNOWN_HUB.items():
        assert open_clip.get_pretrained_cfg(arch, tag)["hf_hub"] == hub


def test_download_also_fetches_the_models_a_person_may_pick():
    defaults = [w.repo_id for w in required_weights("full", Settings())]
    everything = [w.repo_id for w in required_weights("full", Settings(), with_choices=True)]
    assert "dandelin/vilt-b32-finetuned-vqa" not in defaults  # auto needs only the defaults
    assert everything[: len(defaults)] == defaults
    assert "dandelin/vilt-b32-finetuned-vqa" in everything
    pinned = Settings(backends="vqa=blip-vqa")  # a pinned task offers no other choice
    assert "dandelin/vilt-b32-finetuned-vqa" not in [
        w.repo_id for w in required_weights("full", pinned, with_choices=True)
    ]
