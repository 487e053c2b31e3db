"""The Caption tab's examples, per preset and language, each with what it must show.

An example is an image; its ``language`` is the language the caption is asked for in (the
visitor's): the tab offers each image once, and the tests ask for the caption in each
language listed. The label-based captioner writes Chinese; BLIP writes English only, so
``full`` has no Chinese entries (its caption stays English and its note says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from mmdemo.ui.examples.base import GALLERY, _for


@dataclass(frozen=True)
class CaptionExample:
    image: str
    mentions: str  # a word the caption must contain (lite: the classifier is sure of it)
    language: str = "en"  # the language the caption is asked for in


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
        CaptionExample(f"{GALLERY}/coffee_cup.png", "意式浓缩咖啡", "zh"),  # espresso
        CaptionExample(f"{GALLERY}/cameraman_with_tripod.png", "三脚架", "zh"),  # tripod
        CaptionExample(f"{GALLERY}/chelsea_the_cat.png", "猫", "zh"),
    ),
}


def caption_examples(preset: str, language: str | None = "en") -> tuple[CaptionExample, ...]:
    """``preset``'s examples in ``language`` (``None``: every language). English by default:
    a caption's language is the request's (an API call's is English), so the others are
    driven with a request in their language (tests/integration/tabs/test_caption_tab.py)."""
    found = _for(preset, CAPTION_EXAMPLES)
    return found if language is None else tuple(e for e in found if e.language == language)
