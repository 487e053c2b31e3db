"""Where in an image a query matched: the relevance grid behind "Why this match".

Why a grid and not an image: the CLI's ``--json``, the API and the overlay all read the
same numbers (rows top to bottom, columns left to right, non-negative, the largest 1), and
the overlay is drawn from them by ``services.explain.overlay``. Nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


def normalise_grid(values) -> tuple[tuple[float, ...], ...]:
    """A 2-D array -> rows of floats in [0, 1] with the largest 1 (all zeros stay zeros;
    NaN and negative values become 0: a map says where, not where not)."""
    arr = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"a relevance grid is 2-D and not empty, not of shape {arr.shape}")
    arr = np.clip(arr, 0.0, None)
    top = float(arr.max())
    if top > 0:
        arr = arr / top
    return tuple(tuple(round(float(v), 4) for v in row) for row in arr)


@dataclass(frozen=True)
class ExplainResult:
    """One explanation: the grid, the method's name, the image-query cosine, the backend."""

    grid: tuple[tuple[float, ...], ...]
    method: str
    score: float
    backend: str
    query: str = ""
    details: dict = field(default_factory=dict)  # e.g. the classes a Grad-CAM map followed

    @classmethod
    def of(cls, values, method: str, score: float, backend: str, **extra) -> ExplainResult:
        return cls(normalise_grid(values), method, float(score), backend, **extra)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.grid), len(self.grid[0]) if self.grid else 0

    def array(self) -> np.ndarray:
        return np.asarray(self.grid, dtype=np.float32)

    def share(self, columns: Sequence[int] | slice) -> float:
        """The share of the map's mass in some columns (the evaluation's "right half")."""
        arr = self.array()
        total = float(arr.sum())
        return float(arr[:, columns].sum()) / total if total > 0 else 0.0

    def to_json(self) -> dict:
        return {
            "grid": [list(row) for row in self.grid],
            "method": self.method,
            "score": round(self.score, 4),
            "backend": self.backend,
            "query": self.query,
            "details": dict(self.details),
        }
