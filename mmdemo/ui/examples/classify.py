"""The Classify tab's examples, per preset and language, each with what it must show.

Chinese examples (``language="zh"``) have Chinese labels; the tab offers them to a Chinese
visitor only when the embedder reads Chinese (``Capabilities.reads``), since labels an
English-only model cannot read are refused, not scored.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmdemo.ui.examples.base import GALLERY, _for

CLASSIFY_LABELS = "a cat, a dog, a cup of coffee, a rocket launch, an astronaut, a flower"
# the full-width comma a Chinese keyboard types (the label parser splits on it too)
CLASSIFY_LABELS_ZH = "猫，狗，一杯咖啡，火箭发射，宇航员，花"
DEFAULT_LABELS = {"en": CLASSIFY_LABELS, "zh": CLASSIFY_LABELS_ZH}


@dataclass(frozen=True)
class ClassifyExample:
    image: str
    expect: str  # the label that must come first
    labels: str = CLASSIFY_LABELS
    language: str = "en"  # the language of the labels (and of the visitor it is offered to)


def _zh(image: str, expect: str) -> ClassifyExample:
    return ClassifyExample(image, expect, CLASSIFY_LABELS_ZH, "zh")


_CLASSIFY_BOTH = (
    ClassifyExample(f"{GALLERY}/coffee_cup.png", "a cup of coffee"),
    ClassifyExample(f"{GALLERY}/chelsea_the_cat.png", "a cat"),
    ClassifyExample(f"{GALLERY}/falcon9_rocket_launch.jpg", "a rocket launch"),
    ClassifyExample(f"{GALLERY}/flower.jpg", "a flower"),
)
_CLASSIFY_BOTH_ZH = (
    _zh(f"{GALLERY}/chelsea_the_cat.png", "猫"),
    _zh(f"{GALLERY}/coffee_cup.png", "一杯咖啡"),
    _zh(f"{GALLERY}/falcon9_rocket_launch.jpg", "火箭发射"),
    _zh(f"{GALLERY}/flower.jpg", "花"),
)
CLASSIFY_EXAMPLES: dict[str, tuple[ClassifyExample, ...]] = {
    "full": (
        *_CLASSIFY_BOTH,
        ClassifyExample(f"{GALLERY}/astronaut_eileen_collins.png", "an astronaut"),
        *_CLASSIFY_BOTH_ZH,
        _zh(f"{GALLERY}/astronaut_eileen_collins.png", "宇航员"),
    ),
    # ImageNet has no astronaut: lite reads her as a rocket launch (in either language).
    # lite's label bridge reads Chinese (USE-multilingual half): the same four in Chinese.
    "lite": (*_CLASSIFY_BOTH, *_CLASSIFY_BOTH_ZH),
}


def classify_examples(preset: str, language: str | None = None) -> tuple[ClassifyExample, ...]:
    """The examples of ``preset`` in ``language`` (None: every language, as the tests drive)."""
    return tuple(
        e for e in _for(preset, CLASSIFY_EXAMPLES) if language is None or e.language == language
    )
