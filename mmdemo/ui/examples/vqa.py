"""The Ask (VQA) tab's examples, per preset and language, each with what it must show.

Chinese questions (``language="zh"``) are offered to a Chinese visitor only when the model
reads Chinese (``Capabilities.reads``: lite's photo VQA answers them in Chinese; BLIP and
ViLT refuse them), else the English ones are; their expected answers are Chinese.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mmdemo.models.registry import Capabilities
from mmdemo.ui.examples.base import GALLERY, SHAPES


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # one of models.registry.QUESTION_KINDS
    expect: tuple[str, ...] = ()  # accepted top answers (any preset that offers it)
    language: str = "en"  # the question's language (answered in it)


@dataclass(frozen=True)
class VqaImage:
    image: str
    domain: str  # "photo" or "shapes" (the easy-VQA world)
    questions: tuple[Question, ...]  # the first one the model answers is the example row

    @property
    def name(self) -> str:
        return Path(self.image).name


def _q(text: str, kind: str, *expect: str) -> Question:
    return Question(text, kind, expect)


def _zh(text: str, kind: str, *expect: str) -> Question:
    return Question(text, kind, expect, "zh")


VQA_IMAGES: tuple[VqaImage, ...] = (
    VqaImage(
        f"{SHAPES}/blue_rectangle.png",
        "shapes",
        (
            _q("What shape is in the image?", "shape", "rectangle"),
            _q("What color is the shape?", "colour", "blue"),
        ),
    ),
    VqaImage(
        f"{SHAPES}/red_circle.png",
        "shapes",
        (_q("What shape is this?", "shape", "circle"), _q("Is there a circle?", "is_there", "yes")),
    ),
    VqaImage(
        f"{SHAPES}/teal_circle.png",
        "shapes",
        (
            _q("What color is the shape?", "colour", "teal"),
            _q("Is there a triangle?", "is_there", "no"),
        ),
    ),
    VqaImage(
        f"{SHAPES}/yellow_triangle.png",
        "shapes",
        (
            _q("Does the image contain a triangle?", "is_there", "yes"),
            _q("What color is the shape?", "colour", "yellow"),
        ),
    ),
    VqaImage(
        f"{GALLERY}/coffee_cup.png",
        "photo",
        (
            _q("What color is the saucer?", "colour", "red"),
            _q("What is this?", "what", "espresso", "coffee", "cup"),
            _q("Is there a cup?", "is_there", "yes"),
            _q("Is there a cat?", "is_there", "no"),
            _zh("这是什么？", "what", "意式浓缩咖啡", "咖啡杯", "杯子"),
            _zh("有没有杯子？", "is_there", "有"),
            _zh("有没有猫？", "is_there", "没有"),
            _zh("是咖啡吗？", "is_there", "是"),
        ),
    ),
    VqaImage(
        f"{GALLERY}/chelsea_the_cat.png",
        "photo",
        (
            _q("Is there a cat in the picture?", "is_there", "yes"),
            _q("What animal is this?", "what", "cat", "tiger cat", "tabby", "Egyptian cat"),
            _zh("图里有猫吗？", "is_there", "有"),
            _zh("这是什么动物？", "what", "虎斑猫", "山猫", "埃及猫"),
        ),
    ),
    VqaImage(
        f"{GALLERY}/falcon9_rocket_launch.jpg",
        "photo",
        (
            _q("How many rockets?", "count", "1", "one"),
            _q("Is there a rocket?", "is_there", "yes"),
            _q("Is it daytime?", "open", "no"),
            # 火箭 is no ImageNet class's Chinese name: it is embedded, so this needs an
            # embedder that reads Chinese (lite's bridge does)
            _zh("有火箭吗？", "is_there", "有"),
        ),
    ),
    VqaImage(
        f"{GALLERY}/cameraman_with_tripod.png",
        "photo",
        (
            _q("What is this?", "what", "tripod", "camera", "man"),
            _q("Is there a tripod?", "is_there", "yes"),
            _zh("这是什么？", "what", "三脚架", "照相机", "男人"),
            _zh("有没有三脚架？", "is_there", "有"),
        ),
    ),
    VqaImage(
        f"{GALLERY}/astronaut_eileen_collins.png",
        "photo",
        (
            _q("What is the person wearing?", "open", "space suit", "suit", "spacesuit"),
            _q("Is there a helmet?", "is_there", "yes"),
            _zh("有没有头盔？", "is_there", "有"),
        ),
    ),
)
# For an image that is not one of the above: questions that fit any image of the kind.
GENERIC_QUESTIONS: dict[str, tuple[Question, ...]] = {
    "photo": (
        _q("What is this?", "what"),
        _q("What color is it?", "colour"),
        _q("How many people are there?", "count"),
        _q("Is there a person?", "is_there"),
        _zh("这是什么？", "what"),
        _zh("这是什么颜色？", "colour"),
        _zh("有几个人？", "count"),
        _zh("有没有人？", "is_there"),
    ),
    "shapes": (
        _q("What shape is in the image?", "shape"),
        _q("What color is the shape?", "colour"),
    ),
}


def vqa_image(name: str | None) -> VqaImage | None:
    """The example image with this file name, if it is one of ours."""
    return next((v for v in VQA_IMAGES if v.name == name), None) if name else None


def reads_chinese(can: Capabilities) -> bool:
    """Whether the model reads a Chinese question (else a Chinese visitor gets English ones)."""
    return can.reads("这是什么？")


def answerable(questions: Sequence[Question], can: Capabilities, domain: str) -> list[Question]:
    """The questions of kinds ``can`` answers about a ``domain`` image."""
    return [q for q in questions if can.answers(q.kind, domain)]


def for_language(questions: Sequence[Question], can: Capabilities, language: str) -> list[Question]:
    """The questions for a visitor in ``language``: theirs if the model reads it and some
    are left, else the English ones (a model that reads English only still answers those)."""
    if language != "en" and reads_chinese(can):
        own = [q for q in questions if q.language == language]
        if own:
            return own
    return [q for q in questions if q.language == "en"]


def suggested_questions(
    can: Capabilities, name: str | None, domain: str, language: str = "en"
) -> list[Question]:
    """Questions to offer for an image: its own if it is an example, else generic ones;
    only of kinds the model answers, in ``language`` where the model reads it."""
    known = vqa_image(name)
    if known is not None:
        return for_language(answerable(known.questions, can, known.domain), can, language)
    return for_language(answerable(GENERIC_QUESTIONS.get(domain, ()), can, domain), can, language)


def vqa_examples(can: Capabilities, language: str = "en") -> list[tuple[VqaImage, Question]]:
    """One example row per image the model can say something true about: its first
    answerable question in ``language`` (English where the model reads only English)."""
    rows = []
    for image in VQA_IMAGES:
        questions = for_language(answerable(image.questions, can, image.domain), can, language)
        if questions:
            rows.append((image, questions[0]))
    return rows


def image_domain(picture) -> str:
    """ "shapes" for an image from the easy-VQA world (our shapes model's), else "photo"."""
    from mmdemo.models.shared.shapes_world import looks_like_shapes_image

    return "shapes" if looks_like_shapes_image(picture) else "photo"
