"""Training the early-fusion sentiment head: reading the CSV, the split, the accuracy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError
from mmdemo.models.backends.fusion_head import default_head_path, sidecar_for
from mmdemo.serving import ModelServer
from mmdemo.training.sentiment_fusion import (
    embed_examples,
    read_examples,
    split_indices,
    train_from_csv,
)
from tests.support.sentiment_data import write_synthetic_csv


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> ModelServer:
    index = tmp_path_factory.mktemp("sentiment-index")
    return ModelServer(Settings(preset="tiny", index_dir=index, index_default_gallery=False))


@pytest.fixture(scope="module")
def trained(tiny, tmp_path_factory):
    data = write_synthetic_csv(tmp_path_factory.mktemp("synthetic"))
    report = train_from_csv(tiny, data, epochs=200)
    return data, report


def test_training_on_a_synthetic_set_reaches_high_accuracy(trained, tiny):
    _, report = trained
    assert report["classes"] == ["negative", "positive"]
    assert report["rows"] == 40 and report["val_rows"] == 8 and report["train_rows"] == 32
    assert report["train_accuracy"] >= 0.95
    assert report["val_accuracy"] >= 0.85
    assert report["val_accuracy_text_only"] >= 0.75 and report["val_accuracy_image_only"] >= 0.75
    path = Path(report["path"])
    assert path == default_head_path(tiny.settings)
    sidecar = json.loads(sidecar_for(path).read_text())
    assert sidecar["embedder"] == tiny.get("embed").model_id and sidecar["dim"] == 64


def test_csv_problems_are_named(tmp_path, tiny):
    def write(text: str) -> Path:
        path = tmp_path / "bad.csv"
        path.write_text(text, encoding="utf-8")
        return path

    with pytest.raises(BadInputError, match="image, text and label"):
        read_examples(write("picture,words,label\na.png,hi,positive\n"))
    with pytest.raises(BadInputError, match=r"bad\.csv:2: label 'happy'"):
        read_examples(write("image,text,label\na.png,hi,happy\n"))
    with pytest.raises(BadInputError, match="neither an image nor a text"):
        read_examples(write("image,text,label\n,,positive\n"))
    with pytest.raises(BadInputError, match="no data rows"):
        read_examples(write("image,text,label\n"))
    with pytest.raises(BadInputError, match="no such CSV"):
        read_examples(tmp_path / "nope.csv")
    (tmp_path / "broken.png").write_bytes(b"not an image")
    examples = read_examples(
        write("image,text,label\nbroken.png,hi,positive\n,only text,negative\n")
    )
    embedded = embed_examples(tiny.get("embed"), examples, 10**7)
    assert len(embedded) == 1 and embedded.classes == ("negative",)
    assert "broken.png" in embedded.skipped[0].path
    assert not embedded.has_image[0] and not embedded.image[0].any()


def test_validation_split_is_stratified_and_seeded():
    labels = np.array([0] * 12 + [1] * 8 + [2] * 3)
    train, val = split_indices(labels, 0.25, seed=0)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(len(labels)))
    assert [int((labels[val] == c).sum()) for c in range(3)] == [3, 2, 1]
    assert np.array_equal(val, split_indices(labels, 0.25, seed=0)[1])
    assert len(split_indices(labels[:6], 0.25, seed=0)[1]) == 0  # too few rows to hold out
