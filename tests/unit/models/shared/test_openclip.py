"""open_clip helpers shared by every open_clip backend: which hub file holds a checkpoint,
and which one the settings choose."""

from __future__ import annotations

from mmdemo.core.config import Settings
from mmdemo.models.hub.preset_weights import required_weights
from mmdemo.models.registry import get_backend
from mmdemo.models.shared.openclip import checkpoint_weights, model_choice, openclip_hub_files
from tests.support.fake_hub import CLIP_ONLY


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


def test_settings_change_only_a_real_models_choice():
    full = get_backend("embed", "openclip-vit-b-32")
    tiny = get_backend("embed", "openclip-tiny")
    overridden = Settings(clip_model="ViT-B-16", clip_pretrained="laion2b_s34b_b88k")
    assert model_choice(full, Settings()) == ("ViT-B-32", "laion2b_s34b_b79k")
    assert model_choice(full, overridden) == ("ViT-B-16", "laion2b_s34b_b88k")
    assert model_choice(tiny, overridden) == ("mmdemo-tiny-clip", None)  # random stays random
    assert openclip_hub_files(tiny, Settings()) == []


def test_a_hub_entry_ending_in_a_slash_means_the_default_weight_files():
    weights = checkpoint_weights("ViT-B-32", "laion2b_s34b_b79k", "org/repo/")
    assert weights.repo_id == "org/repo"
    assert weights.filenames == ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
    one_file = checkpoint_weights("ViT-B-32", "laion2b_s34b_b79k", "org/repo/weights.bin")
    assert (one_file.repo_id, one_file.filenames) == ("org/repo", ("weights.bin",))
    assert checkpoint_weights("ViT-B-32", None) is None  # random init: nothing to fetch
    assert checkpoint_weights("ViT-B-32", "/models/mine.pt") is None  # a local file
