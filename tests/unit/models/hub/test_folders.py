"""A transformers model folder from a path, the hub cache, a download, or a tiny build.

The ``full`` loading path (``repo`` -> cache -> folder) is proven with a local fake hub
(``tests/support/fake_hub.py``) and then with the hub off, through the real loaders of
the BLIP caption, BLIP VQA and ViLT backends. Random weights stand in for the real ones.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

from mmdemo.core.config import Settings
from mmdemo.core.errors import ModelLoadError
from mmdemo.core.results import VqaResult
from mmdemo.models.backends import blip_caption, blip_vqa, vilt_vqa
from mmdemo.models.hub.files import HubWeights, is_cached
from mmdemo.models.hub.folders import DEFAULT_PATTERNS, hub_files, require_transformers_class
from mmdemo.models.hub.tiny import build_blip_caption, build_blip_vqa, build_tiny, build_vilt_vqa
from mmdemo.models.registry import BackendSpec, add_backend, remove_backend
from mmdemo.serving import ModelServer
from tests.support.fake_hub import FakeHub, go_offline, unreachable_hub, use_hub

pytestmark = pytest.mark.usefixtures("one_thread")

MODULES = {"blip-caption": blip_caption, "blip-vqa": blip_vqa, "vilt-vqa": vilt_vqa}
BUILDERS = {
    "blip-caption": build_blip_caption,
    "blip-vqa": build_blip_vqa,
    "vilt-vqa": build_vilt_vqa,
}
REPOS = {
    "blip-caption": "Salesforce/blip-image-captioning-base",
    "blip-vqa": "Salesforce/blip-vqa-base",
    "vilt-vqa": "dandelin/vilt-b32-finetuned-vqa",
}
TASKS = {"blip-caption": "caption", "blip-vqa": "vqa", "vilt-vqa": "vqa"}
# dandelin's repo has only pytorch_model.bin on its main branch (safetensors sit in a PR).
VILT_PATTERNS = ("*.json", "*.txt", "pytorch_model.bin")


def _tiny_spec(kind: str, **changes) -> BackendSpec:
    fields = dict(
        task=TASKS[kind],
        name=f"test-{kind}-tiny",
        load=MODULES[kind].load,
        hub_files=hub_files,
        description=f"tiny random {kind}",
        options={"tiny": kind, "seed": 0},
        is_random=True,
    )
    return BackendSpec(**{**fields, **changes})


def _full_spec(kind: str, **options) -> BackendSpec:
    options = {"repo": REPOS[kind], **options}
    if kind == "vilt-vqa" and "path" not in options:
        options.setdefault("patterns", VILT_PATTERNS)
    return BackendSpec(
        task=TASKS[kind],
        name=f"test-{kind}-full",
        load=MODULES[kind].load,
        hub_files=hub_files,
        description=f"full {kind}",
        options=options,
    )


def _random_model_folder(kind: str, folder: Path) -> Path:
    """A random model saved with save_pretrained, as a hub repo would hold it."""
    build_tiny(BUILDERS[kind], folder, seed=1)
    if kind == "vilt-vqa":  # like dandelin's repo: pytorch_model.bin, no safetensors
        from safetensors.torch import load_file

        state = load_file(folder / "model.safetensors")
        torch.save(state, folder / "pytorch_model.bin")
        (folder / "model.safetensors").unlink()
    return folder


def _exercise(backend, kind: str, image) -> None:
    """One real call: the loaded model and processor work together."""
    if kind == "blip-caption":
        assert isinstance(backend.caption(image, max_length=6).caption, str)
    else:
        result = backend.answer(image, "what is it?")
        assert isinstance(result, VqaResult) and result.model == backend.model_label


def test_a_tiny_spec_must_say_it_is_random(hf_settings, load_context):
    not_random = _tiny_spec("blip-caption", name="bad", is_random=False)
    with pytest.raises(ModelLoadError, match="is_random=True"):
        blip_caption.load(not_random, load_context(hf_settings))


@pytest.mark.parametrize("kind", list(MODULES))
def test_full_loads_a_local_folder_given_as_path(
    kind, tmp_path, hf_settings, load_context, sample_images
):
    folder = _random_model_folder(kind, tmp_path / "model")
    backend = MODULES[kind].load(_full_spec(kind, path=str(folder)), load_context(hf_settings))
    assert str(folder) in backend.model_label and not backend.info().is_random
    _exercise(backend, kind, sample_images(1)[0])


def test_a_path_without_a_model_is_a_clear_error(tmp_path, hf_settings, load_context):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelLoadError, match=r"not a folder with config\.json and a weights"):
        blip_caption.load(_full_spec("blip-caption", path=str(tmp_path)), load_context(hf_settings))


@pytest.fixture
def registered():
    """Register a ``full``-style spec for the test and unregister it afterwards."""
    added = []

    def register(backend_spec):
        add_backend(backend_spec, replace=True)
        added.append(backend_spec)
        return backend_spec

    yield register
    for backend_spec in added:
        remove_backend(backend_spec.task, backend_spec.name)


@pytest.mark.parametrize("kind", list(MODULES))
def test_full_repo_downloads_once_then_loads_from_the_cache_offline(
    kind, tmp_path, monkeypatch, registered, sample_images
):
    """repo -> (hub answers) snapshot into the cache -> offline, the same load hits no network.

    Through the serving module's front door, with the backend chosen by MMDEMO_BACKENDS.
    """
    repo = REPOS[kind]
    full = registered(_full_spec(kind))
    [weights] = full.weights(Settings())
    assert weights.repo_id == repo
    cache = tmp_path / "cache"
    settings = Settings(
        preset="tiny",
        cache_dir=cache,
        backends=f"{full.task}={full.name}",
        index_default_gallery=False,
    )
    source = _random_model_folder(kind, tmp_path / "repo")
    with FakeHub(tmp_path / "hub") as hub:
        for path in source.iterdir():
            hub.add_file(repo, path.name, path)
        hub.add_file(repo, "README.md", b"# model card\n")
        use_hub(monkeypatch, hub.url)
        backend = ModelServer(settings).get(full.task)  # not cached: downloaded on first use
        assert backend.model_label == repo
        assert not any("README" in path for _, path in hub.requests)
        assert is_cached(weights, cache)

        go_offline(monkeypatch)
        seen = len(hub.requests)
        backend = ModelServer(settings).get(full.task)
        assert len(hub.requests) == seen  # loaded from the cache, no network
        assert backend.model_label == repo and not backend.info().is_random
        _exercise(backend, kind, sample_images(1)[0])


@pytest.mark.parametrize("offline", [False, True], ids=["nothing-listens", "HF_HUB_OFFLINE"])
@pytest.mark.parametrize("kind", list(MODULES))
def test_not_cached_and_no_hub_fails_fast_with_advice(
    kind, offline, tmp_path, monkeypatch, load_context
):
    unreachable_hub(monkeypatch, offline)
    loader = MODULES[kind]
    started = time.perf_counter()
    with pytest.raises(ModelLoadError) as caught:
        loader.load(_full_spec(kind), load_context(Settings(cache_dir=tmp_path / "empty")))
    assert time.perf_counter() - started < 5
    message = str(caught.value)
    assert REPOS[kind] in message and "cannot be reached" in message
    assert "python -m mmdemo download" in message and "MMDEMO_PRESET=lite" in message


def test_hub_weights_name_the_repo_only_for_hub_specs():
    full = _full_spec("blip-caption")
    assert full.weights(Settings()) == [
        HubWeights(REPOS["blip-caption"], patterns=DEFAULT_PATTERNS)
    ]
    [vilt] = _full_spec("vilt-vqa").weights(Settings())
    assert vilt.repo_id == REPOS["vilt-vqa"] and vilt.patterns == VILT_PATTERNS
    assert _tiny_spec("blip-vqa").weights(Settings()) == []
    assert _full_spec("blip-vqa", path="/models/blip").weights(Settings()) == []


def test_missing_transformers_class_says_what_to_install():
    assert require_transformers_class("BlipProcessor").__name__ == "BlipProcessor"
    with pytest.raises(ModelLoadError, match="pip install"):
        require_transformers_class("NoSuchModelForAnything", "some model")
