"""The task layer every tab, CLI command and API call goes through, on the tiny preset.

Random weights: these tests check types, validation and which options reach which model,
never what the answers mean.
"""

from __future__ import annotations

import math

import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError, UnknownNameError
from mmdemo.core.results import CaptionResult, ClassifyResult, LabelScore, Scored, VqaResult
from mmdemo.core.sentiment_results import FusionResult
from mmdemo.models.registry import Capabilities
from mmdemo.models.shared.shapes_world import FUSIONS
from mmdemo.services import tasks
from mmdemo.services.tasks import ModelChoice
from mmdemo.serving import ModelServer


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> ModelServer:
    index = tmp_path_factory.mktemp("tasks-index")
    return ModelServer(
        Settings(preset="tiny", device="cpu", index_dir=index, index_default_gallery=False)
    )


@pytest.fixture(scope="module")
def picture() -> Image.Image:
    return Image.new("RGB", (64, 48), (200, 40, 40))


@pytest.fixture(scope="module")
def shapes_picture(server) -> Image.Image:
    path = server.settings.assets_dir / "examples" / "shapes" / "red_circle.png"
    return Image.open(path).convert("RGB")


# -- classify --------------------------------------------------------------------------------
def test_classify_ranks_the_labels_given(server, picture):
    result = tasks.classify(server, picture, "cat, dog, car", "a photo of a {}.")
    assert isinstance(result, ClassifyResult) and result.random_weights is True
    assert result.model == server.get("embed").model_id
    assert all(isinstance(s, LabelScore) for s in result.scores)
    assert sorted(s.label for s in result.scores) == ["car", "cat", "dog"]
    assert sum(s.probability for s in result.scores) == pytest.approx(1.0, abs=1e-5)
    probabilities = [s.probability for s in result.scores]
    assert probabilities == sorted(probabilities, reverse=True)


def test_an_empty_template_means_the_label_alone(server, picture):
    bare = tasks.classify(server, picture, "cat, dog", "{}")
    for empty in ("", None):
        assert tasks.classify(server, picture, "cat, dog", empty).scores == bare.scores


# -- caption -----------------------------------------------------------------------------------
def test_caption_with_the_presets_blip(server, picture):
    result = tasks.caption(server, picture)
    assert isinstance(result, CaptionResult) and result.random_weights is True
    assert isinstance(result.caption, str) and result.caption
    assert result.method == "BLIP, beam search (3 beams)"


def test_the_decoding_options_reach_blip(server, picture):
    prefixed = tasks.caption(server, picture, prefix="  A photo of ", max_length=8)
    assert prefixed.caption.startswith("a photo of")  # the prefix stays in the caption
    assert "prefix 'A photo of'" in prefixed.method
    sampled = tasks.caption(server, picture, mode="sample", max_length=6)
    assert sampled.method.startswith("BLIP, nucleus sampling")
    short = tasks.caption(server, picture, max_length=5)
    longer = tasks.caption(server, picture, max_length=12)
    assert len(short.caption.split()) <= len(longer.caption.split())
    for default in (None, ""):
        result = tasks.caption(server, picture, mode=default, max_length=5)
        assert result.method == "BLIP, beam search (3 beams)"


def test_an_unknown_caption_mode_lists_the_modes(server, picture):
    with pytest.raises(UnknownNameError) as caught:
        tasks.caption(server, picture, mode="greedy")
    assert str(caught.value) == "Unknown caption mode 'greedy'. Valid choices: beam, sample."


def test_the_label_based_captioner_refuses_a_prefix_and_ignores_decoding(server, picture):
    with pytest.raises(BadInputError) as caught:
        tasks.caption(server, picture, model="label-caption", prefix="a photo of")
    assert str(caught.value) == (
        "A caption prefix needs a generative captioner (BLIP); the chosen one is label-based."
    )
    result = tasks.caption(
        server, picture, model="label-caption", mode="any", max_length="abc", prefix="   "
    )
    assert isinstance(result, CaptionResult) and result.random_weights is True
    assert result.method.startswith("label-based")
    assert result.labels and all(isinstance(s, Scored) for s in result.labels)


@pytest.mark.parametrize("length", ["8", 8.0, 8, "8.9", 6.2])
def test_max_new_tokens_from_a_slider_or_a_raw_call_is_accepted(server, picture, length):
    assert tasks.caption(server, picture, max_length=length).caption


@pytest.mark.parametrize(
    ("length", "message"),
    [
        ("abc", "Max new tokens must be a whole number, not 'abc'."),
        (math.inf, "Max new tokens must be a whole number, not inf."),
        ("inf", "Max new tokens must be a whole number, not 'inf'."),
        (math.nan, "Max new tokens must be a whole number, not nan."),
        (None, "Max new tokens must be a whole number, not None."),
        ([30], "Max new tokens must be a whole number, not [30]."),
        (0, "Max new tokens must be at least 1, not 0."),
        (-3, "Max new tokens must be at least 1, not -3."),
    ],
)
def test_bad_max_new_tokens_are_refused_clearly(server, picture, length, message):
    with pytest.raises(BadInputError) as caught:
        tasks.caption(server, picture, max_length=length)
    assert str(caught.value) == message


def test_blip_bounds_the_number_of_tokens_itself(server, picture):
    # True is the whole number 1 to Python (and was to the old int(float(x))): BLIP's own
    # bounds refuse it, as they refuse 1000
    for length, shown in ((True, 1), (1000, 1000)):
        with pytest.raises(BadInputError, match=f"between 5 and 100 tokens, not {shown}"):
            tasks.caption(server, picture, max_length=length)


def test_an_unknown_caption_model_lists_the_presets_choices(server, picture):
    with pytest.raises(UnknownNameError) as caught:
        tasks.caption(server, picture, model="blip-caption")  # the full-size one: not in tiny
    assert "blip-caption-tiny, label-caption" in str(caught.value)


# -- answer --------------------------------------------------------------------------------------
def test_answer_with_the_presets_vqa(server, picture):
    result = tasks.answer(server, picture, "  what   is this? ")
    assert isinstance(result, VqaResult) and result.random_weights is True
    assert result.answered and result.model
    assert all(isinstance(s, Scored) for s in result.answers)


@pytest.mark.parametrize("top_k", ["3", 3.0, 3, "3.5"])
def test_the_number_of_answers_from_a_slider_or_a_raw_call(server, picture, top_k):
    result = tasks.answer(server, picture, "what is this?", model="vilt-vqa-tiny", top_k=top_k)
    assert len(result.answers) == 3 and result.random_weights is True


@pytest.mark.parametrize(
    ("top_k", "message"),
    [
        ("abc", "The number of answers must be a whole number, not 'abc'."),
        (math.inf, "The number of answers must be a whole number, not inf."),
        (math.nan, "The number of answers must be a whole number, not nan."),
        (0, "The number of answers must be at least 1, not 0."),
    ],
)
def test_a_bad_number_of_answers_is_refused_clearly(server, picture, top_k, message):
    with pytest.raises(BadInputError) as caught:
        tasks.answer(server, picture, "what is this?", model="vilt-vqa-tiny", top_k=top_k)
    assert str(caught.value) == message


def test_the_question_is_checked_once_for_every_model(server, picture):
    for model in (None, "vilt-vqa-tiny", "routed-vqa"):
        with pytest.raises(BadInputError, match="The question is empty"):
            tasks.answer(server, picture, "   ", model=model)
        with pytest.raises(BadInputError, match="the limit is 500"):
            tasks.answer(server, picture, "why " * 200, model=model)


def test_a_fusion_picks_the_shapes_model_variant(server, shapes_picture):
    for fusion in FUSIONS:
        result = tasks.answer(
            server, shapes_picture, "What shape is this?", model="routed-vqa", fusion=fusion
        )
        assert result.answered and result.model.startswith(f"shapes-vqa ({fusion} fusion")
        assert result.random_weights is True  # routed-vqa is built on tiny's random embedder
    default = tasks.answer(server, shapes_picture, "What shape is this?", model="routed-vqa")
    assert default.model.startswith("shapes-vqa (product fusion")
    assert default.answers[0].label in {"circle", "rectangle", "triangle"}


def test_a_fusion_for_a_model_without_fusions_is_refused(server, picture):
    for model in (None, "blip-vqa-tiny", "vilt-vqa-tiny"):
        with pytest.raises(BadInputError) as caught:
            tasks.answer(server, picture, "what is this?", model=model, fusion="sum")
        message = str(caught.value)
        assert "has no fusion variants" in message and "routed-vqa" in message
        assert (model or "blip-vqa-tiny") in message


def test_an_unknown_fusion_lists_the_four(server, shapes_picture):
    with pytest.raises(UnknownNameError) as caught:
        tasks.answer(server, shapes_picture, "What shape?", model="routed-vqa", fusion="mid")
    assert str(caught.value) == (
        "Unknown fusion 'mid'. Valid choices: attention, concat, product, sum."
    )


def test_routed_vqa_answers_a_photo_by_similarity(server, picture):
    result = tasks.answer(server, picture, "What is this?", model="routed-vqa", fusion="sum")
    assert result.answered and "similarity" in result.model and result.random_weights is True


# -- sentiment -----------------------------------------------------------------------------------
def test_sentiment_of_text_image_and_both(server, picture):
    for text, image, modalities in (
        ("I love it", None, {"text"}),
        (None, picture, {"image"}),
        ("I love it", picture, {"text", "image"}),
    ):
        result = tasks.sentiment(server, text, image)
        assert isinstance(result, FusionResult) and result.random_weights is True
        assert result.fusion == "late"
        assert {m.modality for m in result.modalities} == modalities


@pytest.mark.parametrize(("weight", "expected"), [("0.25", 0.25), (0.25, 0.25), (None, 0.5)])
def test_the_text_weight_from_a_slider_or_a_raw_call(server, picture, weight, expected):
    result = tasks.sentiment(server, "I love it", picture, text_weight=weight)
    assert result.text_weight == expected


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        ("abc", "The text weight must be a number between 0 and 1, not 'abc'."),
        ([0.5], "The text weight must be a number between 0 and 1, not [0.5]."),
        (1.5, "The text weight must be between 0 and 1, not 1.5."),
        (-0.1, "The text weight must be between 0 and 1, not -0.1."),
        (math.nan, "The text weight must be between 0 and 1, not nan."),
        (math.inf, "The text weight must be between 0 and 1, not inf."),
    ],
)
def test_a_bad_text_weight_is_refused_clearly(server, picture, weight, message):
    with pytest.raises(BadInputError) as caught:
        tasks.sentiment(server, "I love it", picture, text_weight=weight)
    assert str(caught.value) == message


def test_sentiment_fusions(server, picture):
    assert tasks.sentiment(server, "I love it", picture, fusion=None).fusion == "late"
    assert tasks.sentiment(server, "I love it", picture, fusion="caption").fusion == "caption"
    with pytest.raises(UnknownNameError, match="caption, early, late"):
        tasks.sentiment(server, "I love it", picture, fusion="mid")


def test_a_text_that_is_not_a_string_is_refused_by_name(server, picture):
    # a raw API call sending a number or a dict is told so, not answered about the image alone
    for odd, kind in ((42, "int"), ({"text": "hi"}, "dict")):
        with pytest.raises(BadInputError, match=f"The text must be text, not {kind}"):
            tasks.sentiment(server, odd, picture)
    assert {m.modality for m in tasks.sentiment(server, None, picture).modalities} == {"image"}
    with pytest.raises(BadInputError, match="Give a text, an image, or both"):
        tasks.sentiment(server, "", None)


# -- what a menu may offer -------------------------------------------------------------------------
def test_model_choices_list_the_presets_choices_with_labels_and_capabilities(server):
    captions = tasks.model_choices(server, "caption")
    assert all(isinstance(c, ModelChoice) for c in captions)
    assert [c.name for c in captions] == server.choices("caption")
    assert [c.name for c in captions] == ["blip-caption-tiny", "label-caption"]
    blip, labels = captions
    assert blip.label == "BLIP, tiny random (tests)"
    assert blip.capabilities == Capabilities(decoding=("beam", "sample"), prefix=True)
    assert blip.capabilities.generative and blip.is_random
    assert labels.label == "Label-based (classes of the shared image-text space)"
    assert labels.capabilities == Capabilities(languages=("en", "zh"))  # writes Chinese too
    assert not labels.capabilities.generative
    assert labels.is_random  # built on tiny's random embedder

    answers = {c.name: c for c in tasks.model_choices(server, "vqa")}
    assert list(answers) == ["blip-vqa-tiny", "vilt-vqa-tiny", "routed-vqa"]
    assert answers["routed-vqa"].capabilities.fusions == FUSIONS
    assert answers["vilt-vqa-tiny"].capabilities.ranked_answers
    assert not answers["blip-vqa-tiny"].capabilities.ranked_answers
    assert all(c.is_random for c in answers.values())
    assert [c.label for c in answers.values()] == [
        server.spec_for("vqa", name).label for name in answers
    ]


def test_model_choices_of_a_pinned_task(tmp_path):
    pinned = ModelServer(Settings(preset="tiny", backends="caption=label-caption"))
    assert [c.name for c in tasks.model_choices(pinned, "caption")] == ["label-caption"]


def test_capabilities(server):
    assert tasks.capabilities(server, "caption").generative  # the default: tiny BLIP
    assert tasks.capabilities(server, "caption", "") == tasks.capabilities(server, "caption")
    assert not tasks.capabilities(server, "caption", "label-caption").prefix
    assert tasks.capabilities(server, "vqa", "routed-vqa").fusions == FUSIONS
    with pytest.raises(UnknownNameError, match="blip-vqa-tiny, routed-vqa, vilt-vqa-tiny"):
        tasks.capabilities(server, "vqa", "vilt-vqa")


# -- the number checks on their own --------------------------------------------------------------
def test_whole_number():
    assert tasks.whole_number("7", "K", 1) == 7
    assert tasks.whole_number(7.9, "K", 1) == 7  # a slider's float: truncated
    assert tasks.whole_number(True, "K", 1) == 1  # a bool is the int 1 (as int(float(x)))
    assert tasks.whole_number(10, "K", 1, 10) == 10
    with pytest.raises(BadInputError, match=r"K must be between 1 and 10, not 11\."):
        tasks.whole_number(11, "K", 1, 10)
    with pytest.raises(BadInputError, match=r"K must be a whole number, not '1e999'\."):
        tasks.whole_number("1e999", "K", 1)


def test_fraction():
    assert tasks.fraction(None, "W", 0.4) == 0.4
    assert tasks.fraction("1", "W", 0.4) == 1.0 and tasks.fraction(0, "W", 0.4) == 0.0
    with pytest.raises(BadInputError, match="W must be between 0 and 1"):
        tasks.fraction(1.0001, "W", 0.4)


def test_chinese_labels_for_an_english_only_embedder_are_refused(tmp_path, picture):
    """tiny's default embedder reads any language (as full's); the English-only one refuses."""
    from mmdemo.models.registry import EnglishOnlyError

    english_only = ModelServer(
        Settings(
            preset="tiny",
            device="cpu",
            index_dir=tmp_path,
            index_default_gallery=False,
            backends="embed=openclip-tiny",
        )
    )
    with pytest.raises(EnglishOnlyError, match=r"reads English only.*labels in English"):
        tasks.classify(english_only, picture, "猫, 狗", "{}")
    with pytest.raises(EnglishOnlyError):
        tasks.classify(english_only, picture, ["猫", "狗"], "{}")


def test_chinese_labels_are_read_by_the_multilingual_default(server, picture):
    result = tasks.classify(server, picture, "猫, 狗", "一张{}的照片。")
    assert {score.label for score in result.scores} == {"猫", "狗"}
    assert sum(score.probability for score in result.scores) == pytest.approx(1.0)


def test_a_chinese_question_for_an_english_only_vqa_model_is_refused(server, picture):
    from mmdemo.models.registry import EnglishOnlyError

    with pytest.raises(EnglishOnlyError, match=r"blip-vqa-tiny reads English only.*in English"):
        tasks.answer(server, picture, "这是什么？", model="blip-vqa-tiny")


def test_a_chinese_caption_where_the_model_writes_chinese(server, picture):
    result = tasks.caption(server, picture, model="label-caption", language="zh")
    assert result.caption.startswith("一张") and "English only" not in result.method
    assert tasks.caption(server, picture, model="label-caption").caption.startswith("A ")


def test_blip_captions_in_english_and_says_so_when_asked_for_chinese(server, picture):
    from mmdemo.core.i18n import translate

    result = tasks.caption(server, picture, language="zh", max_length=5)
    assert result.method.startswith("BLIP, beam search")
    assert result.method.endswith("the model writes English only, so the caption is in English")
    assert "English only" not in tasks.caption(server, picture, max_length=5).method
    assert translate(result.method, "zh").endswith("所以描述是英文")


@pytest.mark.parametrize("language", ["fr", "zh-CN", 3])
def test_an_unknown_caption_language_is_refused(server, picture, language):
    with pytest.raises(BadInputError, match=r"caption language|must be a name"):
        tasks.caption(server, picture, model="label-caption", language=language)
