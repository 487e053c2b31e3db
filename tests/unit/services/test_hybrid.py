"""Hybrid text search's pure parts: the words compared, the match share, the re-ranking."""

from __future__ import annotations

import pytest

from mmdemo.core.results import ItemMeta
from mmdemo.services.hybrid import (
    HYBRID_POOL,
    HYBRID_WORD_WEIGHT,
    caption_words,
    rerank,
    word_match,
)


def item(item_id: int, caption: str | None) -> ItemMeta:
    return ItemMeta(item_id, f"/g/{item_id}.png", f"{item_id:064x}", 1, 8, 8, "2024-01-01", caption)


def no_cosine(item_id: int) -> float:
    raise AssertionError(f"item {item_id} is in the pool or has no matching caption")


def test_caption_words_and_word_match():
    words = caption_words("Two CATS on the mat, a glass!")
    assert words == frozenset({"two", "cat", "mat", "glass"})
    assert caption_words("a photo of the") == frozenset({"a", "photo", "of", "the"})
    assert caption_words("") == frozenset()
    query = caption_words("the cats and a dog")  # {cat, dog}
    assert word_match(query, "A cat sleeping on a sofa") == 0.5
    assert word_match(query, "dogs chasing a cat") == 1.0
    assert word_match(query, None) == 0.0 and word_match(frozenset(), "a cat") == 0.0


def test_caption_words_plurals_numbers_and_punctuation():
    assert caption_words(None) == frozenset()
    assert caption_words("buses, 3 glasses; gas") == frozenset({"buse", "3", "glasse", "gas"})
    assert caption_words("a picture of an image") == frozenset(
        {"a", "picture", "of", "an", "image"}
    )
    assert caption_words("a photo of a dog") == frozenset({"dog"})


def test_the_defaults():
    assert HYBRID_WORD_WEIGHT == 0.1 and HYBRID_POOL == 100


def test_rerank_adds_the_weighted_word_share_to_the_pool_cosines():
    metas = [item(1, "a yellow cat"), item(2, "a yellow car"), item(3, None), item(4, "a dog")]
    pool = {1: 0.20, 2: 0.22, 3: 0.26, 4: 0.10}  # by cosine alone: 3, 2, 1, 4
    ranked = rerank("yellow cats", pool, metas, no_cosine)
    assert [i for _, i in ranked] == [1, 2, 3, 4]
    scores = dict((i, s) for s, i in ranked)
    assert scores[1] == pytest.approx(0.20 + HYBRID_WORD_WEIGHT * 1.0)
    assert scores[2] == pytest.approx(0.22 + HYBRID_WORD_WEIGHT * 0.5)
    assert scores[3] == pytest.approx(0.26) and scores[4] == pytest.approx(0.10)


def test_rerank_scores_caption_matches_outside_the_pool_and_drops_the_rest():
    metas = [item(1, "a dog"), item(2, "a red kite"), item(3, "a blue kite"), item(4, None)]
    asked = []

    def cosine_of(item_id: int) -> float:
        asked.append(item_id)
        return {2: 0.05, 3: 0.01}[item_id]

    ranked = rerank("red kite", {1: 0.3}, metas, cosine_of)
    assert sorted(asked) == [2, 3]  # only items outside the pool whose caption matches
    assert [i for _, i in ranked] == [1, 2, 3]
    assert dict((i, s) for s, i in ranked)[2] == pytest.approx(0.05 + HYBRID_WORD_WEIGHT)
    assert dict((i, s) for s, i in ranked)[3] == pytest.approx(0.01 + HYBRID_WORD_WEIGHT * 0.5)


def test_rerank_breaks_ties_by_id_and_returns_plain_floats():
    metas = [item(9, "a cat"), item(5, "a cat"), item(7, None), item(6, None)]
    pool = {9: 0.5, 5: 0.5, 7: 0.2, 6: 0.2}
    ranked = rerank("cat", pool, metas, no_cosine)
    assert [i for _, i in ranked] == [5, 9, 6, 7]
    assert ranked[0][0] == ranked[1][0] == pytest.approx(0.5 + HYBRID_WORD_WEIGHT)
    assert ranked[2][0] == ranked[3][0] == 0.2
    assert all(type(score) is float for score, _ in ranked)
    assert rerank("cat", {}, [], no_cosine) == []
