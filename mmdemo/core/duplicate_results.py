"""Near-duplicate results: groups of near-identical gallery images, and folded search hits.

Why their own file: the CLI (``duplicates --json``), the API (``/duplicates``) and the Search
tab's "collapse near-duplicates" all print or read these shapes; ``to_json`` is the one JSON
form of them. Nothing here imports a model or the index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mmdemo.core.results import SearchHit


@dataclass(frozen=True)
class DuplicateGroup:
    """Images that are copies of one picture (resized, recompressed, lightly cropped).

    ``ids`` are ascending: the first is the oldest copy, the one a clean-up keeps."""

    ids: tuple[int, ...]
    paths: tuple[str, ...]
    names: tuple[str, ...] = ()
    captions: tuple[str | None, ...] = ()
    thumbnails: tuple[str | None, ...] = ()

    @property
    def keep(self) -> int:
        """The copy a clean-up keeps (the oldest)."""
        return self.ids[0]

    @property
    def extra(self) -> tuple[int, ...]:
        """The copies a clean-up removes (all but the oldest)."""
        return self.ids[1:]

    def to_json(self) -> dict:
        return {
            "ids": list(self.ids),
            "paths": list(self.paths),
            "names": list(self.names),
            "captions": list(self.captions),
        }


@dataclass(frozen=True)
class DuplicateReport:
    """Every group of two or more near-identical images in what a visitor sees.

    ``threshold`` is the lowest embedding cosine a pair may have, ``max_hash_distance`` the
    most bits their perceptual hashes may differ (both calibrated per embedder:
    ``assets/quality/duplicates_thresholds.json``); ``method`` says how pairs were found."""

    groups: tuple[DuplicateGroup, ...]
    threshold: float
    method: str
    max_hash_distance: int = 0
    checked: int = 0  # images looked at
    candidates: int = 0  # pairs the embeddings proposed, before the hash confirmed them
    calibrated: bool = True  # False: the embedder has no measured thresholds (defaults used)

    @property
    def extra_copies(self) -> int:
        return sum(len(g.ids) - 1 for g in self.groups)

    def group_of(self) -> dict[int, int]:
        """item id -> the index of its group in ``groups``."""
        return {item: n for n, group in enumerate(self.groups) for item in group.ids}

    def to_json(self) -> dict:
        return {
            "groups": [g.to_json() for g in self.groups],
            "threshold": round(float(self.threshold), 6),
            "max_hash_distance": self.max_hash_distance,
            "method": self.method,
            "checked": self.checked,
            "candidates": self.candidates,
            "extra_copies": self.extra_copies,
            "calibrated": self.calibrated,
        }


@dataclass(frozen=True)
class FoldedHit(SearchHit):
    """A search hit that stands for its near-duplicate group: ``folded`` copies hidden."""

    folded: int = 0
    folded_ids: tuple[int, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        return {**super().to_json(), "folded": self.folded, "folded_ids": list(self.folded_ids)}


class CollapsedHits(tuple):
    """The hits left after collapsing, best first; ``folded`` says how many were hidden."""

    folded: int

    def __new__(cls, hits=(), folded: int = 0):
        made = super().__new__(cls, hits)
        made.folded = int(folded)
        return made

    def __getnewargs__(self):  # copy / pickle keep the count
        return (tuple(self), self.folded)
