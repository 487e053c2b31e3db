"""Near-duplicates mean what they say with the real ``lite`` embedder, on held-out photos
(``assets/quality/heldout``, which the thresholds were not calibrated on).

Why the hash stage exists, shown: lite's image vectors are mixes of ImageNet classes, so
the left half of a photo sits almost on top of the whole photo (cosine above the candidate
threshold) though it is another picture; the perceptual hash keeps them apart, while the
resized and recompressed copies are grouped with their original.
"""

from __future__ import annotations

import pytest

from mmdemo.core.config import Settings
from mmdemo.quality import duplicates_eval
from mmdemo.services import duplicates
from mmdemo.services.duplicates import find_duplicates
from mmdemo.services.gallery import Gallery
from mmdemo.serving import ModelServer

HELDOUT = Settings().assets_dir / "quality" / "heldout"
PHOTOS = ("raccoon_face.jpg", "city_skyscrapers_night.jpg", "grace_hopper.jpg")


@pytest.fixture(scope="module")
def lite(tmp_path_factory):
    """A lite gallery of three held-out photos, each with its copies and part-crops."""
    root = tmp_path_factory.mktemp("dups_lite")
    items = duplicates_eval.make_set([HELDOUT / p for p in PHOTOS], root / "photos")
    settings = Settings(preset="lite", index_dir=root / "index", index_default_gallery=False)
    gallery = Gallery(ModelServer(settings), settings)
    gallery.add_files([str(i.path) for i in items])
    by_path = {str(i.path): i for i in items}
    return gallery, {m.id: by_path[m.path] for m in gallery.index.items()}


def test_lite_is_calibrated(lite):
    gallery, _ = lite
    levels, calibrated = duplicates.thresholds_for(gallery.index.model_id, gallery.settings)
    assert calibrated and 0.5 < levels["threshold"] < 1.0


def test_the_embedding_alone_would_join_a_half_to_its_photo(lite):
    gallery, truth = lite
    levels, _ = duplicates.thresholds_for(gallery.index.model_id, gallery.settings)
    candidates = duplicates.candidate_pairs([gallery], levels["threshold"])
    halves = [
        pair
        for pair in candidates
        if {truth[pair[0]].kind, truth[pair[1]].kind} == {"original", "left_half"}
        and truth[pair[0]].source == truth[pair[1]].source
    ]
    assert halves, "lite's vectors should put a half next to its photo"


def test_copies_join_their_original_and_no_group_holds_another_picture(lite):
    gallery, truth = lite
    report = find_duplicates(gallery)
    for group in report.groups:
        assert len({truth[i].truth for i in group.ids}) == 1, [truth[i] for i in group.ids]
    group_of = report.group_of()
    originals = {t.source: i for i, t in truth.items() if t.kind == "original"}
    for source, original in originals.items():
        mates = {truth[i].kind for i in truth if group_of.get(i) == group_of.get(original)}
        # the easy copies are always found; the whole set's recall is in docs/quality.md
        assert {"half_size", "brighter"} <= mates, (source, mates)
