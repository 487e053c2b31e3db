"""Match strength in words and the minimum score (``services.search``).

Behaviour on the tiny preset (random weights: no calibrated levels, so no words; the
minimum score still filters) and levels set on a real embedder for the wording. What the
words *mean* with the real ``lite`` models is checked through the offline app, which has
them loaded already (tests/integration/tabs/test_search_min_score.py).
"""

from __future__ import annotations

import re

import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError
from mmdemo.core.results import SearchHit
from mmdemo.models.backends.label_bridge import LITE_THRESHOLDS
from mmdemo.services.gallery import Gallery
from mmdemo.services.search import GallerySearch, clean_min_score, judge, match_strength
from mmdemo.serving import ModelServer
from tests.support.galleries import make_gallery, write_photos

NUMBER = re.compile(r"\d\.\d")


@pytest.fixture(scope="module")
def tiny():
    return ModelServer(Settings(preset="tiny"))


@pytest.fixture
def tiny_search(tiny, tmp_path):
    gallery = make_gallery(tiny, tmp_path)
    gallery.add_directory(write_photos(tmp_path / "photos"))
    return GallerySearch(gallery)


# -- the words ---------------------------------------------------------------------------------
def test_match_strength_bands():
    assert [match_strength(s, 0.4, 0.5) for s in (0.39, 0.4, 0.49, 0.5, 0.9)] == [
        "weak",
        "possible",
        "possible",
        "strong",
        "strong",
    ]
    assert match_strength(0.99, 0.4, None) == "possible"  # no strong level: never "strong"
    assert match_strength(0.99, None, None) is None  # no levels (random weights): no word


def test_clean_min_score():
    assert clean_min_score(None) is None
    assert clean_min_score("0.25") == 0.25 and clean_min_score(7) == 1.0
    assert clean_min_score(-3) == -1.0
    for bad in ("high", float("nan"), [0.3]):
        with pytest.raises(BadInputError, match="minimum match score"):
            clean_min_score(bad)


def test_judge_words_each_hit_and_leaves_out_those_below_the_minimum():
    hits = tuple(SearchHit(i, s, f"/{i}.png") for i, s in enumerate((0.6, 0.45, 0.3, 0.1)))
    result = judge(hits, 0.4, empty_index=False, strong=0.5, min_score=0.4)
    assert [h.strength for h in result.hits] == ["strong", "possible"]
    assert result.good_match and result.hidden == 2 and result.min_score == 0.4
    assert "1 strong match, 1 possible match" in result.message
    assert "2 weaker result(s)" in result.message
    assert not NUMBER.search(result.message)  # words, not cosines
    everything = judge(hits, 0.4, empty_index=False, strong=0.5)
    assert [h.strength for h in everything.hits] == ["strong", "possible", "weak", "weak"]


def test_judge_says_plainly_when_nothing_passes():
    hits = (SearchHit(1, 0.35, "/a.png"), SearchHit(2, 0.2, "/b.png"))
    result = judge(hits, 0.4, empty_index=False, strong=0.5, min_score=0.4)
    assert result.hits == () and result.hidden == 2 and not result.good_match
    assert result.message.startswith("No good match")
    assert "closest is a weak match" in result.message and "Lower the minimum" in result.message
    assert not NUMBER.search(result.message)
    shown_anyway = judge(hits, 0.4, empty_index=False, strong=0.5)
    assert len(shown_anyway.hits) == 2 and "only weak matches" in shown_anyway.message
    above = judge(hits, 0.3, empty_index=False, strong=0.5, min_score=0.5)
    assert above.good_match and above.hits == ()
    assert above.message.startswith("No image reaches") and "a possible match" in above.message


# -- through GallerySearch, tiny -----------------------------------------------------------------
def test_tiny_has_no_words_and_old_calls_are_unchanged(tiny_search):
    assert tiny_search.possible_level("text") is None  # the slider starts at the bottom
    old = tiny_search.text("a cat", k=6)
    assert len(old.hits) == 6 and old.hidden == 0
    assert all(h.strength is None for h in old.hits)


def test_min_score_filters_every_query_kind(tiny_search, tmp_path):
    full = tiny_search.text("a cat", k=6)
    cut = full.hits[2].score
    kept = tiny_search.text("a cat", k=6, min_score=cut)
    assert [h.id for h in kept.hits] == [h.id for h in full.hits if h.score >= cut]
    assert kept.hidden == 6 - len(kept.hits) > 0
    none = tiny_search.text("a cat", k=6, min_score=1.0)
    assert none.hits == () and "Lower the minimum" in none.message
    assert tiny_search.text("a cat", k=6, hybrid=True, min_score=1.0).hits == ()
    query = Image.open(tmp_path / "photos" / "sub1" / "img3.png")
    same = tiny_search.image(query, k=6, min_score=0.999)
    assert len(same.hits) == 1 and same.hits[0].path.endswith("img3.png")  # only itself
    item = same.hits[0].id
    assert tiny_search.similar(item, k=5, min_score=1.0).hits == ()
    with pytest.raises(BadInputError, match="minimum match score"):
        tiny_search.text("a cat", min_score="lots")


def test_levels_come_from_the_embedder_and_mix_for_image_plus_text(tiny_search, monkeypatch):
    embedder = tiny_search.gallery.embedder
    levels = {"text": 0.2, "text_strong": 0.3, "image": 0.8, "image_strong": 0.9}
    monkeypatch.setattr(embedder, "thresholds", levels)
    assert tiny_search._threshold("image", 0.5) == pytest.approx(0.5)
    assert tiny_search._strong("image", 0.5) == pytest.approx(0.6)
    result = tiny_search.text("a cat", k=6)
    for hit in result.hits:
        assert hit.strength == match_strength(hit.score, 0.2, 0.3)
    monkeypatch.setattr(embedder, "thresholds", {"text": 0.2})  # no strong level
    assert {h.strength for h in tiny_search.text("a cat", k=6).hits} <= {"possible", "weak"}


def test_the_slider_level_is_read_without_loading_the_model(tmp_path):
    server = ModelServer(Settings(preset="lite", index_dir=tmp_path, index_default_gallery=False))
    search = GallerySearch(Gallery(server, server.settings))
    assert search.possible_level("text") == LITE_THRESHOLDS["text"]
    assert search.possible_level("image") == LITE_THRESHOLDS["image"]
    assert not server.is_loaded("embed")
