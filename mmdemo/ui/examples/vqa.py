"""The Ask (VQA) tab's examples, per preset, each with what it must show."""

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
        ),
    ),
    VqaImage(
        f"{GALLERY}/chelsea_the_cat.png",
        "photo",
        (
            _q("Is there a cat in the picture?", "is_there", "yes"),
            _q("What animal is this?", "what", "cat", "tiger cat", "tabby", "Egyptian cat"),
        ),
    ),
    VqaImage(
        f"{GALLERY}/falcon9_rocket_launch.jpg",
        "photo",
        (
            _q("How many rockets?", "count", "1", "one"),
            _q("Is there a rocket?", "is_there", "yes"),
            _q("Is it daytime?", "open", "no"),
        ),
    ),
    VqaImage(
        f"{GALLERY}/cameraman_with_tripod.png",
        "photo",
        (
            _q("What is this?", "what", "tripod", "camera", "man"),
            _q("Is there a tripod?", "is_there", "yes"),
        ),
    ),
    VqaImage(
        f"{GALLERY}/astronaut_eileen_collins.png",
        "photo",
        (
            _q("What is the person wearing?", "open", "space suit", "suit", "spacesuit"),
            _q("Is there a helmet?", "is_there", "yes"),
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
    ),
    "shapes": (
        _q("What shape is in the image?", "shape"),
        _q("What color is the shape?", "colour"),
    ),
}


def vqa_image(name: str | None) -> VqaImage | None:
    """The example image with this file name, if it is one of ours."""
    return next((v for v in VQA_IMAGES if v.name == name), None) if name else None


def answerable(questions: Sequence[Question], can: Capabilities, domain: str) -> list[Question]:
    """The questions of kinds ``can`` answers about a ``domain`` image."""
    return [q for q in questions if can.answers(q.kind, domain)]


def suggested_questions(can: Capabilities, name: str | None, domain: str) -> list[Question]:
    """Questions to offer for an image: its own if it is an example, else generic ones;
    only of kinds the model answers."""
    known = vqa_image(name)
    if known is not None:
        return answerable(known.questions, can, known.domain)
    return answerable(GENERIC_QUESTIONS.get(domain, ()), can, domain)


def vqa_examples(can: Capabilities) -> list[tuple[VqaImage, Question]]:
    """One example row per image the model can say something true about: its first
    answerable question."""
    rows = []
    for image in VQA_IMAGES:
        questions = answerable(image.questions, can, image.domain)
        if questions:
            rows.append((image, questions[0]))
    return rows


def image_domain(picture) -> str:
    """ "shapes" for an image from the easy-VQA world (our shapes model's), else "photo"."""
    from mmdemo.models.shared.shapes_world import looks_like_shapes_image

    return "shapes" if looks_like_shapes_image(picture) else "photo"
