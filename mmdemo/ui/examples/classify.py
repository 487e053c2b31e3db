"""The Classify tab's examples, per preset, each with what it must show."""

from __future__ import annotations

from dataclasses import dataclass

from mmdemo.ui.examples.base import GALLERY, _for

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
