"""Label-based captions: a sentence from the classifier's classes, worded by its confidence."""

from __future__ import annotations

import pytest
from PIL import Image

from mmdemo.core.config import PROJECT_ROOT, Settings
from mmdemo.core.errors import UnknownNameError
from mmdemo.core.results import Scored
from mmdemo.models.backends.label_caption import (
    describe,
    is_unsure,
    load_caption_bank,
    with_article,
)
from mmdemo.models.registry import get_backend
from mmdemo.serving import ModelServer

GALLERY = PROJECT_ROOT / "assets" / "gallery"


def gallery_image(name: str) -> Image.Image:
    return Image.open(GALLERY / name).convert("RGB")


def test_caption_names_the_espresso_and_says_it_is_label_based(lite):
    result = lite.get("caption").caption(gallery_image("coffee_cup.png"))
    assert "espresso" in result.caption.lower()
    assert result.labels[0].label == "espresso"
    assert "label-based" in result.method
    assert result.nearest and "espresso" in result.nearest[0].label
    assert not result.unsure


def test_an_image_the_classifier_does_not_know_is_captioned_as_not_sure(lite):
    """The Hubble deep field has no ImageNet class: say so, and mark the result unsure."""
    result = lite.get("caption").caption(gallery_image("hubble_deep_field.jpg"))
    assert result.unsure
    assert result.caption.startswith("A photo; not sure what it shows — closest guesses: ")


def test_caption_of_a_grey_photo_says_black_and_white(lite):
    result = lite.get("caption").caption(gallery_image("brick_wall.png"))
    assert result.caption.startswith("A black-and-white photo")


def test_label_caption_is_not_generative():
    capabilities = get_backend("caption", "label-caption").capabilities
    assert not capabilities.generative and capabilities.decoding == ()
    assert not capabilities.prefix


def test_the_wording_carries_the_confidence():
    sure = [Scored("espresso", 0.7), Scored("cup", 0.2)]
    assert describe(sure) == "A photo of an espresso."
    likely = [Scored("cup", 0.4), Scored("espresso", 0.3)]
    assert describe(likely) == "A photo of probably a cup, or possibly an espresso."
    unsure = [Scored("cup", 0.1), Scored("bowl", 0.1), Scored("ice", 0.1), Scored("x", 0.1)]
    assert describe(unsure, black_and_white=True) == (
        "A black-and-white photo; not sure what it shows — closest guesses: a cup, a bowl, an ice."
    )
    assert is_unsure(unsure) and is_unsure([]) and is_unsure([Scored("cup", 0.4)])
    assert not is_unsure(sure) and not is_unsure(likely)
    assert describe([]) == "A photo; the classifier recognised nothing in it."
    assert with_article("owl") == "an owl" and with_article("cat") == "a cat"


def test_a_missing_caption_bank_means_no_neighbours(tmp_path):
    assert load_caption_bank(tmp_path / "captions.json") == {}
    (tmp_path / "broken.json").write_text("[1, 2")
    assert load_caption_bank(tmp_path / "broken.json") == {}
    (tmp_path / "bank.json").write_text('{"a.png": "a cat", "b.png": 3}')
    assert load_caption_bank(tmp_path / "bank.json") == {"a.png": "a cat", "b.png": "3"}


def test_tiny_label_caption_runs_on_the_tiny_embedder(tmp_path, tiny_cache):
    settings = Settings(
        preset="tiny",
        index_dir=tmp_path / "index",
        cache_dir=tiny_cache,
        gallery_dir=tmp_path / "no-gallery",
    )
    captioner = ModelServer(settings).get("caption", "label-caption")
    result = captioner.caption(Image.new("RGB", (40, 30), "green"), top_k=3, nearest=2)
    assert result.caption.startswith("A photo") and len(result.labels) == 3
    assert result.nearest == ()  # no caption bank in that gallery folder


def test_the_chinese_wording_carries_the_same_confidence():
    sure = [Scored("意式浓缩咖啡", 0.7), Scored("杯子", 0.2)]
    assert describe(sure, language="zh") == "一张照片，拍的是意式浓缩咖啡。"
    likely = [Scored("杯子", 0.4), Scored("意式浓缩咖啡", 0.3)]
    assert describe(likely, language="zh") == "一张照片，拍的大概是杯子，也可能是意式浓缩咖啡。"
    unsure = [Scored("杯子", 0.1), Scored("碗", 0.1), Scored("冰", 0.1), Scored("x", 0.1)]
    assert describe(unsure, True, "zh") == (
        "一张黑白照片，看不准拍的是什么——最接近的猜测：杯子、碗、冰。"
    )
    assert describe([], language="zh") == "一张照片，分类器没有认出其中的任何东西。"


def test_a_chinese_caption_names_the_classes_in_chinese(lite):
    captioner = lite.get("caption")
    english = captioner.caption(gallery_image("coffee_cup.png"))
    chinese = captioner.caption(gallery_image("coffee_cup.png"), language="zh")
    assert "意式浓缩咖啡" in chinese.caption and chinese.caption.startswith("一张照片")
    assert chinese.labels[0].label == "意式浓缩咖啡"
    assert [s.probability for s in chinese.labels] == [s.probability for s in english.labels]
    assert chinese.unsure == english.unsure
    unsure = captioner.caption(gallery_image("hubble_deep_field.jpg"), language="zh")
    assert unsure.unsure and "看不准" in unsure.caption


def test_an_unknown_caption_language_is_refused(lite):
    with pytest.raises(UnknownNameError, match="caption language"):
        lite.get("caption").caption(gallery_image("coffee_cup.png"), language="fr")


def test_label_caption_declares_that_it_writes_chinese():
    assert get_backend("caption", "label-caption").capabilities.languages == ("en", "zh")
    assert get_backend("caption", "blip-caption").capabilities.languages == ("en",)
