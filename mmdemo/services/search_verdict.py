"""How good a search's hits are, in words: each hit's strength (strong / possible / weak) from
the model's calibrated levels, the verdict on the best one, and the results message.

Why apart from ``services.search``: these are pure functions of scores and levels (no
gallery, no model), shared by every query kind; ``services.search`` re-exports them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from mmdemo.core.errors import BadInputError, shown
from mmdemo.core.results import SearchHit, SearchResult

STRENGTHS = ("strong", "possible", "weak")
MIN_SCORE_LABEL = "Minimum match score"  # the page's sliders (the messages' words)


def clean_min_score(value: object) -> float | None:
    """A usable minimum score (a cosine, clamped to [-1, 1]), or None for no minimum."""
    if value is None:
        return None
    try:
        score = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise BadInputError(
            f"The minimum match score must be a number, not {shown(value)}."
        ) from None
    if score != score:  # NaN
        raise BadInputError("The minimum match score must be a number, not NaN.")
    return max(-1.0, min(score, 1.0))


def match_strength(score: float, possible: float | None, strong: float | None) -> str | None:
    """A hit's strength in words, from the model's calibrated levels (docs/quality.md
    section 6); None when the model has none (the tiny preset's random weights)."""
    if possible is None:
        return None
    if strong is not None and score >= strong:
        return "strong"
    return "possible" if score >= possible else "weak"


def _counted(hits: Sequence[SearchHit]) -> str:
    """ "2 strong matches, 1 possible match" (the words in STRENGTHS order)."""
    parts = []
    for word in STRENGTHS:
        n = sum(h.strength == word for h in hits)
        if n:
            parts.append(f"{n} {word} match{'es' if n > 1 else ''}")
    return ", ".join(parts)


def judge(
    hits: tuple[SearchHit, ...],
    threshold: float | None,
    *,
    empty_index: bool,
    strong: float | None = None,
    min_score: float | None = None,
) -> SearchResult:
    """Wrap hits with a verdict (is the best one at least a possible match?), give each its
    strength in words, and leave out those below ``min_score`` (never padded in)."""
    if empty_index:
        return SearchResult(hits, threshold, False, "The index is empty: add some images first.")
    hits = tuple(
        dataclasses.replace(h, strength=match_strength(h.score, threshold, strong)) for h in hits
    )
    best = hits[0] if hits else None
    good = threshold is None or (best is not None and best.score >= threshold)
    kept = hits if min_score is None else tuple(h for h in hits if h.score >= min_score)
    hidden = len(hits) - len(kept)
    lower = "Lower the minimum match score to see the closest images anyway."
    if hits and not kept:
        closest = f"a {best.strength} match" if best.strength else f"{best.score:.3f}"
        start = "No good match: " if not good else ""
        message = f"{start}no image reaches the minimum match you set (the closest is {closest}). "
        message = message[0].upper() + message[1:] + lower
    elif threshold is None:
        message = f"{len(kept)} result(s); best score {best.score:.3f}." if best else "0 results."
    elif good:
        message = f"{len(kept)} result(s): {_counted(kept)}."
    else:
        message = "No good match: even the closest images are only weak matches (shown anyway)."
    if kept and hidden:
        message += f" {hidden} weaker result(s) below the minimum match score not shown."
    return SearchResult(kept, threshold, good, message, min_score=min_score, hidden=hidden)
