"""The Sentiment tab's renderers in English and Chinese: the result view composed from the
result's structure (labels, pulls, weights, which model judged), the chart's columns, the
fusion menu, the examples per language. English must stay what the API and the English
tests read."""

from __future__ import annotations

import pytest

from mmdemo.core.i18n import has_cjk
from mmdemo.core.sentiment_results import FusionResult, ModalityScore
from mmdemo.services.sentiment import FUSIONS
from mmdemo.ui import examples
from mmdemo.ui.examples import sentiment as sentiment_examples
from mmdemo.ui.tabs import sentiment as tab

POSITIVE = (0.1, 0.1, 0.8)
NEGATIVE = (0.7, 0.2, 0.1)


def late_disagreement(random_weights=False) -> FusionResult:
    """The shape services.sentiment gives a text and an image that pull opposite ways."""
    text = ModalityScore.of(
        "text", "VADER (English) + e5 head (Chinese) on the text", POSITIVE, model="VADER",
        weight=0.6, details={"judged_by": "vader"},
    )  # fmt: skip
    image = ModalityScore.of("image", "colour prompts on the image", NEGATIVE, weight=0.4)
    notes = [
        "The text pulls positive (+0.70, weight 0.60). The image pulls negative (-0.60, "
        "weight 0.40).",
        "Text and image disagree; the positive side wins.",
    ]
    if random_weights:
        notes.append("Random test weights (preset tiny): these results are meaningless.")
    return FusionResult.of(
        "late", (0.34, 0.14, 0.52), [text, image], notes, text_weight=0.6,
        random_weights=random_weights,
    )  # fmt: skip


def caption_bridge() -> FusionResult:
    text = ModalityScore.of("text", "VADER on the text", POSITIVE, model="VADER")
    image = ModalityScore.of(
        "image", "VADER on the caption “a cup of espresso”", (0.2, 0.6, 0.2), model="VADER"
    )
    notes = [
        "The text pulls positive (+0.70). The image pulls neither way (+0.00).",
        "The text model read: “I love it. a cup of espresso”",
    ]
    return FusionResult.of("caption", POSITIVE, [text, image], notes)


def test_english_result_keeps_the_wording_the_api_and_tests_read():
    shown = tab.result_markdown(late_disagreement(), "en")
    assert shown.startswith("**Fused: positive** (late fusion, text weight 0.60)")
    line = (
        "- **Text** — VADER (English) + e5 head (Chinese) on the text: positive 80%; pulled "
        "positive (+0.70, weight 0.60) · judged by VADER"
    )
    assert line in shown
    assert "pulled negative (-0.60, weight 0.40)" in shown
    assert "judged by VADER" in shown  # the router's choice is named
    assert "Text and image disagree; the positive side wins." in shown
    assert shown.count("disagree") == 1  # said once, not also as the service's note
    assert "The text pulls" not in shown  # the lines already say it


def test_chinese_result_is_chinese_and_keeps_numbers_and_model_names():
    shown = tab.result_markdown(late_disagreement(), "zh")
    assert "**融合结果：积极**（融合方式：决策级（晚期融合），文本权重 0.60）" in shown
    line = (
        "- **文字** — VADER (English) + e5 head (Chinese) 读文字：积极 80%；"
        "往积极拉（+0.70，权重 0.60） · 由 VADER 判断"
    )
    assert line in shown
    assert "往消极拉（-0.60，权重 0.40）" in shown
    assert "由 VADER 判断" in shown
    assert "文字和图片的情感相反；积极的一方胜出。" in shown
    for english in ("Fused", "pulled", "positive", "negative", "disagree", "weight", "judged"):
        assert english not in shown, english


def test_the_judge_is_named_only_when_the_source_does_not_name_it():
    """late fusion's source already names the model that judged; the bridge's names the
    router, so the line adds which of its two models read this text."""
    alone = ModalityScore.of(
        "text", "e5 head on the text", NEGATIVE, model="e5 head", details={"judged_by": "e5"}
    )
    result = FusionResult.of("late", NEGATIVE, [alone], [])
    assert "judged by" not in tab.result_markdown(result, "en")


def test_random_weights_are_said_once_in_the_visitors_language():
    english = tab.result_markdown(late_disagreement(random_weights=True), "en")
    assert english.count("Random test weights") == 1
    chinese = tab.result_markdown(late_disagreement(random_weights=True), "zh")
    assert "随机测试权重" in chinese and "Random" not in chinese


def test_caption_bridge_names_the_caption_and_what_the_text_model_read():
    english = tab.result_markdown(caption_bridge(), "en")
    assert "VADER on the caption “a cup of espresso”" in english
    assert "The text model read: “I love it. a cup of espresso”" in english
    chinese = tab.result_markdown(caption_bridge(), "zh")
    assert "VADER 读图片描述“a cup of espresso”" in chinese  # the caption as written
    assert "文本模型读到的是：“I love it. a cup of espresso”" in chinese
    assert "哪边都没拉（+0.00）" in chinese and "图片描述桥接" in chinese


def test_a_lone_modality_says_so():
    only = FusionResult.of(
        "late", NEGATIVE, [ModalityScore.of("text", "VADER on the text", NEGATIVE)], []
    )
    english = tab.result_markdown(only, "en")
    assert "Only the text was given: the result is the text's own (no image to fuse)." in english
    assert "只给了文字：结果就是文字自己的判断（没有图片可以融合）。" in tab.result_markdown(
        only, "zh"
    )


def test_early_fusion_sources_are_the_head_alone():
    head = ModalityScore.of(
        "image", "the fusion head on the image alone (text zeroed)", NEGATIVE, model="head"
    )
    result = FusionResult.of("early", NEGATIVE, [head], ["The head was trained on 40 examples."])
    chinese = tab.result_markdown(result, "zh")
    assert "融合头只看图片（文字置零）" in chinese and "特征级（早期融合）" in chinese


def test_the_fused_label_keeps_english_keys_for_the_api_and_translates_for_a_visitor():
    result = late_disagreement()
    assert set(tab.fused_label(result, "en")) == {"negative", "neutral", "positive"}
    assert set(tab.fused_label(result, "zh")) == {"消极", "中性", "积极"}
    assert tab.fused_label(result, "zh")["积极"] == pytest.approx(0.52)


def test_the_chart_names_its_columns_series_and_legend_in_the_language():
    result = late_disagreement()
    english = tab.chart_frame(result, "en")
    assert list(english.columns) == ["series", "sentiment", "probability"]
    assert list(english["series"].unique()) == ["text", "image", "fused"]
    chinese = tab.chart_value(result, "zh")
    frame = tab.chart_frame(result, "zh")
    assert list(frame.columns) == ["来源", "情感", "概率"]
    assert list(frame["来源"].unique()) == ["文字", "图片", "融合"]
    assert set(frame["情感"]) == {"积极", "中性", "消极"}
    assert (chinese.x, chinese.y, chinese.color) == ("来源", "概率", "情感")
    assert chinese.color_map["积极"] == tab.SENTIMENT_COLOURS["positive"]


def test_the_fusion_menu_keeps_english_values_with_titles_in_the_language():
    english = tab.fusion_choices(["late", "caption"], "en")
    assert english == [(FUSIONS["late"].title, "late"), (FUSIONS["caption"].title, "caption")]
    chinese = tab.fusion_choices(["late", "caption"], "zh")
    assert [value for _, value in chinese] == ["late", "caption"]
    assert all(has_cjk(title) for title, _ in chinese)


def test_every_fusion_has_a_chinese_title_and_explanation():
    for name in FUSIONS:
        assert has_cjk(tab.text(f"sentiment.fusion.{name}", "zh"))
        assert has_cjk(tab.text(f"sentiment.fusion_help.{name}", "zh"))


def test_chinese_examples_are_chinese_promises_like_the_english_ones():
    """Every preset's text model reads Chinese now: a Chinese visitor is offered Chinese
    examples, in the English ones' order of promises (a disagreement first), each marked
    ``zh``; an English visitor still gets the English ones."""
    for preset in ("lite", "full", "tiny"):
        chinese = examples.sentiment_examples(preset, "zh")
        assert chinese and all(e.language == "zh" and has_cjk(e.text) for e in chinese), preset
        assert chinese[0].disagree and chinese[0].image, preset
        assert {e.fusion for e in chinese} == {"late", "caption"}
        english = examples.sentiment_examples(preset, "en")
        assert english and not any(has_cjk(e.text) for e in english)
    assert sentiment_examples.sentiment_examples("lite") == examples.sentiment_examples("lite")


def test_the_tab_rows_follow_the_visitors_language(tmp_path):
    from mmdemo.core.config import PROJECT_ROOT

    assets = PROJECT_ROOT / "assets"
    rows = tab.example_rows(assets, "lite", "zh")
    assert [r[0] for r in rows] == [e.text for e in examples.sentiment_examples("lite", "zh")]
    assert all(r[1] is None or r[1].endswith((".jpg", ".png")) for r in rows)
    assert tab.example_rows(assets, "lite")[0][0] == "Great, another rainy day."


def test_the_image_cue_note_is_composed_in_chinese_and_matches_the_backends_english():
    from types import SimpleNamespace

    from mmdemo.models.backends.image_sentiment import _cue_note

    details = {
        "prompt_polarity": -0.04,
        "colour_polarity": -0.29,
        "colour_weight": 0.5,
        "colour_brightness": 0.37,
        "colour_saturation": 0.0,
        "colour_brightness_z": -0.8,
        "colour_saturation_z": -1.2,
    }
    mood = SimpleNamespace(brightness=0.37, saturation=0.0, brightness_z=-0.8, saturation_z=-1.2)
    backend = _cue_note(-0.04, mood, -0.29, 0.5)
    assert tab.cue_sentence(details, "en") == backend
    image = ModalityScore.of("image", "prompts on the image", NEGATIVE, details=details)
    text = ModalityScore.of("text", "VADER on the text", POSITIVE)
    result = FusionResult.of("late", POSITIVE, [text, image], [f"Image: {backend}"])
    chinese = tab.result_markdown(result, "zh")
    assert (
        "图片：开心/悲伤提示词哪边都没拉（-0.04）；颜色（昏暗、色彩黯淡：亮度 0.37，饱和度 0.00）"
        "往消极拉（-0.29）；两者在对数几率上按 0.50 / 0.50 混合。" in chinese
    )
    assert "happy/sad" not in chinese
    assert f"Image: {backend}" in tab.result_markdown(result, "en")
