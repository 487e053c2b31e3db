"""Re-ranking search hits with the tiny preset's BLIP ITM twin (random weights: behaviour,
bounds and refusals, not meaning), on hits a real tiny search returned."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError
from mmdemo.core.i18n import translate
from mmdemo.core.results import CaptionHit, SearchHit
from mmdemo.models.registry import EnglishOnlyError
from mmdemo.services.rerank import MAX_TOP, can_rerank, rerank
from mmdemo.services.search import GallerySearch
from mmdemo.serving import ModelServer
from tests.support.catalogue import english_left
from tests.support.galleries import make_gallery, write_photos


@pytest.fixture(scope="module")
def server():
    return ModelServer(Settings(preset="tiny"))


@pytest.fixture(scope="module")
def hits(server, tmp_path_factory) -> list[SearchHit]:
    tmp = tmp_path_factory.mktemp("rerank")
    gallery = make_gallery(server, tmp)
    gallery.add_directory(write_photos(tmp / "photos"))
    return list(GallerySearch(gallery).text("a red square", k=20).hits)


def test_hits_are_reordered_by_their_match_probability(server, hits):
    assert len(hits) >= 5
    result = rerank(server, "a red square", hits, top=5)
    assert len(result.hits) == 5 and result.rest == tuple(hits[5:])
    scores = [h.match_score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    # the same hits, each with the rank it had in the search results
    assert sorted(h.original_rank for h in result.hits) == [1, 2, 3, 4, 5]
    assert {h.hit for h in result.hits} == set(hits[:5])
    for reranked in result.hits:
        assert hits[reranked.original_rank - 1] == reranked.hit
    assert result.backend == "blip-itm-tiny" and result.random_weights
    assert result.seconds >= result.read_seconds > 0 and result.unreadable == ()


def test_the_scores_are_the_backends_own(server, hits):
    result = rerank(server, "a cat", hits, top=3)
    matcher = server.get("match")
    for reranked in result.hits:
        image = Image.open(reranked.hit.path)
        assert reranked.match_score == pytest.approx(matcher.match(image, "a cat"), abs=1e-5)


def test_json_is_the_one_shape(server, hits):
    data = rerank(server, "a red square", hits, top=2).to_json()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {
        *("hits", "rest", "unreadable", "seconds", "read_seconds", "load_seconds"),
        *("backend", "model", "random_weights"),
    }
    first = data["hits"][0]
    assert {"path", "score", "id", "match_score", "original_rank"} <= set(first)
    assert len(data["rest"]) == len(hits) - 2


def test_at_most_max_top_images_and_top_is_checked(server, hits):
    many = [*hits] * 4  # more hits than the bound
    result = rerank(server, "a red square", many, top=MAX_TOP)
    assert len(result.hits) == MAX_TOP and len(result.rest) == len(many) - MAX_TOP
    for bad in (0, MAX_TOP + 1, "many"):
        with pytest.raises(BadInputError, match="number of hits to re-rank") as caught:
            rerank(server, "a cat", hits, top=bad)
        assert english_left(str(caught.value)) == []
    assert rerank(server, "a cat", [], top=3).hits == ()


def test_an_unreadable_image_falls_back_to_its_thumbnail_then_to_rest(server, hits, tmp_path):
    gone = SearchHit(id=99, score=0.5, path=str(tmp_path / "deleted.png"))
    thumb = SearchHit(id=98, score=0.4, path=str(tmp_path / "gone.png"), thumbnail=hits[0].path)
    result = rerank(server, "a cat", [gone, thumb, *hits[:2]], top=4)
    assert [h.hit.id for h in result.hits if h.hit.id in (98, 99)] == [98]
    assert result.unreadable == (gone.path,) and result.rest[0] == gone


def test_refusals_come_before_any_work_and_read_in_chinese(server, hits):
    with pytest.raises(EnglishOnlyError):
        rerank(server, "一只红色的正方形", hits)
    with pytest.raises(BadInputError, match="empty"):
        rerank(server, "  ", hits)
    caption_hit = CaptionHit(id=1, score=0.3, caption="a cat", path="x.png")
    with pytest.raises(BadInputError, match="Only image search hits") as caught:
        rerank(server, "a cat", [caption_hit])
    assert english_left(str(caught.value)) == []


def test_a_preset_without_a_matcher_refuses_clearly(tmp_path):
    lite = ModelServer(Settings(preset="lite", index_dir=tmp_path, index_default_gallery=False))
    assert not can_rerank(lite)
    with pytest.raises(BadInputError, match="the lite preset has none") as caught:
        rerank(lite, "a cat", [SearchHit(id=1, score=0.5, path="x.png")])
    assert "MMDEMO_PRESET=full" in str(caught.value)
    assert english_left(str(caught.value)) == []
    assert "lite" in translate(str(caught.value), "zh")
    assert not lite.is_loaded("embed")  # refused before anything was loaded
    pinned = Settings(preset="lite", index_dir=tmp_path, backends="match=blip-itm-tiny")
    assert can_rerank(ModelServer(pinned))
