"""Every example the page offers, per preset and per capability, with what each must show.

Why one place with the intended result beside each example: an example is a promise made
to a first-time visitor. ``tests/integration/test_examples.py`` reads these same lists (the
tabs build their example rows and suggested questions from them) and drives every offered
example through the running app - in ``lite`` it checks the intended result (the top hit,
the right answer, the label, a disagreement), in ``tiny`` that it answers with the right
types. A new example is therefore tested the moment it is added, and one the preset cannot
do fails a test instead of a demo.

Examples differ per preset because the models do: CLIP (``full``) finds "outer space",
lite's label bridge does not. ``tiny`` mirrors ``full`` (same architectures, random
weights), so it gets ``full``'s examples. VQA questions are filtered by the kinds of
question the active model declares (``Capabilities.question_kinds``), never by its name.
Paths are relative to the assets folder (``Settings.assets_dir``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mmdemo.models.registry import Capabilities

GALLERY = "gallery"  # the default gallery folder, under assets/
SHAPES = "examples/shapes"
SENTIMENT = "examples/sentiment"


def _for(preset: str, table: dict):
    """A preset's own entry; ``tiny`` (and anything else) mirrors ``full``."""
    return table.get(preset, table["full"])


# -- Search ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchExample:
    query: str
    finds: str  # the gallery file that must be the top hit


SEARCH_EXAMPLES: dict[str, tuple[SearchExample, ...]] = {
    "full": (
        SearchExample("a cup of coffee", "coffee_cup.png"),
        SearchExample("a cat", "chelsea_the_cat.png"),
        SearchExample("a rocket launching", "falcon9_rocket_launch.jpg"),
        SearchExample("old coins", "greek_coins_pompeii.png"),
        SearchExample("outer space", "hubble_deep_field.jpg"),
    ),
    # lite's text side is a sentence encoder matched against ImageNet class names: it
    # finds things ImageNet has a class for (coins and galaxies it has not).
    "lite": (
        SearchExample("a cup of coffee", "coffee_cup.png"),
        SearchExample("a cat", "chelsea_the_cat.png"),
        SearchExample("a rocket launching", "falcon9_rocket_launch.jpg"),
        SearchExample("a flower", "flower.jpg"),
        SearchExample("a camera on a tripod", "cameraman_with_tripod.png"),
    ),
}


def search_examples(preset: str) -> tuple[SearchExample, ...]:
    return _for(preset, SEARCH_EXAMPLES)


def search_queries(preset: str) -> list[str]:
    """The Search tab's "Try" chips for ``preset``."""
    return [example.query for example in search_examples(preset)]


# -- Classify ----------------------------------------------------------------------------
CLASSIFY_LABELS = "a cat, a dog, a cup of coffee, a rocket launch, an astronaut, a flower"


@dataclass(frozen=True)
class ClassifyExample:
    image: str
    expect: str  # the label that must come first
    labels: str = CLASSIFY_LABELS


_CLASSIFY_BOTH = (
    ClassifyExample(f"{GALLERY}/coffee_cup.png", "a cup of coffee"),
    ClassifyExample(f"{GALLERY}/chelsea_the_cat.png", "a cat"),
    ClassifyExample(f"{GALLERY}/falcon9_rocket_launch.jpg", "a rocket launch"),
    ClassifyExample(f"{GALLERY}/flower.jpg", "a flower"),
)
CLASSIFY_EXAMPLES: dict[str, tuple[ClassifyExample, ...]] = {
    "full": (
        *_CLASSIFY_BOTH,
        ClassifyExample(f"{GALLERY}/astronaut_eileen_collins.png", "an astronaut"),
    ),
    "lite": _CLASSIFY_BOTH,  # ImageNet has no astronaut: lite reads her as a rocket launch
}


def classify_examples(preset: str) -> tuple[ClassifyExample, ...]:
    return _for(preset, CLASSIFY_EXAMPLES)


# -- Caption -----------------------------------------------------------------------------
@dataclass(frozen=True)
class CaptionExample:
    image: str
    mentions: str  # a word the caption must contain (lite: the classifier is sure of it)


CAPTION_EXAMPLES: dict[str, tuple[CaptionExample, ...]] = {
    "full": (
        CaptionExample(f"{GALLERY}/coffee_cup.png", "coffee"),
        CaptionExample(f"{GALLERY}/astronaut_eileen_collins.png", "woman"),
        CaptionExample(f"{GALLERY}/falcon9_rocket_launch.jpg", "rocket"),
        CaptionExample(f"{GALLERY}/china_temple.jpg", "pagoda"),
    ),
    "lite": (
        CaptionExample(f"{GALLERY}/coffee_cup.png", "espresso"),
        CaptionExample(f"{GALLERY}/cameraman_with_tripod.png", "tripod"),
        CaptionExample(f"{GALLERY}/chelsea_the_cat.png", "cat"),
    ),
}


def caption_examples(preset: str) -> tuple[CaptionExample, ...]:
    return _for(preset, CAPTION_EXAMPLES)


# -- Ask (VQA) ---------------------------------------------------------------------------
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


# -- Sentiment ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SentimentExample:
    text: str
    image: str | None
    fusion: str
    expect: str  # the fused label
    disagree: bool = False  # text and image must pull opposite ways
    text_weight: float = 0.5


# Shown in every preset: two real disagreements (text and photo pull opposite ways) and
# an agreement.
_SENTIMENT_BOTH = (
    SentimentExample(
        "Great, another rainy day.",
        f"{SENTIMENT}/temple_grey_overcast.jpg",
        "late",
        "positive",
        disagree=True,
    ),
    SentimentExample(
        "I love this place, the coffee is wonderful!",
        f"{GALLERY}/coffee_cup.png",
        "late",
        "positive",
    ),
    SentimentExample(
        "What a terrible, awful day.",
        f"{GALLERY}/flower.jpg",
        "late",
        "negative",
        disagree=True,
    ),
)
SENTIMENT_EXAMPLES: dict[str, tuple[SentimentExample, ...]] = {
    "full": (
        *_SENTIMENT_BOTH,
        SentimentExample(
            "Great, another rainy day.",
            f"{SENTIMENT}/temple_grey_overcast.jpg",
            "caption",
            "positive",
        ),
        SentimentExample("The service was slow and the food was cold.", None, "late", "negative"),
    ),
    # lite reads text with the VADER lexicon (words like "slow" and "cold" are not in it,
    # so "the service was slow" is neutral) and its captions are class names, which carry
    # no sentiment: the caption bridge shows what the text model read, not a disagreement.
    "lite": (
        *_SENTIMENT_BOTH,
        SentimentExample(
            "I love this place, the coffee is wonderful!",
            f"{GALLERY}/coffee_cup.png",
            "caption",
            "positive",
        ),
        SentimentExample(
            "The service was terrible and the food was cold.", None, "late", "negative"
        ),
    ),
}


def sentiment_examples(preset: str) -> tuple[SentimentExample, ...]:
    return _for(preset, SENTIMENT_EXAMPLES)


def existing(assets: Path, relative: str | None) -> str | None:
    """The example file's full path, or None when it is not shipped (then no example)."""
    if relative is None:
        return None
    path = Path(assets) / relative
    return str(path) if path.is_file() else None
