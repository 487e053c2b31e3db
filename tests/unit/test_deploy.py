"""Deployment: the Space's front matter and where a Space keeps its index and caches.

One source of truth: the README's ``preload_from_hub`` (what a Space downloads at build
time) must be exactly what ``python -m mmdemo download --preset full`` fetches (the backends'
own ``hub_files``), so adding a model to the preset without preloading it fails here.
"""

from __future__ import annotations

import yaml

from mmdemo.core.config import PROJECT_ROOT, Settings
from mmdemo.core.spaces import apply_space_storage, default_hf_home
from mmdemo.models.hub.preset_weights import required_weights


def front_matter() -> dict:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n"), "README.md must start with the Space's YAML block"
    return yaml.safe_load(text.split("---\n", 2)[1])


def preload_entry(weights) -> str:
    """The line ``download`` implies: the repo, then its file patterns (a folder), or the
    first of its alternative files (open_clip's safetensors before its .bin)."""
    files = ",".join(weights.patterns) if weights.patterns else weights.filenames[0]
    return f"{weights.repo_id} {files}"


def test_front_matter_preloads_exactly_what_download_full_fetches():
    wanted = [preload_entry(w) for w in required_weights("full", Settings(), with_choices=True)]
    assert front_matter()["preload_from_hub"] == wanted


def test_front_matter_runs_this_app():
    meta = front_matter()
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    pinned = {
        line.split("==")[0]: line.split("==")[1]
        for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert meta["sdk_version"] == pinned["gradio"]  # the Space runs the Gradio we test


def space_env(**extra) -> dict:
    return {"SPACE_ID": "someone/mmdemo", **extra}


def test_on_a_space_with_storage_index_and_model_cache_go_to_data(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    env = space_env(XDG_CACHE_HOME=str(tmp_path / "image-cache"))  # nothing preloaded
    said = apply_space_storage(env, data)
    assert env["MMDEMO_INDEX_DIR"] == str(data / "mmdemo" / "index")
    assert env["HF_HOME"] == str(data / ".huggingface")
    assert str(data) in said


def test_preloaded_models_are_kept_where_the_build_put_them(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    env = space_env(XDG_CACHE_HOME=str(tmp_path / "image-cache"))
    hub = default_hf_home(env) / "hub"
    (hub / "models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K").mkdir(parents=True)
    said = apply_space_storage(env, data)
    assert "HF_HOME" not in env  # the build-time cache stays the cache
    assert env["MMDEMO_INDEX_DIR"].startswith(str(data))  # the index still persists
    assert "build-time cache" in said


def test_explicit_settings_win_and_nothing_happens_off_a_space(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    env = space_env(MMDEMO_INDEX_DIR="/srv/index", HF_HOME="/srv/hf")
    assert apply_space_storage(env, data) == ""
    assert env["MMDEMO_INDEX_DIR"] == "/srv/index" and env["HF_HOME"] == "/srv/hf"

    laptop: dict = {}  # no SPACE_ID: a laptop's /data is never touched
    assert apply_space_storage(laptop, data) == "" and laptop == {}

    no_storage = space_env()  # a Space without persistent storage: its own disk, as before
    assert apply_space_storage(no_storage, tmp_path / "not-mounted") == ""
    assert "MMDEMO_INDEX_DIR" not in no_storage
