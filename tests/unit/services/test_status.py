"""The status report: what ``python -m mmdemo info --json`` prints and the UI's panel shows."""

from __future__ import annotations

import json

import pytest

from mmdemo.core.config import Settings
from mmdemo.services.gallery import Gallery
from mmdemo.services.status import StatusReport, status
from mmdemo.serving import ModelServer
from tests.support.images import write_test_image

# the keys `info --json` printed before the reorganisation (mmdemo/cli.py, cmd_info)
TOP_KEYS = {"preset", "preset_requested", "preset_reason", "device", "index_dir"}
INDEX_KEYS = {"count", "kind", "dim", "model_id", "on_gpu"}
MODEL_KEYS = {
    "task",
    "backend",
    "model",
    "device",
    "dtype",
    "parameters",
    "memory_bytes",
    "load_seconds",
    "is_random",
}


def make(tmp_path, **changes) -> tuple[ModelServer, Gallery]:
    settings = Settings(
        preset="tiny",
        device="cpu",
        index_dir=tmp_path / "index",
        index_default_gallery=False,
        **changes,
    )
    server = ModelServer(settings)
    return server, Gallery(server, settings)


def roundtrip(data):
    return json.loads(json.dumps(data, allow_nan=False))


def test_status_has_the_keys_info_json_printed(tmp_path):
    server, gallery = make(tmp_path)
    folder = tmp_path / "photos"
    for i in range(3):
        write_test_image(folder / f"{i}.png", color=(80 * i, 40, 200 - 60 * i))
    gallery.add_directory(folder)

    report = status(server, gallery)
    assert isinstance(report, StatusReport)
    data = roundtrip(report.to_json())
    assert set(data) == TOP_KEYS | {"index", "index_type", "models", "memory_mib"}
    assert list(data)[:5] == ["preset", "preset_requested", "preset_reason", "device", "index_dir"]
    assert data["preset"] == "tiny" and data["preset_requested"] == "tiny"
    assert isinstance(data["preset_reason"], str) and data["preset_reason"]
    assert data["device"] == "cpu"
    assert data["index_dir"] == str(tmp_path / "index")
    assert set(data["index"]) == INDEX_KEYS
    assert data["index"]["count"] == 3 and data["index"]["kind"] == "flat"
    assert data["index"]["dim"] == server.get("embed").dim
    assert data["index"]["model_id"] == server.get("embed").model_id
    assert data["index"]["on_gpu"] is False
    assert data["index_type"] == {  # plain flat: exact, nothing measured
        "type": "flat", "exact": True, "recall_at_10": 1.0, "recall_measured_on": 0,
        "rerank_from": None,
    }  # fmt: skip
    assert data["models"] and all(set(m) == MODEL_KEYS for m in data["models"])
    embed = next(m for m in data["models"] if m["task"] == "embed")
    assert embed["backend"] == "openclip-xlm-roberta-tiny" and embed["is_random"] is True
    assert isinstance(data["memory_mib"], int) and data["memory_mib"] > 0


def test_an_unusable_index_is_reported_as_an_error_not_raised(tmp_path):
    server, gallery = make(tmp_path)
    gallery.add_files([write_test_image(tmp_path / "a.png")])
    manifest = tmp_path / "index" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["model_id"] = "open_clip:some-other-model/tag"
    manifest.write_text(json.dumps(data))
    _, other = make(tmp_path)  # a fresh gallery reads the index on disk again

    report = status(server, other)
    assert report.index is None and "some-other-model" in report.error
    data = roundtrip(report.to_json())
    assert set(data) == TOP_KEYS | {"error", "models", "memory_mib"}
    assert data["error"] == report.error


@pytest.mark.parametrize("loaded", [False, True])
def test_models_lists_what_is_loaded(tmp_path, loaded):
    server, gallery = make(tmp_path)
    if loaded:
        server.get("sentiment")
    data = status(server, gallery).to_json()  # opening the index loads the embedder
    tasks = sorted({m["task"] for m in data["models"]})  # a router loads two sentiment models
    assert tasks == (["embed", "sentiment"] if loaded else ["embed"])
