"""Small pure helpers of the Ask (VQA) tab: suggestions that follow the model's declared
question kinds and the visitor's language, example rows, the remembered answers, and the
intro and notes in both languages."""

from __future__ import annotations

from mmdemo.core.config import Settings
from mmdemo.core.i18n import has_cjk
from mmdemo.core.results import Scored, VqaResult
from mmdemo.models.registry import QUESTION_KINDS, Capabilities, get_backend
from mmdemo.services.tasks import ModelChoice
from mmdemo.ui import examples
from mmdemo.ui.tabs.vqa import (
    example_rows,
    history_markdown,
    intro,
    top_answer,
    upload_name,
    vqa_markdown,
)

ANY = Capabilities()
ROUTED = get_backend("vqa", "routed-vqa").capabilities


def texts(questions) -> list[str]:
    return [q.text for q in questions]


def test_every_example_question_has_a_known_kind_and_an_intended_answer():
    for image in examples.VQA_IMAGES:
        assert image.domain in ("photo", "shapes")
        for question in image.questions:
            assert question.kind in QUESTION_KINDS and question.expect, question
            assert question.language in ("en", "zh"), question
            # a Chinese question is answered in Chinese: so are its intended answers
            assert has_cjk(question.text) == (question.language == "zh"), question
            assert all(has_cjk(a) for a in question.expect) == (question.language == "zh")


def test_a_model_that_answers_anything_gets_every_question_of_an_example_image():
    coffee = examples.vqa_image("coffee_cup.png")
    english = [q for q in coffee.questions if q.language == "en"]
    assert examples.suggested_questions(ANY, "coffee_cup.png", "photo") == english


def test_the_routed_model_is_offered_only_the_kinds_it_declares():
    """lite's photo VQA answers 'what is this?' and 'is there a ...?', never colours."""
    offered = examples.suggested_questions(ROUTED, "coffee_cup.png", "photo")
    assert texts(offered) == ["What is this?", "Is there a cup?", "Is there a cat?"]
    assert "What color is the saucer?" not in texts(offered)
    generic = texts(examples.suggested_questions(ROUTED, "holiday.jpg", "photo"))
    assert generic == ["What is this?", "Is there a person?"]
    shapes = texts(examples.suggested_questions(ROUTED, "mine.png", "shapes"))
    assert shapes == ["What shape is in the image?", "What color is the shape?"]


def test_a_shapes_only_model_offers_nothing_for_photos():
    shapes_only = get_backend("vqa", "shapes-vqa").capabilities
    assert examples.suggested_questions(shapes_only, "holiday.jpg", "photo") == []
    assert examples.suggested_questions(shapes_only, "red_circle.png", "photo")  # its own domain


def test_example_rows_are_the_first_answerable_question_of_each_shipped_image(tmp_path):
    assets = Settings().assets_dir
    rows = example_rows(assets, ROUTED)
    assert [r[1] for r in rows if r[0].endswith("falcon9_rocket_launch.jpg")] == [
        "Is there a rocket?"
    ]
    assert [r[1] for r in example_rows(assets, ANY) if r[0].endswith("coffee_cup.png")] == [
        "What color is the saucer?"
    ]
    assert example_rows(tmp_path, ROUTED) == []  # nothing shipped there: no examples


def test_upload_names():
    assert upload_name({"path": "/tmp/u/1.png", "orig_name": "coffee_cup.png"}) == "coffee_cup.png"
    assert upload_name({"path": "/tmp/gradio/x/red_circle.png"}) == "red_circle.png"
    assert upload_name(None) is None


def test_the_history_shows_the_top_answer_with_its_confidence():
    assert top_answer({"cat": 0.2, "dog": 0.7}) == "dog (70%)"
    assert top_answer(None) == "no answer"
    text = history_markdown([["Is there a dog?", "yes (91%)"], ["What colour?", "no answer"]])
    assert "1. Is there a dog? → **yes (91%)**" in text and "2. What colour?" in text
    assert history_markdown([]) == ""


def test_a_chinese_visitor_gets_chinese_questions_where_the_model_reads_them():
    """lite's routed VQA answers photo questions in Chinese; BLIP/ViLT read English only,
    and the shapes model too, so those get the English questions."""
    offered = texts(examples.suggested_questions(ROUTED, "coffee_cup.png", "photo", "zh"))
    assert offered == ["这是什么？", "有没有杯子？", "有没有猫？", "是咖啡吗？"]
    generic = texts(examples.suggested_questions(ROUTED, "holiday.jpg", "photo", "zh"))
    assert generic == ["这是什么？", "有没有人？"]  # colour and counting are not answered
    shapes = texts(examples.suggested_questions(ROUTED, "red_circle.png", "shapes", "zh"))
    assert shapes == ["What shape is this?", "Is there a circle?"]
    english_only = texts(examples.suggested_questions(ANY, "coffee_cup.png", "photo", "zh"))
    assert english_only[0] == "What color is the saucer?" and not any(map(has_cjk, english_only))
    rocket = texts(examples.suggested_questions(ROUTED, "falcon9_rocket_launch.jpg", "photo", "zh"))
    assert rocket == ["有火箭吗？"]


def test_example_rows_per_language(tmp_path):
    assets = Settings().assets_dir
    chinese = {r[0].rsplit("/", 1)[-1]: r[1] for r in example_rows(assets, ROUTED, "zh")}
    assert (
        chinese["coffee_cup.png"] == "这是什么？"
        and chinese["red_circle.png"] == "What shape is this?"
    )
    assert all(not has_cjk(r[1]) for r in example_rows(assets, ANY, "zh"))  # BLIP: English


def test_the_history_and_notes_in_chinese():
    assert top_answer(None, "zh") == "没有答案"
    assert top_answer({"有": 0.8, "没有": 0.2}, "zh") == "有 (80%)"
    text = history_markdown([["有没有猫？", "有 (80%)"]], "zh")
    assert text.startswith("**关于这张图片问过的：**") and "1. 有没有猫？ → **有 (80%)**" in text
    result = VqaResult(
        (Scored("yes", 0.9),), True, "blip-vqa-tiny", "Answers are ImageNet classes."
    )
    english, chinese = vqa_markdown(result, "en"), vqa_markdown(result, "zh")
    assert english == "Answers are ImageNet classes.\n\n*Answered by:* blip-vqa-tiny."
    assert chinese == "答案是 ImageNet 的类别。\n\n*回答的模型：* blip-vqa-tiny。"
    refused = VqaResult((), False, "m", "Can't answer this kind of question.", random_weights=True)
    assert vqa_markdown(refused, "en").startswith("⚠️ *Random test weights")
    assert "**Can't answer this kind of question.**" in vqa_markdown(refused, "en")


def test_the_intro_in_chinese_says_which_models_read_english_only():
    blip = ModelChoice("blip-vqa-tiny", "BLIP VQA, tiny random (tests)", ANY, True)
    routed = ModelChoice(
        "routed-vqa", "Shapes model trained here + similarity answers for photos", ROUTED, False
    )
    english = intro([blip, routed], "en")
    assert "answers open questions about any photo" in english and not has_cjk(english)
    assert "English" not in english  # an English reader needs no warning
    lines = intro([blip, routed], "zh").splitlines()
    assert len(lines) == 3 and all(has_cjk(line) for line in lines)
    assert "只读英文问题" in lines[1] and "BLIP VQA" in lines[1]
    assert "只读英文问题" not in lines[2] and "关于形状的问题只能用英文问" in lines[2]
    assert "这里训练的形状模型" in lines[2]  # the menu's Chinese label
