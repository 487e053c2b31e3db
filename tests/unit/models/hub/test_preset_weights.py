"""What a preset needs from the hub, what of it is cached, and fetching the rest.

The hub is a fake one on localhost (``tests/support/fake_hub.py``) or one nobody can reach.
"""

from __future__ import annotations

import time

import pytest

from mmdemo.core.config import Settings
from mmdemo.core.errors import ModelLoadError
from mmdemo.models.backends import blip_vqa
from mmdemo.models.hub.preset_weights import (
    download_preset,
    download_weights,
    missing_weights,
    required_weights,
)
from mmdemo.models.hub.tiny import build_blip_vqa, build_tiny
from mmdemo.models.registry import get_backend
from tests.support.fake_hub import FakeHub, go_offline, unreachable_hub, use_hub

# what open_clip names for xlm-roberta-base-ViT-B-32/laion5b_s13b_b90k (full's default embedder)
FULL_REPO = "laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k"


def test_download_command_fills_the_cache_that_load_reads(tmp_path, monkeypatch, load_context):
    """``download_weights`` (the download command's body) and ``load`` agree on the files."""
    repo = "Salesforce/blip-vqa-base"
    full = get_backend("vqa", "blip-vqa")
    cache = tmp_path / "cache"
    source = build_tiny(build_blip_vqa, tmp_path / "repo", seed=1)
    with FakeHub(tmp_path / "hub") as hub:
        for path in source.iterdir():
            hub.add_file(repo, path.name, path)
        use_hub(monkeypatch, hub.url)
        [fetched] = download_weights(full.weights(Settings()), cache)
        assert fetched.downloaded
    go_offline(monkeypatch)
    backend = blip_vqa.load(full, load_context(Settings(cache_dir=cache)))
    assert backend.model_label == repo
    snapshot = fetched.paths[0].parent
    (snapshot / "model.safetensors").unlink()  # a partial snapshot is not used
    with pytest.raises(ModelLoadError, match="cannot be reached"):
        blip_vqa.load(full, load_context(Settings(cache_dir=cache)))


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


def test_full_needs_clip_blip_caption_blip_vqa_and_both_sentiment_models():
    repos = list(dict.fromkeys(w.repo_id for w in required_weights("full", Settings())))
    essential = [
        FULL_REPO,
        "FacebookAI/xlm-roberta-base",  # the multilingual text tower's config and tokenizer
        "Salesforce/blip-image-captioning-base",
        "Salesforce/blip-vqa-base",
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        "lxyuan/distilbert-base-multilingual-cased-sentiments-student",  # Chinese text
    ]
    opt_in = {  # re-rank, image generation and chat: downloaded, but auto does not need them
        "Salesforce/blip-itm-base-coco",
        "stabilityai/sd-turbo",
        "HuggingFaceTB/SmolVLM-256M-Instruct",
    }
    assert repos[: len(essential)] == essential and set(repos[len(essential) :]) == opt_in
    needed = required_weights("full", Settings(), essential_only=True)
    assert list(dict.fromkeys(w.repo_id for w in needed)) == essential
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


def test_missing_weights_is_local(tmp_path, monkeypatch):
    """``auto`` asks at start-up: no network, no error for a cache folder that is absent.

    Checked by what it does, not by a timer: any connection attempt fails the test.
    """
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError(f"missing_weights tried the network: {args}")

    monkeypatch.setenv("HF_ENDPOINT", "http://192.0.2.1:9")  # would hang if it were probed
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    settings = Settings(cache_dir=tmp_path / "does" / "not" / "exist")
    assert missing_weights("full", settings)[0].repo_id == FULL_REPO
    assert not settings.cache_dir.exists()


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
