"""Tiny random twins of hub models: built once per seed, into a folder like a hub snapshot."""

from __future__ import annotations

from pathlib import Path

from mmdemo.core.config import Settings
from mmdemo.models.hub.tiny import build_blip_caption, tiny_model_dir, tiny_root, tiny_vocab


def test_tiny_folders_are_built_once_per_seed(hf_settings):
    first = tiny_model_dir("blip-caption", build_blip_caption, hf_settings, seed=0)
    stamp = (first / "config.json").stat().st_mtime_ns
    assert first.parent == Path(hf_settings.cache_dir) / "tiny-hf"
    assert tiny_model_dir("blip-caption", build_blip_caption, hf_settings, seed=0) == first
    assert (first / "config.json").stat().st_mtime_ns == stamp
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")]  # no leftovers


def test_tiny_root_is_the_cache_or_the_home_cache(tmp_path):
    assert tiny_root(Settings(cache_dir=tmp_path)) == tmp_path / "tiny-hf"
    assert tiny_root(Settings()) == Path.home() / ".cache" / "mmdemo" / "tiny-hf"


def test_the_tiny_vocabulary_spells_any_latin_word():
    vocab = tiny_vocab()
    assert len(vocab) == len(set(vocab)) and vocab[:2] == ["[PAD]", "[UNK]"]
    assert {chr(c) for c in range(ord("a"), ord("z") + 1)} <= set(vocab)
    assert {f"##{chr(c)}" for c in range(ord("a"), ord("z") + 1)} <= set(vocab)
