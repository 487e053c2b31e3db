"""The Search tab's examples, per preset and language, each with what it must show.

Why each example carries its ``language``: the tab offers the chips of the page's language
(English when a preset has none in it), while tests/integration/test_examples.py drives
every example of every language, so a Chinese chip is a promise tested like an English one.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmdemo.ui.examples.base import GALLERY, _for


@dataclass(frozen=True)
class SearchExample:
    query: str
    finds: str  # the gallery file that must be the top hit
    language: str = "en"  # "en" or "zh": the page language that offers it


SEARCH_EXAMPLES: dict[str, tuple[SearchExample, ...]] = {
    # full and tiny embed with the multilingual open_clip (XLM-R text tower): it reads
    # Chinese, so their Chinese chips ask for the same photos as the English ones.
    "full": (
        SearchExample("a cup of coffee", "coffee_cup.png"),
        SearchExample("a cat", "chelsea_the_cat.png"),
        SearchExample("a rocket launching", "falcon9_rocket_launch.jpg"),
        SearchExample("old coins", "greek_coins_pompeii.png"),
        SearchExample("outer space", "hubble_deep_field.jpg"),
        SearchExample("一杯咖啡", "coffee_cup.png", "zh"),
        SearchExample("一只猫", "chelsea_the_cat.png", "zh"),
        SearchExample("火箭发射", "falcon9_rocket_launch.jpg", "zh"),
        SearchExample("古代钱币", "greek_coins_pompeii.png", "zh"),
        SearchExample("外太空", "hubble_deep_field.jpg", "zh"),
    ),
    # lite's text side is a sentence encoder matched against ImageNet class names: it
    # finds things ImageNet has a class for (coins and galaxies it has not). Its bridge
    # reads Chinese through the USE-multilingual half: "三脚架" (a tripod) rather than
    # "三脚架上的相机", which also calls two unrelated photos strong matches.
    "lite": (
        SearchExample("a cup of coffee", "coffee_cup.png"),
        SearchExample("a cat", "chelsea_the_cat.png"),
        SearchExample("a rocket launching", "falcon9_rocket_launch.jpg"),
        SearchExample("a flower", "flower.jpg"),
        SearchExample("a camera on a tripod", "cameraman_with_tripod.png"),
        SearchExample("一杯咖啡", "coffee_cup.png", "zh"),
        SearchExample("一只猫", "chelsea_the_cat.png", "zh"),
        SearchExample("火箭发射", "falcon9_rocket_launch.jpg", "zh"),
        SearchExample("一朵花", "flower.jpg", "zh"),
        SearchExample("三脚架", "cameraman_with_tripod.png", "zh"),
    ),
}


def search_examples(preset: str, language: str | None = None) -> tuple[SearchExample, ...]:
    """``preset``'s examples in ``language`` (``None``: every language, as the tests drive)."""
    found = _for(preset, SEARCH_EXAMPLES)
    return found if language is None else tuple(e for e in found if e.language == language)


def search_queries(preset: str, language: str = "en") -> list[str]:
    """The Search tab's "Try" chips for ``preset`` in ``language``; English where the preset
    offers none in it (its model does not read that language)."""
    chosen = search_examples(preset, language) or search_examples(preset, "en")
    return [example.query for example in chosen]


@dataclass(frozen=True)
class TermsExample:
    """A query-arithmetic example: the one-line terms, the gallery photo uploaded as
    ``image`` (or None), and the gallery file that must be the top hit."""

    line: str
    image: str | None
    finds: str
    language: str = "en"


# Each takes away what the photo shows and adds something else: the top hit must be the
# photo of the added thing, not the photo itself (lite: tests/unit/services/
# test_query_terms_lite.py; full's are the same sentences, driven on tiny for their types).
_TERMS = (
    TermsExample(
        'image - "a cat" + "a cup of coffee"', f"{GALLERY}/chelsea_the_cat.png", "coffee_cup.png"
    ),
    TermsExample(
        'image - "a rocket" + "a flower"', f"{GALLERY}/falcon9_rocket_launch.jpg", "flower.jpg"
    ),
    TermsExample(
        'image - "一只猫" + "一杯咖啡"', f"{GALLERY}/chelsea_the_cat.png", "coffee_cup.png", "zh"
    ),
    TermsExample(
        'image - "火箭" + "一朵花"', f"{GALLERY}/falcon9_rocket_launch.jpg", "flower.jpg", "zh"
    ),
)
TERMS_EXAMPLES: dict[str, tuple[TermsExample, ...]] = {"full": _TERMS, "lite": _TERMS}


def terms_examples(preset: str, language: str | None = None) -> tuple[TermsExample, ...]:
    """``preset``'s query-arithmetic examples in ``language`` (``None``: every language);
    English where the preset offers none in it."""
    found = _for(preset, TERMS_EXAMPLES)
    if language is None:
        return found
    return tuple(e for e in found if e.language == language) or tuple(
        e for e in found if e.language == "en"
    )
