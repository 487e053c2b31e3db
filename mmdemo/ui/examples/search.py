"""The Search tab's examples, per preset, each with what it must show."""

from __future__ import annotations

from dataclasses import dataclass

from mmdemo.ui.examples.base import _for


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
