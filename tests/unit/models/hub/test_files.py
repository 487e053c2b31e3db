"""Hub files: "is it cached?" (never the network) and "fetch it", against a fake local hub."""

from __future__ import annotations

import os

import pytest

from mmdemo.core.config import Settings
from mmdemo.models.hub.files import HubWeights, is_cached
from mmdemo.models.hub.preset_weights import download_weights
from mmdemo.models.hub.tiny import build_blip_vqa, build_tiny
from mmdemo.models.registry import get_backend
from tests.support.fake_hub import FakeHub, go_offline, use_hub


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


def test_a_snapshot_without_its_vocabulary_is_not_cached(tmp_path, monkeypatch):
    """An interrupted download (no vocabulary) is fetched again, not taken as complete."""
    repo = "Salesforce/blip-vqa-base"
    cache = tmp_path / "cache"
    source = build_tiny(build_blip_vqa, tmp_path / "repo", seed=1)
    [weights] = get_backend("vqa", "blip-vqa").weights(Settings())
    assert weights.repo_id == repo
    with FakeHub(tmp_path / "hub") as hub:
        for path in source.iterdir():
            hub.add_file(repo, path.name, path)
        use_hub(monkeypatch, hub.url)
        [fetched] = download_weights([weights], cache)
        assert is_cached(weights, cache)
        snapshot = fetched.paths[0].parent
        for name in ("vocab.txt", "tokenizer.json"):  # transformers 5 may save either
            (snapshot / name).unlink(missing_ok=True)
        assert not is_cached(weights, cache)
        [again] = download_weights([weights], cache)
        assert again.downloaded and is_cached(weights, cache)


def test_hub_weights_need_filenames_or_patterns_not_both():
    with pytest.raises(ValueError, match="filenames or patterns"):
        HubWeights("org/repo")
    with pytest.raises(ValueError, match="filenames or patterns"):
        HubWeights("org/repo", filenames=("a.bin",), patterns=("*.json",))
    single = HubWeights("org/repo", ["a.safetensors", "a.bin"], label="A")
    assert single.filenames == ("a.safetensors", "a.bin")
    assert single.describe() == "A (org/repo: a.safetensors | a.bin)"
