"""The 1000 ImageNet classes and the prompts standing for them in text space."""

from __future__ import annotations

import pytest

from mmdemo.models.shared.imagenet import ImageNetClass, class_prompt, imagenet_classes


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
