"""VQA for photos in the shared space: "what is this?" and "is there a ...?", nothing else,
asked in English or in Chinese and answered in the question's language."""

from __future__ import annotations

import pytest
from PIL import Image

from mmdemo.core.config import PROJECT_ROOT, Settings
from mmdemo.core.errors import BadInputError
from mmdemo.core.i18n import has_cjk, translated
from mmdemo.models.backends.photo_vqa import ParsedQuestion, PhotoVqa, parse_question
from mmdemo.models.registry import get_backend
from mmdemo.serving import ModelServer

GALLERY = PROJECT_ROOT / "assets" / "gallery"


def gallery_image(name: str) -> Image.Image:
    return Image.open(GALLERY / name).convert("RGB")


def test_photo_vqa_answers_what_and_is_there(lite):
    vqa = lite.get("vqa")
    what = vqa.answer(gallery_image("coffee_cup.png"), "What is this?")
    assert what.answered and what.answers[0].label == "espresso"
    cat = gallery_image("chelsea_the_cat.png")
    yes = vqa.answer(cat, "Is there a cat in the picture?")
    no = vqa.answer(cat, "is there a rocket?")
    assert yes.answers[0].label == "yes" and no.answers[0].label == "no"


@pytest.mark.parametrize(
    "question", ["How many people are there?", "What colour is the cup?", "Why is it here?"]
)
def test_photo_vqa_refuses_question_kinds_it_cannot_answer(lite, question):
    result = lite.get("vqa").answer(gallery_image("coffee_cup.png"), question)
    assert not result.answered and result.answers == ()
    assert "can't answer this kind of question with the lite models" in result.message.lower()


@pytest.mark.parametrize(
    ("question", "kind", "thing"),
    [
        ("What is this?", "what", ""),
        ("what kind of animal is in the picture", "what", ""),
        ("Describe this", "what", ""),
        ("Is there a red car in the photo?", "is_there", "red car"),
        ("Does the image contain any dogs?", "is_there", "dogs"),
        ("How many people are there?", "unsupported", ""),
    ],
)
def test_questions_are_sorted_into_the_kinds_it_can_answer(question, kind, thing):
    parsed = parse_question(question)
    assert (parsed.kind, parsed.thing) == (kind, thing)


def test_photo_vqa_serves_alone_on_any_embedder(tmp_path, tiny_cache):
    """As ``MMDEMO_BACKENDS=vqa=photo-vqa`` serves it: on the tiny embedder here."""
    settings = Settings(
        preset="tiny", backends="vqa=photo-vqa", index_dir=tmp_path, cache_dir=tiny_cache
    )
    vqa = ModelServer(settings).get("vqa")
    assert isinstance(vqa, PhotoVqa) and vqa.model_label.endswith(vqa.embedder.model_id)
    what = vqa.answer(Image.new("RGB", (32, 32), "red"), "what is it?", top_k=3)
    assert what.answered and len(what.answers) == 3
    there = vqa.answer(Image.new("RGB", (32, 32), "red"), "is there a cat?")
    assert sorted(a.label for a in there.answers) == ["no", "yes"]
    assert sum(a.probability for a in there.answers) == pytest.approx(1.0)
    with pytest.raises(BadInputError, match="limit is 500"):  # refused, not truncated
        vqa.answer(Image.new("RGB", (32, 32)), "is there a " + "cat " * 200)


# -- Chinese questions ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "kind", "thing", "language"),
    [
        ("这是什么？", "what", "", "zh"),
        ("有没有猫？", "is_there", "猫", "zh"),
        ("是咖啡吗", "is_there", "咖啡", "zh"),
        ("is there a 猫?", "is_there", "猫", "en"),  # English question, Chinese word
        ("What is this？", "what", "", "en"),  # full-width question mark
        ("这是什么颜色？", "unsupported", "", "zh"),
    ],
)
def test_a_question_is_parsed_in_its_own_language(question, kind, thing, language):
    parsed = parse_question(question)
    assert (parsed.kind, parsed.thing, parsed.language) == (kind, thing, language)


def test_what_is_this_in_chinese_names_the_cat_classes_in_chinese(lite):
    result = lite.get("vqa").answer(gallery_image("chelsea_the_cat.png"), "这是什么？")
    assert result.answered and "猫" in result.answers[0].label
    assert all(has_cjk(a.label) for a in result.answers)
    assert result.message.startswith("答案是 ImageNet 的类别")


def test_is_there_a_cat_in_chinese_says_you_on_the_cat_and_meiyou_on_the_coffee(lite):
    vqa = lite.get("vqa")
    cat = vqa.answer(gallery_image("chelsea_the_cat.png"), "有没有猫？")
    coffee = vqa.answer(gallery_image("coffee_cup.png"), "图里有猫吗")
    assert cat.answers[0].label == "有" and coffee.answers[0].label == "没有"
    assert {a.label for a in cat.answers} == {"有", "没有"}


def test_is_this_coffee_in_chinese_says_shi(lite):
    vqa = lite.get("vqa")
    coffee = vqa.answer(gallery_image("coffee_cup.png"), "是咖啡吗")
    cat = vqa.answer(gallery_image("chelsea_the_cat.png"), "这是一杯咖啡吗？")
    assert coffee.answers[0].label == "是" and cat.answers[0].label == "不是"


def test_other_chinese_questions_get_cant_answer_in_chinese(lite):
    result = lite.get("vqa").answer(gallery_image("coffee_cup.png"), "有几个杯子？")
    assert not result.answered and result.answers == ()
    assert result.message.startswith("轻量模型回答不了这类问题")


def test_a_chinese_question_through_the_task_layer(lite):
    """tasks.answer no longer refuses Chinese for the lite VQA: it declares it reads it."""
    from mmdemo.services import tasks

    result = tasks.answer(lite, gallery_image("chelsea_the_cat.png"), "图中有猫吗？")
    assert result.answered and result.answers[0].label == "有"
    assert not result.random_weights


def test_the_vqa_backends_declare_chinese():
    for name in ("photo-vqa", "routed-vqa"):
        capabilities = get_backend("vqa", name).capabilities
        assert "zh" in capabilities.languages and capabilities.reads("图里有没有猫？")


@pytest.mark.parametrize(
    ("embedder", "answered"),
    [("openclip-tiny", False), ("openclip-xlm-roberta-tiny", True)],
)
def test_a_word_that_is_no_class_name_needs_an_embedder_that_reads_chinese(
    tmp_path, tiny_cache, embedder, answered
):
    """火箭 is no ImageNet class's Chinese name: an English-only text encoder cannot score it
    (and says so), a multilingual one embeds it."""
    settings = Settings(
        preset="tiny",
        backends=f"vqa=photo-vqa,embed={embedder}",
        index_dir=tmp_path,
        cache_dir=tiny_cache,
    )
    vqa = ModelServer(settings).get("vqa")
    result = vqa.answer(Image.new("RGB", (32, 32), "red"), "有没有火箭？")
    assert result.answered is answered
    if answered:
        assert sorted(a.label for a in result.answers) == ["有", "没有"]
    else:
        assert result.answers == () and result.message.startswith("轻量模型读不懂“火箭”")
    named = vqa.answer(Image.new("RGB", (32, 32), "red"), "这是杯子吗")  # a class name
    assert named.answered and sorted(a.label for a in named.answers) == ["不是", "是"]
    assert "按 ImageNet 类别判断：杯子" in named.message  # exact, on any embedder
    kind = vqa.answer(Image.new("RGB", (32, 32), "red"), "有没有猫？")
    # English-only: 猫 read as the classes that are kinds of it; multilingual: embedded
    assert ("虎斑猫" in kind.message) is not answered


def test_every_english_note_has_its_chinese_template(lite):
    vqa = lite.get("vqa")
    notes = {
        vqa.answer(gallery_image(name), question).message
        for name, question in [
            ("coffee_cup.png", "What is this?"),
            ("hubble_deep_field.jpg", "What is this?"),  # low confidence
            ("coffee_cup.png", "is there a cat?"),
            ("coffee_cup.png", "is there a 猫?"),  # read as classes
            ("coffee_cup.png", "how many cups are there?"),
        ]
    }
    assert len(notes) == 5
    assert [n for n in notes if not translated(n)] == []
    assert translated(PhotoVqa._unreadable(ParsedQuestion("is_there", "火箭")))
