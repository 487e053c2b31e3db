"""Near-duplicates (services.duplicates) in the tiny preset: behaviour, not meaning.

The embedder has random weights, so the embedding stage proposes candidates by pixels more
than by content; the hash confirms. The photos are the shipped gallery's, made into copies
the way ``quality.duplicates_eval`` makes them (lite's meaning: test_duplicates_lite.py).
"""

from __future__ import annotations

import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.duplicate_results import CollapsedHits, DuplicateReport, FoldedHit
from mmdemo.core.errors import BadInputError
from mmdemo.core.results import SearchHit
from mmdemo.quality import duplicates_eval
from mmdemo.services import duplicates
from mmdemo.services.duplicates import collapse, find_duplicates, hash_distance, phash
from mmdemo.services.visitors import VisitorGalleries
from mmdemo.serving import ModelServer
from tests.support.galleries import make_gallery

PHOTOS = ("chelsea_the_cat.png", "coffee_cup.png", "brick_wall.png", "china_temple.jpg")


@pytest.fixture(scope="module")
def server():
    return ModelServer(Settings(preset="tiny"))


@pytest.fixture(scope="module")
def photo_set(tmp_path_factory):
    """Each photo at 640 px with its six copies and two halves (``duplicates_eval``)."""
    folder = tmp_path_factory.mktemp("dups")
    sources = [Settings().assets_dir / "gallery" / name for name in PHOTOS]
    return duplicates_eval.make_set(sources, folder)


def _paths(items, *, kinds):
    return [str(i.path) for i in items if i.kind in kinds]


# -- the hash and the groups ----------------------------------------------------------------
def test_phash_keeps_resized_copies_close_and_tells_photos_apart():
    folder = Settings().assets_dir / "gallery"
    cat = Image.open(folder / "chelsea_the_cat.png").convert("RGB")
    coffee = Image.open(folder / "coffee_cup.png").convert("RGB")
    small = cat.resize((cat.width // 3, cat.height // 3))
    assert 0 <= phash(cat) < 2**64
    assert hash_distance(phash(cat), phash(small)) <= 4
    assert hash_distance(phash(cat), phash(coffee)) >= 20


def test_union_groups_joins_chains_and_drops_singletons():
    assert duplicates.union_groups([(5, 9), (9, 2), (7, 8)]) == [(2, 5, 9), (7, 8)]
    assert duplicates.union_groups([]) == []


def test_confirmed_needs_both_hashes_within_the_distance():
    candidates = {(1, 2): 0.99, (1, 3): 0.99, (2, 4): 0.99}
    hashes = {1: 0b1111, 2: 0b0111, 3: 0b0000, 4: None}
    assert duplicates.confirmed(candidates, hashes, 1) == [(1, 2)]
    assert duplicates.confirmed(candidates, hashes, 4) == [(1, 2), (1, 3)]


# -- finding them in a gallery --------------------------------------------------------------
def test_copies_are_grouped_with_their_original_and_halves_stay_apart(server, tmp_path, photo_set):
    gallery = make_gallery(server, tmp_path)
    gallery.add_files(_paths(photo_set, kinds={"original", "half_size", "jpeg_q15", "left_half"}))
    report = find_duplicates(gallery)
    assert isinstance(report, DuplicateReport)
    names = {m.id: m.path for m in gallery.index.items()}
    stems = [{names[i].rsplit("/", 1)[-1].split("_")[0] for i in g.ids} for g in report.groups]
    assert all(len(s) == 1 for s in stems), stems  # no group mixes two photos
    for group in report.groups:
        assert not any("left_half" in p for p in group.paths), group.paths
        assert group.ids == tuple(sorted(group.ids))
        assert len(group.paths) == len(group.thumbnails) == len(group.ids)
    assert len(report.groups) >= 3  # copies of at least three of the four photos found
    assert report.checked == len(gallery.index)
    data = report.to_json()
    assert set(data) >= {"groups", "threshold", "method", "checked", "extra_copies"}
    assert data["groups"][0]["ids"] == list(report.groups[0].ids)


def test_the_report_is_cached_until_the_gallery_changes(server, tmp_path, photo_set, monkeypatch):
    gallery = make_gallery(server, tmp_path)
    gallery.add_files(_paths(photo_set[:3], kinds={"original", "half_size", "jpeg_q15"}))
    calls = []
    real = duplicates._compute
    monkeypatch.setattr(duplicates, "_compute", lambda *a: calls.append(1) or real(*a))
    first = find_duplicates(gallery)
    again = find_duplicates(gallery)
    assert len(calls) == 1 and again.groups == first.groups
    group = first.groups[0]
    gallery.remove(group.extra)  # a removal is a new version
    after = find_duplicates(gallery)
    assert len(calls) == 2
    assert all(set(g.ids).isdisjoint(group.extra) for g in after.groups)
    gallery.add_files([str(photo_set[1].path)])  # an add too
    find_duplicates(gallery)
    assert len(calls) == 3
    gallery.reset(to_default=False)  # and a reset
    assert find_duplicates(gallery).groups == ()
    assert len(calls) == 4


def test_a_visitors_copy_joins_the_shared_original_and_only_that_visitor_sees_it(
    server, tmp_path, photo_set
):
    base = make_gallery(server, tmp_path)
    base.add_files(_paths(photo_set[:1], kinds={"original"}))
    visitors = VisitorGalleries(server, base)
    mine = visitors.add("visitor-a", _paths(photo_set[:3], kinds={"half_size"}))
    assert mine.added == 1
    theirs = visitors.overlay("visitor-b", create=True)
    seen = find_duplicates(base, overlay=visitors.overlay("visitor-a"))
    assert [len(g.ids) for g in seen.groups] == [2]
    assert seen.groups[0].keep < seen.groups[0].extra[0]  # the shared original is kept
    assert find_duplicates(base, overlay=theirs).groups == ()
    assert find_duplicates(base).groups == ()


def test_too_large_a_gallery_is_refused_before_any_work(server, tmp_path, monkeypatch):
    gallery = make_gallery(server, tmp_path)
    gallery.add_files([str(Settings().assets_dir / "gallery" / PHOTOS[0])])
    monkeypatch.setattr(duplicates, "MAX_ITEMS", 0)
    monkeypatch.setattr(duplicates, "_compute", lambda *a: pytest.fail("did the work"))
    with pytest.raises(BadInputError, match="at most"):
        find_duplicates(gallery)


# -- collapsing search hits -----------------------------------------------------------------
def _report(*groups):
    from mmdemo.core.duplicate_results import DuplicateGroup

    return DuplicateReport(
        groups=tuple(DuplicateGroup(ids=g, paths=tuple(f"/p/{i}" for i in g)) for g in groups),
        threshold=0.9,
        method="test",
    )


def test_collapse_keeps_the_best_scored_hit_of_each_group_in_order():
    hits = [SearchHit(i, s, f"/p/{i}") for i, s in ((4, 0.9), (1, 0.8), (7, 0.7), (2, 0.95))]
    hits.sort(key=lambda h: -h.score)  # 2, 4, 1, 7
    out = collapse(hits, _report((1, 2, 3), (7, 8)))
    assert isinstance(out, CollapsedHits)
    assert [h.id for h in out] == [2, 4, 7]
    assert out.folded == 1
    assert isinstance(out[0], FoldedHit) and out[0].folded == 1 and out[0].folded_ids == (1,)
    assert not isinstance(out[1], FoldedHit) and type(out[2]) is SearchHit
    assert out[0].to_json()["folded"] == 1 and out[0].to_json()["score"] == 0.95


def test_collapse_without_groups_changes_nothing():
    hits = (SearchHit(1, 0.5, "/a"), SearchHit(2, 0.4, "/b"))
    out = collapse(hits, _report())
    assert tuple(out) == hits and out.folded == 0
