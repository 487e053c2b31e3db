"""Every result's ``to_json()``: JSON-serialisable, and exactly the documented keys.

The HTTP API and ``--json`` print these shapes, so a key that appears, disappears or is
renamed is a change of the public interface, not a refactor.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from mmdemo.core.results import (
    AddReport,
    CaptionHit,
    CaptionReport,
    CaptionResult,
    ClassifyResult,
    Duplicate,
    IndexStats,
    ItemMeta,
    LabelScore,
    ModelInfo,
    Scored,
    SearchHit,
    SearchResult,
    Unreadable,
    VqaResult,
)


def roundtrip(data):
    """``data`` through JSON and back: what a client of the API or of --json receives."""
    return json.loads(json.dumps(data, allow_nan=False))


def meta(item_id: int = 3, caption: str | None = "a red square") -> ItemMeta:
    return ItemMeta(
        item_id, "/g/red.png", "ab" * 32, 1234, 64, 48, "2024-01-02T03:04:05+00:00", caption
    )


def test_scored():
    data = roundtrip(Scored("cat", np.float32(0.123456789)).to_json())
    assert data == {"label": "cat", "probability": 0.123457}


def test_item_meta_round_trips_and_ignores_unknown_keys():
    item = meta()
    data = roundtrip(item.to_json())
    assert set(data) == {
        "id",
        "path",
        "sha256",
        "size_bytes",
        "width",
        "height",
        "added_at",
        "caption",
        "name",
    }
    assert ItemMeta.from_json(data) == item
    assert ItemMeta.from_json({**data, "from_a_newer_version": 1}) == item
    assert ItemMeta.from_json({k: v for k, v in data.items() if k != "caption"}).caption is None


def test_item_meta_from_an_index_without_names_shows_the_file_name():
    """Indexes written before names were kept load, and show the stored file's name."""
    old = {k: v for k, v in meta().to_json().items() if k != "name"}
    assert ItemMeta.from_json(old).name is None
    assert ItemMeta.from_json(old).display_name == "red.png"
    assert ItemMeta.from_json({**old, "name": "holiday.jpg"}).display_name == "holiday.jpg"


def test_add_report_names_duplicates_and_unreadable_files():
    report = AddReport(
        0,
        3,
        (Unreadable("broken.jpg", "is not an image file"),),
        total=5,
        duplicate_of=(
            Duplicate("x.jpg", "y.jpg"),
            Duplicate("copy.jpg", "x.jpg", in_upload=True),
            Duplicate("late.jpg"),
        ),
    )
    assert report.details() == [
        "x.jpg is already in the gallery as y.jpg",
        "copy.jpg is the same image as x.jpg (in this upload)",
        "late.jpg is already in the gallery",
        "broken.jpg is unreadable: is not an image file",
    ]
    assert report.summary().splitlines()[0] == report.headline()
    assert report.to_json()["duplicate_of"][1] == {
        "name": "copy.jpg",
        "existing": "x.jpg",
        "in_upload": True,
    }


def test_index_stats():
    stats = IndexStats(6, 64, "flat", "open_clip:tiny", False, "/tmp/index", {"nlist": 4})
    assert roundtrip(stats.to_json()) == {
        "count": 6,
        "kind": "flat",
        "dim": 64,
        "model_id": "open_clip:tiny",
        "on_gpu": False,
    }


def test_add_report():
    report = AddReport(2, 1, (Unreadable("broken.jpg", "not an image"),), (7, 8), 9)
    assert roundtrip(report.to_json()) == {
        "added": 2,
        "duplicates": 1,
        "duplicate_of": [],
        "unreadable": [{"path": "broken.jpg", "reason": "not an image"}],
        "added_ids": [7, 8],
        "total": 9,
    }
    assert roundtrip(AddReport(0, 0).to_json())["unreadable"] == []


def test_search_result_is_the_list_of_hits_best_first():
    hits = (SearchHit(4, np.float32(0.5), "/g/a.png", "a cat"), SearchHit(2, 0.25, "/g/b.png"))
    result = SearchResult(hits, 0.2, True, "2 result(s)")
    data = roundtrip(result.to_json())
    assert isinstance(data, list) and len(data) == 2
    assert all(set(hit) == {"path", "score", "id", "caption", "strength"} for hit in data)
    assert data[0] == {
        "path": "/g/a.png",
        "score": 0.5,
        "id": 4,
        "caption": "a cat",
        "strength": None,
    }
    assert data[1]["caption"] is None
    assert roundtrip(SearchResult((), None, False, "empty").to_json()) == []


def test_caption_hit():
    hit = CaptionHit("a red square", np.float64(0.3333333333), 5, "/g/red.png")
    assert roundtrip(hit.to_json()) == {
        "caption": "a red square",
        "score": 0.333333,
        "id": 5,
        "path": "/g/red.png",
        "strength": None,  # no levels given: no word
    }


def test_model_info():
    info = ModelInfo("embed", "openclip-tiny", "tiny", "cpu", "torch.float32", 10, 40, 0.5)
    data = roundtrip(info.to_json())
    assert set(data) == {
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
    assert data["is_random"] is False and data["backend"] == "openclip-tiny"


def test_classify_result():
    scores = (LabelScore("cat", 0.75, 0.31), LabelScore("dog", 0.25, 0.12))
    result = ClassifyResult(scores, "tiny clip", random_weights=True)
    assert roundtrip(result.to_json()) == {
        "labels": [
            {"label": "cat", "probability": 0.75, "similarity": 0.31},
            {"label": "dog", "probability": 0.25, "similarity": 0.12},
        ],
        "model": "tiny clip",
        "random_weights": True,
    }


def test_caption_result():
    result = CaptionResult(
        "a photo of a cat",
        "label-based",
        labels=(Scored("cat", 0.9),),
        nearest=(Scored("a cat on a mat", 0.4),),
    )
    data = roundtrip(result.to_json())
    assert set(data) == {"caption", "method", "labels", "nearest", "random_weights", "unsure"}
    assert data["labels"] == [{"label": "cat", "probability": 0.9}]
    assert data["nearest"] == [{"label": "a cat on a mat", "probability": 0.4}]
    assert data["random_weights"] is False
    bare = roundtrip(CaptionResult("a cat", "BLIP, beam search").to_json())
    assert bare["labels"] == [] and bare["nearest"] == []


def test_vqa_result():
    result = VqaResult((Scored("yes", 0.8), Scored("no", 0.2)), True, "vilt", "", True)
    data = roundtrip(result.to_json())
    assert data == {
        "answered": True,
        "answers": [{"answer": "yes", "probability": 0.8}, {"answer": "no", "probability": 0.2}],
        "model": "vilt",
        "message": "",
        "random_weights": True,
    }
    refused = roundtrip(VqaResult((), False, "shapes", "I only know shapes.").to_json())
    assert refused["answers"] == [] and refused["message"] == "I only know shapes."
    assert refused["random_weights"] is False


def test_caption_report():
    report = CaptionReport(4, 2, [("green.png", "not found")], 1.23456, "fake (colours)", 7)
    assert roundtrip(report.to_json()) == {
        "captioned": 4,
        "skipped": 2,
        "failed": [{"name": "green.png", "reason": "not found"}],
        "seconds": 1.235,
        "model": "fake (colours)",
        "total": 7,
        "unsure": [],
    }


@pytest.mark.parametrize("kind", [CaptionResult, VqaResult, ClassifyResult])
def test_random_weights_is_a_field_that_defaults_to_false(kind):
    field = {f.name: f for f in dataclasses.fields(kind)}["random_weights"]
    assert field.default is False


def test_results_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Scored("cat", 0.5).label = "dog"  # type: ignore[misc]
