"""The multilingual open_clip backend (``backends/openclip_xlm_roberta.py``) and its twin.

The tiny twin drives the real construction (a transformers XLM-R text tower built from a
local folder, open_clip's CustomTextCLIP, the HF tokenizer); the hub path is tested with a
fake hub serving a tiny text-tower folder and a tiny checkpoint, downloaded, then loaded
offline through the same ``load``; the real architecture (366 M parameters, random weights)
is the slow test.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.errors import IndexMismatchError
from mmdemo.models.backends import openclip_xlm_roberta as xlm
from mmdemo.models.hub.preset_weights import download_preset, missing_weights
from mmdemo.models.registry import BackendSpec, add_backend, get_backend, remove_backend
from mmdemo.services.gallery import Gallery
from mmdemo.serving import ModelServer
from tests.support.fake_hub import CLIP_ONLY, FakeHub, go_offline, use_hub
from tests.support.images import write_test_image

TWIN = "embed=openclip-xlm-roberta-tiny"
TEXT_REPO = "FacebookAI/xlm-roberta-base"


def twin_server(tmp_path, **changes) -> ModelServer:
    settings = Settings(preset="tiny", backends=TWIN, cache_dir=tmp_path / "cache", **changes)
    return ModelServer(settings)


def test_the_twin_embeds_text_in_any_script_and_images(tmp_path):
    server = twin_server(tmp_path)
    embedder = server.get("embed")
    assert server.is_random("embed") and server.spec_for("embed").capabilities.languages == ("*",)
    assert embedder.model_id == f"open_clip:{xlm.TINY_ARCH}/random-seed0"
    texts = embedder.embed_texts(["一只猫", "a cat", "a cat", "кошка"])
    images = embedder.embed_images([Image.new("RGB", (80, 60), "red"), Image.new("RGB", (9, 9))])
    for vectors in (texts, images):
        assert vectors.dtype == np.float32 and vectors.shape[1] == embedder.dim == 64
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(texts[1], texts[2], atol=1e-6)  # deterministic
    assert not np.allclose(texts[0], texts[1])  # Chinese is read, not all <unk>
    ids = embedder.tokenize(["一只猫"])[0].tolist()
    unk = embedder.tokenizer.tokenizer.unk_token_id
    assert [i for i in ids if i not in (0, 1, 2)] and unk not in ids


def test_the_twin_is_built_once_and_seeded(tmp_path):
    first = twin_server(tmp_path).get("embed").embed_texts(["猫"])
    again = twin_server(tmp_path).get("embed").embed_texts(["猫"])
    np.testing.assert_allclose(first, again, atol=1e-6)
    assert len(list((tmp_path / "cache" / "tiny-hf").glob("xlm-roberta-text-*"))) == 1


def test_an_index_built_by_another_embedder_is_refused_with_the_re_embed_offer(tmp_path):
    pictures = [write_test_image(tmp_path / f"{i}.png", color=(40 * i, 90, 200)) for i in range(3)]
    index_dir = tmp_path / "index"
    common = dict(index_dir=index_dir, index_default_gallery=False, cache_dir=tmp_path / "cache")
    english = ModelServer(Settings(preset="tiny", backends="embed=openclip-tiny", **common))
    Gallery(english, english.settings).add_files(pictures)

    multilingual = twin_server(tmp_path, index_dir=index_dir, index_default_gallery=False)
    gallery = Gallery(multilingual, multilingual.settings)
    refused = gallery.mismatch()
    assert isinstance(refused, IndexMismatchError)
    assert "mmdemo-tiny-clip" in str(refused) and xlm.TINY_ARCH in str(refused)
    assert "Re-embed" in str(refused) and "--rebuild" in str(refused)
    report = gallery.reembed()
    assert report.added == 3 and gallery.stats().model_id == multilingual.get("embed").model_id


@pytest.fixture
def tiny_hub_spec(tmp_path):
    """A non-random spec of this backend whose architecture is the twin's: its checkpoint
    and text tower come from a fake hub, through the real (full) code path."""
    tower = tmp_path / "tower"
    tower.mkdir()
    xlm.build_tiny_text_tower(tower)
    from mmdemo.models.shared.openclip import build_openclip, register_configs

    register_configs(tower / f"{xlm.TINY_ARCH}.json")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(7)
        model, _, _ = build_openclip(
            xlm.TINY_ARCH, None, torch.device("cpu"), torch.float32, text_tower=tower
        )
    checkpoint = tmp_path / "open_clip_pytorch_model.bin"
    torch.save(model.state_dict(), checkpoint)
    real = get_backend("embed", "openclip-xlm-roberta-base-vit-b-32")
    spec = BackendSpec(
        task="embed",
        name="xlm-roberta-hub-test",
        load=real.load,
        hub_files=real.hub_files,
        description="the real spec's code on the twin's architecture",
        options={**real.options, "arch": xlm.TINY_ARCH, "pretrained": "test-tag",
                 "hub": "test/tiny-xlm-clip/"},
    )  # fmt: skip
    add_backend(spec)
    yield spec, tower, checkpoint
    remove_backend("embed", spec.name)


def test_download_then_load_offline_through_the_real_path(tiny_hub_spec, tmp_path, monkeypatch):
    spec, tower, checkpoint = tiny_hub_spec
    cache = tmp_path / "weights"
    settings = Settings(
        preset="tiny", backends=f"embed={spec.name}", cache_dir=cache, index_default_gallery=False
    )
    with FakeHub(tmp_path / "hub") as hub:
        hub.add_file("test/tiny-xlm-clip", "open_clip_pytorch_model.bin", checkpoint)
        for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
            hub.add_file(TEXT_REPO, name, tower / name)
        assert {w.repo_id for w in missing_weights("tiny", settings)} == {
            "test/tiny-xlm-clip",
            TEXT_REPO,
        }
        use_hub(monkeypatch, hub.url)
        fetched = download_preset("tiny", settings, cache)
        assert {f.weights.repo_id for f in fetched if f.downloaded} == {
            "test/tiny-xlm-clip",
            TEXT_REPO,
        }
        go_offline(monkeypatch)
        assert missing_weights("tiny", settings) == []
        seen = len(hub.requests)
        embedder = ModelServer(settings).get("embed")
        assert len(hub.requests) == seen  # nothing fetched while loading
    assert embedder.model_id == f"open_clip:{xlm.TINY_ARCH}/test-tag"
    reference = torch.load(checkpoint, weights_only=True)
    loaded = embedder.model.state_dict()
    assert all(torch.equal(loaded[k].float(), v.float()) for k, v in reference.items())
    vectors = embedder.embed_texts(["一只猫", "a cat"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_the_real_spec_names_open_clips_hub_entry_and_its_text_tower():
    import open_clip

    spec = get_backend("embed", "openclip-xlm-roberta-base-vit-b-32")
    tag = open_clip.get_pretrained_cfg(spec.option("arch"), spec.option("pretrained"))
    assert spec.option("hub") == tag["hf_hub"]
    text_cfg = open_clip.get_model_config(spec.option("arch"))["text_cfg"]
    assert spec.option("text_repo").endswith("/" + text_cfg["hf_model_name"])
    repos = [w.repo_id for w in spec.weights(Settings())]
    assert repos == ["laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k", TEXT_REPO]


@pytest.mark.slow
def test_the_full_size_architecture_downloads_and_loads_offline(tmp_path, monkeypatch):
    """366 M random parameters (~1.5 GB) through the fake hub: the real spec, end to end."""
    from transformers import XLMRobertaConfig

    from mmdemo.models.shared.openclip import build_openclip

    spec = get_backend("embed", "openclip-xlm-roberta-base-vit-b-32")
    tower = tmp_path / "tower"
    tower.mkdir()
    xlm.build_tiny_text_tower(tower)  # its tokenizer; the config below is XLM-R base's own
    XLMRobertaConfig(  # FacebookAI/xlm-roberta-base's config.json
        vocab_size=250002,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        max_position_embeddings=514,
        type_vocab_size=1,
        layer_norm_eps=1e-5,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    ).save_pretrained(tower)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model, _, _ = build_openclip(
            spec.option("arch"), None, torch.device("cpu"), torch.float32, text_tower=tower
        )
    checkpoint = tmp_path / "open_clip_pytorch_model.bin"
    torch.save(model.state_dict(), checkpoint)
    del model
    repo = spec.option("hub").rstrip("/")
    settings = Settings(
        preset="full",
        backends=CLIP_ONLY.replace("embed=openclip-vit-b-32", f"embed={spec.name}"),
        cache_dir=tmp_path / "weights",
        index_default_gallery=False,
    )
    with FakeHub(tmp_path / "hub") as hub:
        hub.add_file(repo, "open_clip_pytorch_model.bin", checkpoint, link=True)
        for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
            hub.add_file(TEXT_REPO, name, tower / name)
        use_hub(monkeypatch, hub.url)
        download_preset("full", settings, settings.cache_dir)
        go_offline(monkeypatch)
        embedder = ModelServer(settings).get("embed")
    assert embedder.model_id == "open_clip:xlm-roberta-base-ViT-B-32/laion5b_s13b_b90k"
    assert embedder.dim == 512 and sum(p.numel() for p in embedder.model.parameters()) > 3e8
    vectors = embedder.embed_texts(["一只猫", "a cat"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
