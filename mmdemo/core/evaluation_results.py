"""What a live evaluation measured: recall@k, accuracy, macro-F1 and confusion, per data set.

Why one file of dataclasses: the Evaluate tab, its API and ``python -m mmdemo evaluate
--json`` must report the same numbers in the same shape; ``to_json()`` is that shape (English
keys). Every figure carries its data set and its n, so no number is read without knowing
what it was measured on.
"""

from __future__ import annotations

from dataclasses import dataclass

RECALL_KS = (1, 5, 10)


@dataclass(frozen=True)
class RetrievalScore:
    """Caption -> image: each text's own image ranked among ``n_images`` candidates."""

    dataset: str
    language: str
    n: int  # texts (queries)
    n_images: int  # candidates each text is ranked against
    recall: dict[int, float]  # k -> share of texts whose image is in the top k

    def to_json(self) -> dict:
        return {
            "dataset": self.dataset,
            "language": self.language,
            "n": self.n,
            "n_images": self.n_images,
            "recall": {f"R@{k}": round(v, 4) for k, v in sorted(self.recall.items())},
        }


@dataclass(frozen=True)
class AccuracyScore:
    """Zero-shot Classify: each photo against the same ``labels``; top-1 accuracy."""

    dataset: str
    language: str
    n: int
    labels: tuple[str, ...]
    accuracy: float
    macro_f1: float

    def to_json(self) -> dict:
        return {
            "dataset": self.dataset,
            "language": self.language,
            "n": self.n,
            "n_labels": len(self.labels),
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
        }


@dataclass(frozen=True)
class SentimentScore:
    """Three-class sentiment: accuracy, macro-F1 and the confusion (rows true, cols predicted)."""

    dataset: str
    language: str
    n: int
    accuracy: float
    macro_f1: float
    classes: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]  # confusion[true][predicted], in ``classes`` order

    def to_json(self) -> dict:
        return {
            "dataset": self.dataset,
            "language": self.language,
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "classes": list(self.classes),
            "confusion": [list(row) for row in self.confusion],
        }


@dataclass(frozen=True)
class EvaluationReport:
    """One run: which preset and models, on what (``source``: "bundled" or "csv")."""

    preset: str
    source: str
    models: dict[str, str]  # task -> the model that served it
    retrieval: tuple[RetrievalScore, ...] = ()
    zero_shot: tuple[AccuracyScore, ...] = ()
    sentiment: tuple[SentimentScore, ...] = ()
    notes: tuple[str, ...] = ()
    random_weights: bool = False
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {
            "preset": self.preset,
            "source": self.source,
            "models": dict(self.models),
            "random_weights": self.random_weights,
            "retrieval": [r.to_json() for r in self.retrieval],
            "zero_shot": [r.to_json() for r in self.zero_shot],
            "sentiment": [r.to_json() for r in self.sentiment],
            "notes": list(self.notes),
            "seconds": round(self.seconds, 2),
        }
