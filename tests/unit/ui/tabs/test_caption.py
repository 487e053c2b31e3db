"""The Caption tab in both languages: its intro, the model menu's and decoding modes'
labels (values kept English for the API), and the notes under a caption - the service's
English method shown through the package catalogue."""

from __future__ import annotations

import pytest

from mmdemo.core.i18n import has_cjk
from mmdemo.core.results import CaptionResult, Scored
from mmdemo.models.registry import Capabilities, get_backend
from mmdemo.services.tasks import ModelChoice
from mmdemo.ui import examples
from mmdemo.ui.tabs import _model_labels, caption

BLIP = ModelChoice(
    "blip-caption-tiny",
    "BLIP, tiny random (tests)",
    Capabilities(decoding=("beam", "sample"), prefix=True),
    True,
)
LABELS = ModelChoice(
    "label-caption",
    "Label-based (classes of the shared image-text space)",
    Capabilities(languages=("en", "zh")),
    False,
)
RESULT = CaptionResult(
    "A photo of a tabby cat.",
    "label-based: the image classifier's top ImageNet classes put into a sentence "
    "(not a generative captioner)",
    (Scored("tabby", 0.7),),
    (Scored("a cat on a sofa", 0.81234),),
    random_weights=True,
)


def test_the_intro_in_chinese_names_each_model_and_says_blip_writes_english_only():
    english, chinese = caption.intro([BLIP, LABELS], "en"), caption.intro([BLIP, LABELS], "zh")
    assert "**BLIP, tiny random (tests)** (random test weights)" in english  # as before
    assert "word by word" in english and "closest guesses" in english
    assert not has_cjk(english)
    lines = chinese.splitlines()
    assert len(lines) == 3 and all(has_cjk(line) for line in lines)
    assert "只会写英文" in lines[1] and "BLIP" in lines[1]  # BLIP writes English only
    assert "只会写英文" not in lines[2]  # the label-based captioner writes Chinese


def test_mode_labels_follow_the_language_and_values_stay_english():
    blip = BLIP.capabilities
    assert caption.mode_choices(blip, "en") == [
        ("Beam search", "beam"),
        ("Nucleus sampling", "sample"),
    ]
    assert caption.mode_choices(blip, "zh") == [("束搜索", "beam"), ("核采样", "sample")]
    assert caption.mode_choices(LABELS.capabilities, "zh") == [("束搜索", "beam")]
    _, mode, prefix = caption.controls_for(LABELS.capabilities, "zh")
    assert mode["choices"] == [("束搜索", "beam")] and not mode["visible"]
    assert prefix == {"__type__": "update", "visible": False, "value": ""}


def test_the_notes_are_in_the_visitors_language_with_numbers_kept():
    english = caption.caption_markdown(RESULT, "en")
    assert "*Method:* label-based" in english and "*(similarity 0.81)*" in english
    assert "Random test weights" in english and "a cat on a sofa" in english
    chinese = caption.caption_markdown(RESULT, "zh")
    assert "*方法：*" in chinese and "相似度 0.81" in chinese and "随机测试权重" in chinese
    assert "a cat on a sofa" in chinese  # the gallery's own captions stay as written
    assert "Method" not in chinese and "similarity" not in chinese
    plain = caption.caption_markdown(CaptionResult("x", "BLIP, beam search (3 beams)"), "zh")
    assert plain.startswith("*方法：* ") and "图库" not in plain  # no nearest captions


@pytest.mark.parametrize("task", list(_model_labels.LABELS))
def test_each_translated_menu_label_matches_its_models_english_label(task):
    """A renamed model cannot keep a stale Chinese label (the English must be the spec's)."""
    for name, (english, chinese) in _model_labels.LABELS[task].items():
        assert get_backend(task, name).label == english, name
        assert has_cjk(chinese), name
        choice = ModelChoice(name, english, Capabilities(), False)
        assert _model_labels.model_label(task, choice, "zh") == chinese
        assert _model_labels.model_label(task, choice, "en") == english
    unknown = ModelChoice("not-listed", "Some model", Capabilities(), False)
    assert _model_labels.model_label(task, unknown, "zh") == "Some model"


def test_chinese_caption_examples_are_images_the_english_ones_show():
    """The tab shows each image once; a Chinese entry only says what its Chinese caption
    must name (tests/integration drive it with a Chinese request)."""
    for preset in ("full", "lite"):
        english = {e.image for e in examples.caption_examples(preset, "en")}
        chinese = examples.caption_examples(preset, "zh")
        assert {e.image for e in chinese} <= english
        assert all(has_cjk(e.mentions) for e in chinese)
    assert examples.caption_examples("lite", "zh") and not examples.caption_examples("full", "zh")
    assert examples.caption_examples("lite") == examples.caption_examples("lite", "en")
