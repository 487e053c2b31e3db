"""Training the easy-VQA shapes model: a short, seeded run trains, saves and reloads."""

from __future__ import annotations

import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.models.backends.shapes_vqa import load
from mmdemo.models.base import LoadContext
from mmdemo.models.registry import BackendSpec


def test_one_epoch_on_a_small_subset_trains_and_saves(tmp_path):
    pytest.importorskip("easy_vqa")
    import torch

    from mmdemo.training.shapes_vqa import load_data, plot_curves, train

    data = load_data(limit_images=48)
    metrics = train("product", epochs=1, seed=3, out_dir=tmp_path, data=data, batch_images=16)
    for key in ("train_loss", "train_accuracy", "test_accuracy", "epoch_seconds"):
        assert len(metrics[key]) == 1
    assert 0.0 <= metrics["final_test_accuracy"] <= 1.0
    assert metrics["seconds"] > 0
    assert (tmp_path / "metrics_product.json").is_file()
    again = train("product", epochs=1, seed=3, out_dir=None, data=data, batch_images=16)
    assert again["train_loss"] == metrics["train_loss"]  # same seed, same run
    spec = BackendSpec(
        task="vqa",
        name="shapes-vqa",
        load=load,
        description="desc",
        options={"fusion": "product", "weights": str(tmp_path / "shapes_vqa_product.pt")},
    )
    ctx = LoadContext(Settings(), torch.device("cpu"), torch.float32, lambda *_: None)
    vqa = load(spec, ctx)
    assert vqa.answer(Image.new("RGB", (64, 64)), "what shape is present?").answered
    png = plot_curves({"product": metrics, "sum": again}, tmp_path / "curves.png")
    assert Image.open(png).size == (900, 540)
