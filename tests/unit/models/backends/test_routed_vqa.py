"""The routed VQA: shapes images go to our shapes model (in the fusion a visitor picks),
photos to the photo VQA; one missing checkpoint costs only its own fusion."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image

from mmdemo.core.config import PROJECT_ROOT, Settings
from mmdemo.core.errors import BadInputError, ModelLoadError, UnknownNameError
from mmdemo.models.backends.routed_vqa import RoutedVqa
from mmdemo.models.registry import get_backend
from mmdemo.models.shared.shapes_model import ShapesModel
from mmdemo.models.shared.shapes_world import FUSIONS
from mmdemo.serving import ModelServer

SHAPES = PROJECT_ROOT / "assets" / "examples" / "shapes"
GALLERY = PROJECT_ROOT / "assets" / "gallery"
SHIPPED_WEIGHTS = PROJECT_ROOT / "assets" / "models" / "shapes_vqa"


def shapes_image(name: str) -> Image.Image:
    return Image.open(SHAPES / name)


def photo() -> Image.Image:
    return Image.open(GALLERY / "coffee_cup.png").convert("RGB")


@pytest.fixture(scope="module")
def routed(tmp_path_factory, tiny_cache) -> RoutedVqa:
    settings = Settings(
        preset="tiny", index_dir=tmp_path_factory.mktemp("index"), cache_dir=tiny_cache
    )
    return ModelServer(settings).get("vqa", "routed-vqa")


def test_routed_vqa_declares_the_four_fusions():
    assert get_backend("vqa", "routed-vqa").capabilities.fusions == FUSIONS
    assert FUSIONS == ("concat", "sum", "product", "attention")


@pytest.mark.parametrize("fusion", FUSIONS)
def test_a_shapes_image_goes_to_the_shapes_model_in_the_chosen_fusion(routed, fusion):
    result = routed.answer(
        shapes_image("yellow_triangle.png"), "what shape is this?", fusion=fusion
    )
    assert result.model.startswith(f"shapes-vqa ({fusion} fusion")
    assert result.answered and result.answers[0].label == "triangle"


def test_without_a_fusion_the_default_one_answers(routed):
    result = routed.answer(shapes_image("red_circle.png"), "what color is the shape?")
    assert result.model.startswith("shapes-vqa (product fusion")
    assert routed.default_fusion == "product" and "product" in routed.model_label


def test_an_unknown_fusion_lists_the_four(routed):
    with pytest.raises(UnknownNameError, match="attention, concat, product, sum"):
        routed.answer(shapes_image("red_circle.png"), "what shape is this?", fusion="bilinear")


def test_a_photo_goes_to_the_photo_vqa(routed):
    result = routed.answer(photo(), "what is this?", top_k=2, fusion="sum")
    assert result.model == routed.photo.model_label and result.model.startswith("similarity")
    assert result.answered and len(result.answers) == 2
    assert routed.photo.spec.name == "photo-vqa"


def test_a_missing_checkpoint_costs_only_its_fusion(tmp_path, tiny_cache):
    weights = tmp_path / "assets" / "models" / "shapes_vqa"
    weights.mkdir(parents=True)
    for fusion in ("product", "concat"):
        shutil.copy(SHIPPED_WEIGHTS / f"shapes_vqa_{fusion}.pt", weights)
    settings = Settings(
        preset="tiny",
        assets_dir=tmp_path / "assets",
        index_dir=tmp_path / "index",
        cache_dir=tiny_cache,
    )
    routed = ModelServer(settings).get("vqa", "routed-vqa")  # loads, whatever is missing
    assert isinstance(routed.shapes["product"], ShapesModel)
    assert isinstance(routed.shapes["sum"], ModelLoadError)
    triangle = shapes_image("yellow_triangle.png")
    assert routed.answer(triangle, "what shape is this?", fusion="concat").answered
    with pytest.raises(ModelLoadError) as caught:
        routed.answer(triangle, "what shape is this?", fusion="sum")
    message = str(caught.value)
    assert "shapes-vqa (sum)" in message and "shapes_vqa_sum.pt" in message
    assert "does not exist" in message
    assert "python -m mmdemo train shapes-vqa --fusion sum" in message
    assert routed.answer(photo(), "what is this?", fusion="sum").answered  # photos still work
    assert len(routed.modules()) == 2  # only the loaded fusions count towards memory


def test_vqa_routes_shapes_images_to_the_trained_shapes_model(lite):
    vqa = lite.get("vqa")
    result = vqa.answer(Image.open(SHAPES / "yellow_triangle.png"), "What shape is in the image?")
    assert result.model.startswith("shapes-vqa") and result.answers[0].label == "triangle"
    color = vqa.answer(Image.open(SHAPES / "blue_rectangle.png"), "what color is the shape?")
    assert color.answers[0].label == "blue"


def test_vqa_empty_question_is_a_clear_error(lite):
    with pytest.raises(BadInputError, match="question is empty"):
        lite.get("vqa").answer(Image.open(GALLERY / "coffee_cup.png").convert("RGB"), "   ")


def test_a_chinese_question_about_a_shapes_image_is_asked_for_in_english(routed):
    """The shapes model learnt English questions only: no answer to one it cannot read."""
    from mmdemo.core.i18n import translated

    result = routed.answer(shapes_image("yellow_triangle.png"), "这是什么形状？")
    assert not result.answered and result.answers == ()
    assert "trained on English questions only" in result.message
    assert result.model.startswith("shapes-vqa")
    assert translated(result.message)  # a Chinese visitor reads it in Chinese


def test_a_chinese_question_about_a_photo_goes_to_the_photo_vqa(routed):
    result = routed.answer(photo(), "这是杯子吗？")
    assert result.answered and sorted(a.label for a in result.answers) == ["不是", "是"]
