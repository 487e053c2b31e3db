"""Plain result types shared by the index, the serving module, the UI and the CLI.

Frozen dataclasses rather than dicts so a typo is an error, not a silent ``None``.
This module imports nothing from the package (and nothing heavy).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ItemMeta:
    """What the index remembers about one image, stored as JSON (never pickle)."""

    id: int
    path: str
    sha256: str
    size_bytes: int
    width: int
    height: int
    added_at: str  # ISO 8601, UTC
    caption: str | None = None

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> ItemMeta:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class SearchHit:
    """One search result, best first in any list of them."""

    id: int
    score: float
    path: str
    caption: str | None = None


@dataclass(frozen=True)
class SearchResult:
    """Hits plus whether the best one clears the model's "good match" threshold."""

    hits: tuple[SearchHit, ...]
    threshold: float | None
    good_match: bool
    message: str = ""


@dataclass(frozen=True)
class Unreadable:
    """A file the pipeline skipped, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class AddReport:
    """Summary of adding images to the index."""

    added: int
    duplicates: int
    unreadable: tuple[Unreadable, ...] = ()
    added_ids: tuple[int, ...] = ()
    total: int = 0

    def summary(self) -> str:
        text = (
            f"added {self.added}, skipped {self.duplicates} duplicate(s), "
            f"{len(self.unreadable)} unreadable; index now holds {self.total} image(s)"
        )
        if self.unreadable:
            text += "\n" + "\n".join(f"  unreadable: {u.path}: {u.reason}" for u in self.unreadable)
        return text


@dataclass(frozen=True)
class ModelInfo:
    """What the serving module has loaded: for the info command and the UI status panel."""

    task: str
    backend: str
    model: str
    device: str
    dtype: str
    parameters: int
    memory_bytes: int
    load_seconds: float
    is_random: bool = False  # tiny preset: random weights, never to be shown as a real model


@dataclass(frozen=True)
class IndexStats:
    """Size and shape of the index, for the info command and the UI."""

    count: int
    dim: int
    kind: str  # "flat" (exact) or "hnsw" (approximate)
    model_id: str
    on_gpu: bool
    directory: str
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Scored:
    """One candidate (a label, an answer, a sentiment class) with its probability."""

    label: str
    probability: float


@dataclass(frozen=True)
class CaptionResult:
    """A caption and how it was made (``method`` says whether it is generated or label-based)."""

    caption: str
    method: str  # e.g. "label-based (EfficientNet-Lite0 ImageNet classes)" or "BLIP, beam search"
    labels: tuple[Scored, ...] = ()  # the evidence a label-based caption was built from
    nearest: tuple[Scored, ...] = ()  # nearest captions from a caption bank, if any


@dataclass(frozen=True)
class VqaResult:
    """Ranked answers, or ``answered=False`` with a message saying why no answer is given."""

    answers: tuple[Scored, ...]
    answered: bool
    model: str  # which model answered (the lite VQA routes between two)
    message: str = ""


@dataclass(frozen=True)
class SentimentResult:
    """Probabilities per class (``negative``, ``neutral``, ``positive``; they sum to 1)."""

    label: str
    probabilities: tuple[Scored, ...]
    model: str
    details: dict = field(default_factory=dict)  # backend-specific evidence (e.g. VADER compound)

    CLASSES = ("negative", "neutral", "positive")

    @classmethod
    def of(cls, probabilities, model: str, details: dict, label: str | None = None):
        """From three probabilities in ``CLASSES`` order; the label defaults to the largest."""
        values = tuple(float(p) for p in probabilities)
        if label is None:
            label = cls.CLASSES[max(range(3), key=values.__getitem__)]
        scored = tuple(Scored(c, p) for c, p in zip(cls.CLASSES, values, strict=True))
        return cls(label, scored, model, details)
