"""The Sentiment tab's examples, per preset and language, each with what it must show.

Chinese examples are offered only where the preset's text model reads Chinese (a
sentiment backend declaring ``zh``); elsewhere a Chinese visitor gets the English ones,
since VADER or SST-2 alone would call every Chinese sentence neutral. Each example carries
its ``language``; tests/integration/test_examples.py drives every one of each language.
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
    language: str = "en"  # "en" or "zh": the page language that offers it


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
        f"{GALLERY}/china_temple.jpg",  # the same temple as the grey one, under a blue sky
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


# In Chinese: every preset's text model reads Chinese (lite: VADER routes Chinese to the
# cross-lingual e5 head; full: SST-2 routes it to the multilingual DistilBERT; tiny their
# random twins). The same pictures as the English ones, so the same promises: a literal
# "great" on a grey day disagrees with the photo; the lite labels below were checked on the
# lite app and none of these sentences is in assets/quality/sentiment_zh.tsv (the head's
# tune/held-out set). The photo and the caption bridge's caption are read as before (lite's
# captions are English class names, which carry no sentiment).
def _zh(text: str, image: str | None, fusion: str, expect: str, **kw) -> SentimentExample:
    return SentimentExample(text, image, fusion, expect, language="zh", **kw)


_SENTIMENT_ZH = (
    _zh(
        "太好了，又是一个下雨天。",
        f"{SENTIMENT}/temple_grey_overcast.jpg",
        "late",
        "positive",
        disagree=True,
    ),
    _zh("我太喜欢这个地方了，咖啡好喝极了！", f"{GALLERY}/coffee_cup.png", "late", "positive"),
    _zh(
        "今天真是糟透了，什么都不顺。",
        f"{GALLERY}/china_temple.jpg",
        "late",
        "negative",
        disagree=True,
    ),
    _zh("我太喜欢这个地方了，咖啡好喝极了！", f"{GALLERY}/coffee_cup.png", "caption", "positive"),
    _zh("服务太慢了，菜也是凉的。", None, "late", "negative"),  # VADER called this neutral
    _zh("这家店的 coffee 太难喝了，再也不来了。", None, "late", "negative"),  # mixed scripts
)
SENTIMENT_EXAMPLES_ZH: dict[str, tuple[SentimentExample, ...]] = {
    "full": _SENTIMENT_ZH,
    "lite": _SENTIMENT_ZH,
}


def sentiment_examples(preset: str, language: str = "en") -> tuple[SentimentExample, ...]:
    """The examples a visitor reading ``language`` is offered (English where a preset has
    none in it: its text model would call every Chinese sentence neutral)."""
    if language == "zh":
        chinese = _for(preset, SENTIMENT_EXAMPLES_ZH)
        if chinese:
            return chinese
    return _for(preset, SENTIMENT_EXAMPLES)
