"""Hybrid text search: embedding similarity plus a small bonus for caption words.

Why: a shared embedding space is fuzzy about specific words ("coins" vs "medals"); once the
gallery is captioned, a query word that appears in an image's caption is strong evidence.
score = cosine(query, image) + HYBRID_WORD_WEIGHT * word_match(query, caption). Pure
functions: the search service feeds them candidates from the index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from mmdemo.core.results import ItemMeta

# 0.1 is about the gap between a good and a poor CLIP text->image score, so words can
# reorder close candidates without burying a clearly better image.
HYBRID_WORD_WEIGHT = 0.1
HYBRID_POOL = 100  # embedding candidates re-ranked, besides every caption that shares a word
_STOPWORDS = frozenset(
    {
        *("a", "an", "the", "of", "in", "on", "at", "to", "for", "with", "and", "or"),
        *("is", "are", "it", "its", "this", "that", "there"),
        *("photo", "photograph", "picture", "image"),
    }
)
_WORD = re.compile(r"[a-z0-9]+")


def caption_words(text: str | None) -> frozenset[str]:
    """The words hybrid search compares: lower case, a plural "s" dropped, stopwords left out.

    Stopwords (and "photo", which label-based captions all contain) would match every
    caption; a text made only of them keeps them rather than matching nothing.
    """
    words = []
    for word in _WORD.findall(str(text or "").lower()):
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    kept = frozenset(w for w in words if w not in _STOPWORDS)
    return kept or frozenset(words)


def word_match(query_words: frozenset[str], caption: str | None) -> float:
    """The fraction (0..1) of the query's words that occur in ``caption``."""
    if not query_words or not caption:
        return 0.0
    return len(query_words & caption_words(caption)) / len(query_words)


def rerank(
    query: str,
    pool: Mapping[int, float],
    metas: Iterable[ItemMeta],
    cosine_of: Callable[[int], float],
) -> list[tuple[float, int]]:
    """(hybrid score, item id) pairs, best first, ties by id.

    ``pool`` holds the embedding search's best candidates (id -> cosine); items outside it
    can only gain through their caption, so every item whose caption shares a word is scored
    too (``cosine_of`` computes its cosine), which makes the top k exact.
    """
    words = caption_words(query)
    scored = []
    for meta in metas:
        match = word_match(words, meta.caption)
        if meta.id in pool:
            cosine = float(pool[meta.id])
        elif match > 0:
            cosine = float(cosine_of(meta.id))
        else:
            continue
        scored.append((cosine + HYBRID_WORD_WEIGHT * match, meta.id))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return scored
