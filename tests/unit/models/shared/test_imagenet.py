"""The 1000 ImageNet classes and the prompts standing for them in text space."""

from __future__ import annotations

import pytest

from mmdemo.models.shared.imagenet import (
    ImageNetClass,
    chinese_name,
    class_prompt,
    imagenet_classes,
    imagenet_names,
)


def test_the_thousand_classes_in_model_order_read_once():
    classes = imagenet_classes()
    assert isinstance(classes, tuple) and len(classes) == 1000
    assert imagenet_classes() is classes  # cached
    assert classes[0].name == "tench" and classes[967].name == "espresso"
    assert all(c.name and c.synonyms.startswith(c.name) for c in classes)
    assert sum(bool(c.definition) for c in classes) > 990


@pytest.mark.parametrize(
    ("style", "prompt"),
    [
        ("name", "a photo of a tabby."),
        ("synonyms", "a photo of a tabby, tabby cat."),
        ("definition", "a photo of a tabby, tabby cat: a cat with a grey or tawny coat"),
    ],
)
def test_class_prompts_in_each_style(style, prompt):
    tabby = ImageNetClass("tabby", "tabby, tabby cat", "a cat with a grey or tawny coat")
    assert class_prompt(tabby, style) == prompt
    assert class_prompt(tabby) == "a photo of a tabby."  # CLIP's recipe is the default


def test_every_class_has_a_chinese_name_in_the_same_order():
    from mmdemo.core.i18n import has_cjk

    zh = imagenet_names("zh")
    assert len(zh) == 1000 and len(imagenet_names()) == 1000
    assert all(name.strip() and has_cjk(name) for name in zh)
    assert all("；" not in name for name in zh)  # the short name, not the list
    # known classes at their ImageNet indices (the cats, the coffee things, the first one)
    known = {
        0: "丁鲷",
        281: "虎斑猫",
        283: "波斯猫",
        284: "暹罗猫",
        504: "咖啡杯",
        967: "意式浓缩咖啡",
    }
    assert {i: zh[i] for i in known} == known
    assert imagenet_names()[504] == "coffee mug" and imagenet_names("en")[281] == "tabby"
    with pytest.raises(ValueError, match="no ImageNet class names in 'fr'"):
        imagenet_names("fr")


def test_chinese_alternatives_and_names_looked_up_from_english():
    toucan = imagenet_classes()[96]
    assert toucan.name == "toucan" and toucan.names_zh() == ("巨嘴鸟", "大嘴鸟")
    assert toucan.name_zh == "巨嘴鸟"
    assert chinese_name("espresso") == "意式浓缩咖啡"
    assert chinese_name("crane") == "鹤或起重机"  # two classes share the English name
    assert chinese_name("not a class") == "not a class"
