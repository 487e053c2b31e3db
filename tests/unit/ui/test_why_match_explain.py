"""The "Why this match" panel's composed text in both languages, and Classify's top label as
the sentence it was scored as (what "Why this label?" explains)."""

from __future__ import annotations

from mmdemo.core.i18n import has_cjk
from mmdemo.models.shared.imagenet import chinese_name
from mmdemo.ui.panels.why_match import note_for
from mmdemo.ui.tabs.classify import top_label_query

LITE = {
    "method": "Grad-CAM on EfficientNet classes",
    "score": 0.4567,
    "details": {
        "classes": [{"class": "tabby", "weight": 0.6}, {"class": "tiger cat", "weight": 0.4}]
    },
}


def test_note_in_english_names_method_score_and_classes():
    note = note_for(LITE, "en")
    assert "Grad-CAM on EfficientNet classes" in note and "0.457" in note
    assert "tabby (60%)" in note and not has_cjk(note)


def test_note_in_chinese_translates_the_method():
    note = note_for(LITE, "zh")
    assert "基于 EfficientNet 类别的 Grad-CAM" in note and "0.457" in note
    # the ImageNet classes by their Chinese names (imagenet_zh.txt), as Classify shows them
    assert "Grad-CAM on" not in note and "tabby" not in note
    assert f"{chinese_name('tabby')} (60%)、{chinese_name('tiger cat')} (40%)" in note


def test_note_warns_of_random_weights_and_is_empty_without_a_result():
    tiny = {"method": "attention relevancy (Chefer et al.)", "score": 0.1}
    tiny["details"] = {"random_weights": True}
    assert "tiny" in note_for(tiny, "en") and "随机" in note_for(tiny, "zh")
    assert note_for(None, "en") == "" and note_for({}, "zh") == ""


def test_top_label_query_from_the_label_components_value():
    value = {"label": "a cat", "confidences": [{"label": "a cat", "confidence": 0.9}]}
    assert top_label_query(value, "a photo of {}.") == "a photo of a cat."
    assert top_label_query({"dog": 0.2, "cat": 0.8}, "{}") == "cat"
    assert top_label_query({"猫": 0.8, "狗": 0.2}, "一张{}的照片。") == "一张猫的照片。"
    assert top_label_query(None, "{}") == "" and top_label_query({"x": 1.0}, "") == "x"
