"""Three-class sentiment results: one model's reading, one modality's, and the fused verdict.

Why a class per modality: the UI draws one bar group per modality plus the fused one, and
says which way each pulled; the CLI prints the same object as JSON. The three helpers that
define a three-class reading (``label_of``, ``polarity``, ``pull_of``) live here with the
types; the rest of the arithmetic is in ``mmdemo.models.shared.sentiment_maths``. Nothing
here imports torch or a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mmdemo.core.results import Scored

CLASSES = ("negative", "neutral", "positive")
PULL_DEAD_ZONE = 0.05  # |P(positive) - P(negative)| below this pulls neither way


def label_of(probabilities: Sequence[float]) -> str:
    """The most probable class; an exact tie goes to neutral, then to the first in CLASSES."""
    values = list(probabilities)
    best = max(values)
    if values[1] == best:
        return "neutral"
    return CLASSES[values.index(best)]


def polarity(probabilities: Sequence[float]) -> float:
    """P(positive) - P(negative), in [-1, 1]: which way and how hard a modality pulls."""
    return float(probabilities[2]) - float(probabilities[0])


def pull_of(value: float, dead_zone: float = PULL_DEAD_ZONE) -> str:
    """ "positive", "negative" or "neither" for a polarity value."""
    if value >= dead_zone:
        return "positive"
    if value <= -dead_zone:
        return "negative"
    return "neither"


@dataclass(frozen=True)
class SentimentResult:
    """One model's probabilities per class (``negative``, ``neutral``, ``positive``; sum 1)."""

    label: str
    probabilities: tuple[Scored, ...]
    model: str
    details: dict = field(default_factory=dict)  # backend-specific evidence (e.g. VADER compound)

    CLASSES = CLASSES

    @classmethod
    def of(cls, probabilities, model: str, details: dict, label: str | None = None):
        """From three probabilities in ``CLASSES`` order; the label defaults to the largest."""
        values = tuple(float(p) for p in probabilities)
        if label is None:
            label = CLASSES[max(range(3), key=values.__getitem__)]
        scored = tuple(Scored(c, p) for c, p in zip(CLASSES, values, strict=True))
        return cls(label, scored, model, details)

    def to_json(self) -> dict:
        return {
            "label": self.label,
            "probabilities": _as_dict(self.probabilities),
            "model": self.model,
            "details": dict(self.details),
        }


def _scored(probabilities) -> tuple[Scored, ...]:
    return tuple(Scored(c, float(p)) for c, p in zip(CLASSES, probabilities, strict=True))


def _as_dict(scored: tuple[Scored, ...], digits: int = 6) -> dict[str, float]:
    return {s.label: round(s.probability, digits) for s in scored}


class _ThreeClass:
    """``values``, ``label`` and ``polarity`` of anything holding three-class ``probabilities``."""

    probabilities: tuple[Scored, ...]

    @property
    def values(self) -> tuple[float, float, float]:
        return tuple(s.probability for s in self.probabilities)  # type: ignore[return-value]

    @property
    def label(self) -> str:
        return label_of(self.values)

    @property
    def polarity(self) -> float:
        return polarity(self.values)


@dataclass(frozen=True)
class ModalityScore(_ThreeClass):
    """What one modality (``text`` or ``image``) says on its own.

    ``source`` says how it was read (e.g. "DistilBERT SST-2 on the text", "VADER on the
    caption 'a cup of espresso'"). ``weight`` is its share in late fusion (None for the
    other fusions). ``pull`` is the direction of ``P(positive) - P(negative)``.
    """

    modality: str
    source: str
    probabilities: tuple[Scored, ...]
    model: str = ""
    weight: float | None = None
    details: dict = field(default_factory=dict)

    @classmethod
    def of(cls, modality: str, source: str, probabilities, **kw) -> ModalityScore:
        return cls(modality, source, _scored(probabilities), **kw)

    @property
    def pull(self) -> str:
        return pull_of(self.polarity)

    def to_json(self) -> dict:
        return {
            "label": self.label,
            "probabilities": _as_dict(self.probabilities),
            "polarity": round(self.polarity, 6),
            "pull": self.pull,
            "weight": self.weight,
            "source": self.source,
            "model": self.model,
        }


@dataclass(frozen=True)
class FusionResult(_ThreeClass):
    """The fused verdict, each modality's own, and notes saying how the verdict came about.

    ``label`` is the fused label (``negative``, ``neutral`` or ``positive``); ``text_weight``
    is the text's share in late fusion (None for the other fusions).
    """

    fusion: str
    probabilities: tuple[Scored, ...]
    modalities: tuple[ModalityScore, ...]
    notes: tuple[str, ...] = ()
    text_weight: float | None = None
    random_weights: bool = False  # some model used has random weights (tiny preset)

    @classmethod
    def of(cls, fusion: str, probabilities, modalities, notes=(), **kw) -> FusionResult:
        return cls(fusion, _scored(probabilities), tuple(modalities), tuple(notes), **kw)

    def modality(self, name: str) -> ModalityScore | None:
        return next((m for m in self.modalities if m.modality == name), None)

    def chart_rows(self) -> list[dict]:
        """One row per (series, class) for a grouped bar chart: text, image, fused."""
        series = [(m.modality, m.probabilities) for m in self.modalities]
        series.append(("fused", self.probabilities))
        return [
            {"series": name, "sentiment": s.label, "probability": s.probability}
            for name, scored in series
            for s in scored
        ]

    def to_json(self) -> dict:
        return {
            "label": self.label,
            "probabilities": _as_dict(self.probabilities),
            "polarity": round(self.polarity, 6),
            "fusion": self.fusion,
            "text_weight": self.text_weight,
            "modalities": {m.modality: m.to_json() for m in self.modalities},
            "notes": list(self.notes),
            "random_weights": self.random_weights,
        }
