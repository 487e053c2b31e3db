"""The Sentiment tab's examples, per preset and language, each with what it must show.

Chinese examples are offered only where the preset's text model reads Chinese (a
sentiment backend declaring ``zh``); elsewhere a Chinese visitor gets the English ones,
since VADER or SST-2 would call every Chinese sentence neutral.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmdemo.ui.examples.base import GALLERY, SENTIMENT, _for


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


# In Chinese, per preset, with the fused label each must give (empty: none offered).
SENTIMENT_EXAMPLES_ZH: dict[str, tuple[SentimentExample, ...]] = {"full": ()}


def sentiment_examples(preset: str, language: str = "en") -> tuple[SentimentExample, ...]:
    """The examples a visitor reading ``language`` is offered (English where none)."""
    if language == "zh":
        chinese = _for(preset, SENTIMENT_EXAMPLES_ZH)
        if chinese:
            return chinese
    return _for(preset, SENTIMENT_EXAMPLES)
