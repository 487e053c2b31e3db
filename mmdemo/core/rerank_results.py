"""Search hits re-ranked by an image-text matching model (BLIP ITM): the one JSON shape.

Why its own types: a re-ranked hit keeps both scores (the embedding cosine that found it
and the ITM probability that re-ordered it) and the rank it had, so the page can show what
moved and the CLI/API print the same object; the result says what it cost (``seconds``),
because re-ranking is opt-in and a person should see its price. Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmdemo.core.results import SearchHit, _round


@dataclass(frozen=True)
class RerankedHit:
    """One hit after re-ranking: the search hit, its ITM probability and its old rank."""

    hit: SearchHit
    match_score: float  # P(the query describes the image), 0..1, from the ITM head
    original_rank: int  # 1-based rank in the search results that were re-ranked

    def to_json(self) -> dict:
        return {
            **self.hit.to_json(),
            "match_score": _round(self.match_score),
            "original_rank": self.original_rank,
        }


@dataclass(frozen=True)
class RerankResult:
    """The re-ranked hits (best match first), what was left as it was, and the cost.

    ``rest``: the hits after the first ``top`` (not re-ranked: the cost is bounded) and any
    whose image could not be read, in their search order, for a caller to show after.
    ``seconds``: reading the images and scoring them (a model loaded by this call is not
    counted: ``load_seconds`` says how long that took, 0 when it was loaded already).
    """

    hits: tuple[RerankedHit, ...]
    seconds: float
    backend: str  # the backend's name (blip-itm)
    model: str  # its model label, for the page
    random_weights: bool = False
    rest: tuple[SearchHit, ...] = ()
    unreadable: tuple[str, ...] = ()  # paths of hits whose image could not be read
    load_seconds: float = 0.0
    read_seconds: float = 0.0  # the part of ``seconds`` spent reading the images

    @property
    def moved(self) -> int:
        """How many hits changed place."""
        return sum(1 for i, hit in enumerate(self.hits, 1) if hit.original_rank != i)

    def to_json(self) -> dict:
        """``search --rerank --json`` and the API print exactly this."""
        return {
            "hits": [hit.to_json() for hit in self.hits],
            "rest": [hit.to_json() for hit in self.rest],
            "unreadable": list(self.unreadable),
            "seconds": _round(self.seconds, 4),
            "read_seconds": _round(self.read_seconds, 4),
            "load_seconds": _round(self.load_seconds, 2),
            "backend": self.backend,
            "model": self.model,
            "random_weights": self.random_weights,
        }
