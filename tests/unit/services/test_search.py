"""Queries over the gallery: text, image, image + text, more like this, hybrid, image -> text.

The embedder is the tiny preset's (random weights: shapes and behaviour, not meaning); the
captions come from a fake captioner that names each test image's colour
(``tests/support/fake_captioner.py``).
"""

from __future__ import annotations

import json

import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError
from mmdemo.core.results import CaptionHit, SearchHit
from mmdemo.services.captioning import caption_gallery
from mmdemo.services.hybrid import HYBRID_WORD_WEIGHT
from mmdemo.services.search import NO_CAPTIONS, GallerySearch, clamp_k, clean_query, judge
from mmdemo.serving import ModelServer
from tests.support import fake_captioner
from tests.support.fake_captioner import COLOURS, captioning_gallery, write_colour_photos
from tests.support.galleries import make_gallery, write_photos


@pytest.fixture(scope="module")
def server():
    return ModelServer(Settings(preset="tiny"))


@pytest.fixture
def photos(tmp_path):
    return write_photos(tmp_path / "photos")


@pytest.fixture(scope="module", autouse=True)
def fake_backends():
    """Register the fake captioners for this module, and remove them after."""
    fake_captioner.register_fakes()
    yield
    fake_captioner.unregister_fakes()


@pytest.fixture
def colour_photos(tmp_path):
    return write_colour_photos(tmp_path / "colours")


# -- text, image, image + text, more like this ---------------------------------------------
def test_image_search_finds_the_same_image_first(server, tmp_path, photos):
    gallery = make_gallery(server, tmp_path)
    gallery.add_directory(photos)
    query = Image.open(photos / "sub1" / "img3.png")
    result = GallerySearch(gallery).image(query, k=3)
    assert result.hits[0].path.endswith("img3.png")
    assert result.hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


def test_image_plus_text_weight_moves_the_query(server, tmp_path, photos):
    gallery = make_gallery(server, tmp_path)
    gallery.add_directory(photos)
    search = GallerySearch(gallery)
    query = Image.open(photos / "sub1" / "img3.png")
    image_only = search.image(query, k=6, text="anything", text_weight=0.0)
    mixed = search.image(query, k=6, text="a completely different thing", text_weight=0.9)
    assert image_only.hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert mixed.hits[0].score < 0.999  # the text pulled the query away from the image
    with pytest.raises(BadInputError, match="between 0 and 1"):
        search.image(query, k=3, text="x", text_weight=1.5)


def test_more_like_this_excludes_the_item_itself(server, tmp_path, photos):
    gallery = make_gallery(server, tmp_path)
    report = gallery.add_directory(photos)
    search = GallerySearch(gallery)
    item = report.added_ids[2]
    result = search.similar(item, k=3)
    assert item not in [h.id for h in result.hits] and len(result.hits) == 3
    with pytest.raises(BadInputError, match="no image with id"):
        search.similar(987654, k=3)


def test_bad_queries_and_k_clamping(server, tmp_path, photos):
    gallery = make_gallery(server, tmp_path)
    gallery.add_directory(photos)
    search = GallerySearch(gallery)
    for empty in ("", "   \n\t", None):
        with pytest.raises(BadInputError, match="empty"):
            search.text(empty, k=3)
    assert len(search.text("cat", k=0).hits) == 1
    assert len(search.text("cat", k=10_000).hits) == 6  # clamped to max_k, then size
    assert len(search.text("word " * 5000, k=2).hits) == 2  # long text is truncated
    assert clamp_k("7", 100) == 7 and clamp_k(3.6, 100) == 3 and clamp_k(500, 100) == 100
    with pytest.raises(BadInputError, match="whole number"):
        clamp_k("many", 100)


def test_no_good_match_message(server, tmp_path, photos):
    gallery = make_gallery(server, tmp_path, match_threshold=1.5)
    gallery.add_directory(photos)
    result = GallerySearch(gallery).text("a cat", k=3)
    assert not result.good_match and "No good match" in result.message and result.hits
    lenient = make_gallery(server, tmp_path, match_threshold=-1.0)
    lenient_result = GallerySearch(lenient).text("a cat", k=3)
    assert lenient_result.good_match and "No good match" not in lenient_result.message


def test_results_are_json_ready_with_plain_ids_and_scores(server, tmp_path, photos):
    gallery = make_gallery(server, tmp_path)
    gallery.add_directory(photos)
    result = GallerySearch(gallery).text("a red square", k=4)
    data = json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert [h["id"] for h in data] == [h.id for h in result.hits]
    assert all(type(h.id) is int and type(h.score) is float for h in result.hits)
    assert all(set(h) == {"path", "score", "id", "caption", "strength"} for h in data)


def test_an_empty_index_says_so(server, tmp_path):
    gallery = make_gallery(server, tmp_path)
    result = GallerySearch(gallery).text("a cat", k=3)
    assert result.hits == () and not result.good_match
    assert result.message == "The index is empty: add some images first."


def test_clean_query_and_judge():
    assert clean_query("  a   red\tcar ") == "a red car"
    hits = (SearchHit(1, 0.31, "/a.png"), SearchHit(2, 0.2, "/b.png"))
    assert judge(hits, 0.3, empty_index=False).good_match
    low = judge(hits, 0.4, empty_index=False)
    assert not low.good_match and "No good match" in low.message
    assert judge(hits, None, empty_index=False).message == "2 result(s); best score 0.310."


# -- captions: image -> text, hybrid -------------------------------------------------------
def test_image_to_text_ranks_the_gallery_captions(tmp_path, colour_photos):
    server, gallery = captioning_gallery(tmp_path)
    gallery.add_directory(colour_photos)
    search = GallerySearch(gallery)
    query = Image.open(colour_photos / "red.png").convert("RGB")
    with pytest.raises(BadInputError, match="caption the gallery first"):
        search.image_to_text(query, k=3)
    caption_gallery(gallery, server, batch_size=6)
    # two items sharing a caption: it is listed once, with the first item (lowest id)
    yellow = next(m for m in gallery.index.items() if m.path.endswith("yellow.png"))
    gallery.store_captions({yellow.id: "a blue square"}, overwrite=True)

    hits = search.image_to_text(query, k=10)
    assert all(isinstance(h, CaptionHit) for h in hits)
    expected = sorted(f"a {n} square" for n in COLOURS if n != "yellow")
    assert sorted(h.caption for h in hits) == expected
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    embedder = server.get("embed")
    image_vector = embedder.embed_images([query])[0]
    for hit in hits:
        cosine = float(embedder.embed_texts([hit.caption])[0] @ image_vector)
        assert hit.score == pytest.approx(cosine, abs=1e-5)
        assert gallery.index.get(hit.id).caption == hit.caption
        assert hit.path == gallery.index.get(hit.id).path
    blue = next(h for h in hits if h.caption == "a blue square")
    assert blue.path.endswith("blue.png") and blue.id < yellow.id
    assert len(search.image_to_text(query, k=2)) == 2

    # the cached caption vectors follow caption changes
    gallery.store_captions({blue.id: "a navy square"}, overwrite=True)
    hits = {h.caption: h for h in search.image_to_text(query, k=10)}
    assert "a navy square" in hits and hits["a blue square"].id == yellow.id


def test_image_to_text_without_captions_says_how_to_make_them(server, tmp_path, photos):
    gallery = make_gallery(server, tmp_path)
    gallery.add_directory(photos)
    with pytest.raises(BadInputError) as caught:
        GallerySearch(gallery).image_to_text(Image.new("RGB", (8, 8)), k=3)
    assert str(caught.value) == NO_CAPTIONS


def test_hybrid_score_is_cosine_plus_weighted_word_match(tmp_path, colour_photos, monkeypatch):
    _, gallery = captioning_gallery(tmp_path)
    gallery.add_directory(colour_photos)
    search = GallerySearch(gallery)
    plain = {h.id: h.score for h in search.text("a yellow cat", k=6).hits}
    worst = min(plain, key=plain.get)  # the embedding ranks it last
    others = [i for i in plain if i != worst]
    gallery.store_captions({worst: "a fat yellow cat", others[0]: "a yellow car"})

    unchanged = search.text("a yellow cat", k=6)
    assert {h.id: h.score for h in unchanged.hits} == plain  # hybrid is off by default

    result = search.text("a yellow cat", k=6, hybrid=True)
    scores = {h.id: h.score for h in result.hits}
    assert scores[worst] == pytest.approx(plain[worst] + HYBRID_WORD_WEIGHT * 1.0)
    assert scores[others[0]] == pytest.approx(plain[others[0]] + HYBRID_WORD_WEIGHT * 0.5)
    for item_id in others[1:]:
        assert scores[item_id] == pytest.approx(plain[item_id])
    assert [h.score for h in result.hits] == sorted(scores.values(), reverse=True)
    assert "Hybrid" in result.message

    # an item outside the embedding pool still counts when its caption matches
    monkeypatch.setattr("mmdemo.services.search.HYBRID_POOL", 1)
    narrow = {h.id: h.score for h in search.text("a yellow cat", k=1, hybrid=True).hits}
    best = max(scores, key=scores.get)
    assert narrow == {best: pytest.approx(scores[best])}


def test_hybrid_without_captions_says_so(tmp_path, colour_photos):
    _, gallery = captioning_gallery(tmp_path)
    gallery.add_directory(colour_photos)
    search = GallerySearch(gallery)
    result = search.text("a cat", k=3, hybrid=True)
    plain = search.text("a cat", k=3)
    assert [h.id for h in result.hits] == [h.id for h in plain.hits]
    assert "No image has a caption yet" in result.message


# -- languages: a query the model cannot read is refused, a multilingual model reads it ----
def test_a_chinese_query_is_refused_by_an_english_only_embedder(tmp_path, photos):
    """tiny's default embedder reads any language (as full's); the English-only one refuses."""
    from mmdemo.models.registry import EnglishOnlyError

    settings = Settings(
        preset="tiny",
        backends="embed=openclip-tiny",
        index_dir=tmp_path / "english-index",
        index_default_gallery=False,
    )
    gallery = make_gallery(ModelServer(settings), tmp_path)
    gallery.add_directory(photos)
    search = GallerySearch(gallery)
    with pytest.raises(EnglishOnlyError, match=r"openclip-tiny reads English only"):
        search.text("一只猫", k=3)
    with pytest.raises(EnglishOnlyError):
        search.image(Image.open(photos / "sub1" / "img3.png"), k=3, text="在夜里", text_weight=0.5)
    assert search.text("a cat 猫", k=3).hits  # mostly Latin script: read


def test_a_multilingual_embedder_searches_in_chinese(tmp_path, photos):
    multilingual = ModelServer(
        Settings(preset="tiny", backends="embed=openclip-xlm-roberta-tiny", cache_dir=tmp_path)
    )
    gallery = make_gallery(multilingual, tmp_path, backends="embed=openclip-xlm-roberta-tiny")
    gallery.add_directory(photos)
    assert len(GallerySearch(gallery).text("一只猫", k=3).hits) == 3
