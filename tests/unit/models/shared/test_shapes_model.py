"""The shapes-VQA network and its checkpoints (shared by the shapes backend, the routed VQA
and the training code)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from mmdemo.core.errors import ModelLoadError, UnknownNameError
from mmdemo.core.results import VqaResult
from mmdemo.models.shared.shapes_model import (
    ShapesModel,
    ShapesVqaNet,
    load_shapes_model,
    retrain_hint,
    weights_path,
)
from mmdemo.models.shared.shapes_world import ANSWERS, FUSIONS

SHIPPED = Path(__file__).resolve().parents[4] / "assets" / "models" / "shapes_vqa"
CPU = torch.device("cpu")


@pytest.mark.parametrize("fusion", FUSIONS)
def test_every_fusion_gives_one_row_of_13_logits_per_question(fusion):
    net = ShapesVqaNet(vocab_size=28, fusion=fusion).eval()
    images = torch.rand(2, 3, 64, 64)
    tokens = torch.tensor([[2, 3, 4, 0], [5, 6, 0, 0], [7, 8, 9, 10]])
    lengths = torch.tensor([3, 2, 4])
    with torch.no_grad():
        assert net(images, tokens, lengths, torch.tensor([0, 1, 1])).shape == (3, len(ANSWERS))
        assert net(images[:1], tokens[:1], lengths[:1]).shape == (1, 13)


def test_an_unknown_fusion_lists_the_four():
    with pytest.raises(UnknownNameError, match="attention, concat, product, sum"):
        ShapesVqaNet(vocab_size=28, fusion="bilinear")
    with pytest.raises(UnknownNameError, match="attention, concat, product, sum"):
        load_shapes_model(weights_path(SHIPPED, "sum"), "bilinear", CPU, torch.float32)


def test_a_checkpoint_loads_as_the_fusion_it_holds():
    model = load_shapes_model(weights_path(SHIPPED, "sum"), "sum", CPU, torch.float32)
    assert isinstance(model, ShapesModel) and model.fusion == "sum"
    assert model.model_label.startswith("shapes-vqa (sum fusion, easy-VQA test acc ")
    assert isinstance(model.answer(Image.new("RGB", (64, 64)), "what shape is present?"), VqaResult)
    with pytest.raises(ModelLoadError, match="holds the 'sum' fusion"):
        load_shapes_model(weights_path(SHIPPED, "sum"), "concat", CPU, torch.float32)


def test_the_retrain_hint_names_the_command_and_the_file(tmp_path):
    path = weights_path(tmp_path, "concat")
    assert path == tmp_path / "shapes_vqa_concat.pt"
    assert "python -m mmdemo train shapes-vqa --fusion concat" in retrain_hint("concat")
    assert str(path) in retrain_hint("concat", path)
    with pytest.raises(ModelLoadError, match=f"{path}.*does not exist.*--fusion concat"):
        load_shapes_model(path, "concat", CPU, torch.float32)
