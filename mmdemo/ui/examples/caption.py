"""The Caption tab's examples, per preset, each with what it must show."""

from __future__ import annotations

from dataclasses import dataclass

from mmdemo.ui.examples.base import GALLERY, _for


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
