"""Plain result types shared by the index, the models, the services, the UI and the CLI.

Frozen dataclasses rather than dicts so a typo is an error, not a silent ``None``. Each
result that leaves the package has ``to_json()``: the one JSON shape that the HTTP API and
``--json`` print, so the two cannot drift. "Random weights" (the ``tiny`` preset) is a field
of the results a model produced, set once by the task layer and worded by each surface.
This module imports nothing from the package (and nothing heavy).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


def _round(value: float, digits: int = 6) -> float:
    return round(float(value), digits)


@dataclass(frozen=True)
class Scored:
    """One candidate (a label, an answer, a sentiment class) with its probability."""

    label: str
    probability: float

    def to_json(self) -> dict:
        return {"label": self.label, "probability": _round(self.probability)}


# -- the index ---------------------------------------------------------------------------
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
    name: str | None = None  # the original file name (uploads are stored under hash names)

    @property
    def display_name(self) -> str:
        """The name to show: the original one, else the stored file's (older indexes)."""
        return self.name or self.path.replace("\\", "/").rsplit("/", 1)[-1]

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> ItemMeta:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


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

    def to_json(self) -> dict:
        return {
            "count": self.count,
            "kind": self.kind,
            "dim": self.dim,
            "model_id": self.model_id,
            "on_gpu": self.on_gpu,
        }


@dataclass(frozen=True)
class Unreadable:
    """A file that was skipped, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Duplicate:
    """A file that was not added because the same image is already there (by content)."""

    name: str  # the file as the user named it
    existing: str | None = None  # the image it repeats, by its shown name (if known)
    in_upload: bool = False  # the repeat is another file of the same upload, not the gallery

    def sentence(self) -> str:
        if self.in_upload:
            return f"{self.name} is the same image as {self.existing} (in this upload)"
        if self.existing:
            return f"{self.name} is already in the gallery as {self.existing}"
        return f"{self.name} is already in the gallery"


@dataclass(frozen=True)
class AddReport:
    """Summary of adding images to the index: counts, then which file was skipped and why."""

    added: int
    duplicates: int
    unreadable: tuple[Unreadable, ...] = ()
    added_ids: tuple[int, ...] = ()
    total: int = 0
    duplicate_of: tuple[Duplicate, ...] = ()  # named duplicates (may be fewer than counted)

    def headline(self) -> str:
        return (
            f"added {self.added}, skipped {self.duplicates} duplicate(s), "
            f"{len(self.unreadable)} unreadable; index now holds {self.total} image(s)"
        )

    def details(self) -> list[str]:
        """One plain sentence per skipped file: which image it repeats, or why it is unreadable."""
        lines = [d.sentence() for d in self.duplicate_of]
        return lines + [f"{u.path} is unreadable: {u.reason}" for u in self.unreadable]

    def summary(self) -> str:
        return "\n".join([self.headline(), *(f"  {line}" for line in self.details())])

    def to_json(self) -> dict:
        return {
            "added": self.added,
            "duplicates": self.duplicates,
            "duplicate_of": [
                {"name": d.name, "existing": d.existing, "in_upload": d.in_upload}
                for d in self.duplicate_of
            ],
            "unreadable": [{"path": u.path, "reason": u.reason} for u in self.unreadable],
            "added_ids": list(self.added_ids),
            "total": self.total,
        }


# -- search ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchHit:
    """One search result, best first in any list of them."""

    id: int
    score: float
    path: str
    caption: str | None = None
    thumbnail: str | None = None  # a small copy to show (services.thumbnails), if made
    # "strong" / "possible" / "weak" from the model's calibrated levels; None without them
    strength: str | None = None

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "score": _round(self.score),
            "id": self.id,
            "caption": self.caption,
            "strength": self.strength,
        }


@dataclass(frozen=True)
class SearchResult:
    """Hits plus whether the best one clears the model's "good match" threshold."""

    hits: tuple[SearchHit, ...]
    threshold: float | None
    good_match: bool
    message: str = ""
    min_score: float | None = None  # hits below it were left out, not padded in
    hidden: int = 0  # how many were left out for it

    def to_json(self) -> list[dict]:
        """The hits, best first (``search --json`` prints exactly this list)."""
        return [hit.to_json() for hit in self.hits]


@dataclass(frozen=True)
class CaptionHit:
    """One gallery caption ranked against a query image (image -> text search)."""

    caption: str
    score: float
    id: int  # the item that carries this caption (the first one if several share it)
    path: str
    thumbnail: str | None = None  # a small copy of that item's image, if made
    strength: str | None = None  # as SearchHit's, on the text -> image levels

    def to_json(self) -> dict:
        return {
            "caption": self.caption,
            "score": _round(self.score),
            "id": self.id,
            "path": self.path,
            "strength": self.strength,
        }


# -- models --------------------------------------------------------------------------------
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

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class LabelScore:
    """One zero-shot label: its probability and the raw cosine similarity behind it."""

    label: str
    probability: float
    similarity: float


@dataclass(frozen=True)
class ClassifyResult:
    """Zero-shot classification: labels, most probable first (probabilities sum to 1)."""

    scores: tuple[LabelScore, ...]
    model: str = ""
    random_weights: bool = False

    def to_json(self) -> dict:
        return {
            "labels": [
                {
                    "label": s.label,
                    "probability": _round(s.probability),
                    "similarity": _round(s.similarity),
                }
                for s in self.scores
            ],
            "model": self.model,
            "random_weights": self.random_weights,
        }


@dataclass(frozen=True)
class CaptionResult:
    """A caption and how it was made (``method`` says whether it is generated or label-based)."""

    caption: str
    method: str  # e.g. "label-based (EfficientNet-Lite0 ImageNet classes)" or "BLIP, beam search"
    labels: tuple[Scored, ...] = ()  # the evidence a label-based caption was built from
    nearest: tuple[Scored, ...] = ()  # nearest captions from a caption bank, if any
    random_weights: bool = False
    unsure: bool = False  # the model says it does not know: shown, but never stored as a label

    def to_json(self) -> dict:
        return {
            "caption": self.caption,
            "method": self.method,
            "labels": [s.to_json() for s in self.labels],
            "nearest": [s.to_json() for s in self.nearest],
            "random_weights": self.random_weights,
            "unsure": self.unsure,
        }


@dataclass(frozen=True)
class VqaResult:
    """Ranked answers, or ``answered=False`` with a message saying why no answer is given."""

    answers: tuple[Scored, ...]
    answered: bool
    model: str  # which model answered (the lite VQA routes between two)
    message: str = ""
    random_weights: bool = False

    def to_json(self) -> dict:
        return {
            "answered": self.answered,
            "answers": [
                {"answer": s.label, "probability": _round(s.probability)} for s in self.answers
            ],
            "model": self.model,
            "message": self.message,
            "random_weights": self.random_weights,
        }


@dataclass(frozen=True)
class CaptionReport:
    """What a gallery-captioning run did; ``failed`` lists (file name, reason) pairs and
    ``unsure`` the files left without a caption because the model was not sure of them."""

    captioned: int
    skipped: int
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    model: str = ""
    total: int = 0
    unsure: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"captioned {self.captioned}, skipped {self.skipped} already captioned, "
            f"{len(self.failed)} failed, in {self.seconds:.1f} s"
        )
        if self.unsure:
            text += f", {len(self.unsure)} left without a caption (the model was not sure)"
        if self.model:
            text += f" with {self.model}"
        text += f"; the index holds {self.total} image(s)"
        if self.failed:
            text += "\n" + "\n".join(f"  failed: {name}: {reason}" for name, reason in self.failed)
        return text

    def to_json(self) -> dict:
        return {
            "captioned": self.captioned,
            "skipped": self.skipped,
            "failed": [{"name": n, "reason": r} for n, r in self.failed],
            "seconds": round(self.seconds, 3),
            "model": self.model,
            "total": self.total,
            "unsure": list(self.unsure),
        }
