"""The gallery service and the embedding pipeline, with the tiny preset (shapes and behaviour)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from mmdemo.config import Settings
from mmdemo.errors import BadInputError, IndexMismatchError
from mmdemo.gallery import Gallery, clamp_k
from mmdemo.pipeline import embed_files
from mmdemo.serving import ModelServer
from tests.conftest import write_test_image

COLORS = [(220, 30, 30), (30, 200, 30), (30, 30, 220), (240, 240, 20), (20, 220, 220), (0, 0, 0)]


@pytest.fixture(scope="module")
def server():
    return ModelServer(Settings(preset="tiny"))


@pytest.fixture
def photos(tmp_path):
    """Six distinct small images, one duplicate, one broken file and one non-image, nested."""
    folder = tmp_path / "photos"
    paths = [
        write_test_image(folder / f"sub{i % 2}" / f"img{i}.png", color=c)
        for i, c in enumerate(COLORS)
    ]
    (folder / "copy_of_img0.png").write_bytes(paths[0].read_bytes())
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (folder / "notes.txt").write_text("not an image, and not an image extension either")
    return folder


def make_gallery(server, tmp_path, **changes):
    settings = Settings(
        preset="tiny",
        index_dir=tmp_path / "index",
        index_default_gallery=False,
        batch_size=4,
        **changes,
    )
    return Gallery(server, settings)


def test_add_directory_reports_added_duplicates_and_unreadable(server, tmp_path, photos):
    gallery = make_gallery(server, tmp_path)
    report = gallery.add_directory(photos)
    assert (report.added, report.duplicates, report.total) == (6, 1, 6)
    assert [u.path for u in report.unreadable] == ["broken.jpg"]
    again = gallery.add_directory(photos)  # everything already indexed: nothing is re-embedded
    assert (again.added, again.duplicates, again.total) == (0, 7, 6)


def test_saved_index_is_reused_by_a_new_gallery(server, tmp_path, photos):
    first = make_gallery(server, tmp_path)
    first.add_directory(photos)
    second = make_gallery(server, tmp_path)
    assert second.stats().count == 6
    hits = second.search_text("a red square", k=3).hits
    assert len(hits) == 3 and hits == first.search_text("a red square", k=3).hits


def test_image_search_finds_the_same_image_first(server, tmp_path, photos):
    gallery = make_gallery(server, tmp_path)
    gallery.add_directory(photos)
    query = Image.open(photos / "sub1" / "img3.png")
    result = gallery.search_image(query, k=3)
    assert result.hits[0].path.endswith("img3.png")
    assert result.hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


def test_image_plus_text_weight_moves_the_query(server, tmp_path, photos):
    gallery = make_gallery(server, tmp_path)
    gallery.add_directory(photos)
    query = Image.open(photos / "sub1" / "img3.png")
    image_only = gallery.search_image(query, k=6, text="anything", text_weight=0.0)
    mixed = gallery.search_image(query, k=6, text="a completely different thing", text_weight=0.9)
    assert image_only.hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert mixed.hits[0].score < 0.999  # the text pulled the query away from the image
    with pytest.raises(BadInputError, match="between 0 and 1"):
        gallery.search_image(query, k=3, text="x", text_weight=1.5)


def test_more_like_this_excludes_the_item_itself(server, tmp_path, photos):
    gallery = make_gallery(server, tmp_path)
    report = gallery.add_directory(photos)
    item = report.added_ids[2]
    result = gallery.search_similar(item, k=3)
    assert item not in [h.id for h in result.hits] and len(result.hits) == 3
    with pytest.raises(BadInputError, match="no image with id"):
        gallery.search_similar(987654, k=3)


def test_bad_queries_and_k_clamping(server, tmp_path, photos):
    gallery = make_gallery(server, tmp_path)
    gallery.add_directory(photos)
    for empty in ("", "   \n\t", None):
        with pytest.raises(BadInputError, match="empty"):
            gallery.search_text(empty, k=3)
    assert len(gallery.search_text("cat", k=0).hits) == 1
    assert len(gallery.search_text("cat", k=10_000).hits) == 6  # clamped to max_k, then size
    assert len(gallery.search_text("word " * 5000, k=2).hits) == 2  # long text is truncated
    assert clamp_k("7", 100) == 7 and clamp_k(3.6, 100) == 3 and clamp_k(500, 100) == 100
    with pytest.raises(BadInputError, match="whole number"):
        clamp_k("many", 100)


def test_no_good_match_message(server, tmp_path, photos):
    gallery = make_gallery(server, tmp_path, match_threshold=1.5)
    gallery.add_directory(photos)
    result = gallery.search_text("a cat", k=3)
    assert not result.good_match and "No good match" in result.message and result.hits
    lenient = make_gallery(server, tmp_path, match_threshold=-1.0).search_text("a cat", k=3)
    assert lenient.good_match and "No good match" not in lenient.message


def test_uploads_are_copied_into_the_store(server, tmp_path, make_test_image):
    gallery = make_gallery(server, tmp_path)
    upload = make_test_image("upload.jpg", color=(10, 120, 200))
    report = gallery.add_files([upload], names=["holiday.jpg"], copy=True)
    stored = gallery.index.get(report.added_ids[0]).path
    assert stored.startswith(str(gallery.store_dir)) and stored.endswith(".jpg")
    upload.unlink()  # the upload temp file disappears; the indexed copy stays
    assert Image.open(stored).size == (64, 48)


def test_concurrent_adds_keep_the_index_consistent(server, tmp_path):
    gallery = make_gallery(server, tmp_path)
    folders = []
    for user in range(3):
        folder = tmp_path / f"user{user}"
        for i in range(4):
            write_test_image(folder / f"{i}.png", color=(60 * user, 50 * i, 90))
        write_test_image(folder / "shared.png", color=(1, 2, 3))  # every user adds this one
        folders.append(folder)
    barrier = threading.Barrier(3)

    def add(folder):
        barrier.wait()
        return gallery.add_directory(folder)

    with ThreadPoolExecutor(3) as pool:
        reports = list(pool.map(add, folders))
    assert sum(r.added for r in reports) == 13  # 12 own images + the shared one once
    reloaded = make_gallery(server, tmp_path)
    assert reloaded.stats().count == 13
    assert len({item.sha256 for item in reloaded.index.items()}) == 13


def test_index_from_another_model_is_refused_then_reembedded(tmp_path, photos, server):
    gallery = make_gallery(server, tmp_path)
    gallery.add_directory(photos)
    first = gallery.index.items()[0]
    gallery.index.update_meta(first.id, caption="a hand-written caption")
    gallery.index.save(tmp_path / "index")
    manifest_path = tmp_path / "index" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["model_id"] = "open_clip:some-other-model/tag"
    manifest_path.write_text(json.dumps(manifest))
    other = make_gallery(server, tmp_path)
    with pytest.raises(IndexMismatchError, match="some-other-model"):
        other.search_text("cat", k=1)
    assert isinstance(other.mismatch(), IndexMismatchError)
    report = other.reembed()
    assert report.added == 6 and other.mismatch() is None
    reloaded = make_gallery(server, tmp_path)
    assert reloaded.stats().count == 6
    kept = {item.sha256: item.caption for item in reloaded.index.items()}
    assert kept[first.sha256] == "a hand-written caption"  # captions survive a re-embed


def test_default_gallery_indexed_on_first_start(server, tmp_path, photos):
    settings = Settings(preset="tiny", index_dir=tmp_path / "index", gallery_dir=photos)
    stats = Gallery(server, settings).prepare()
    assert stats.count == 6


def test_pipeline_matches_direct_embedding_and_order(server, photos):
    embedder = server.get("embed")
    paths = sorted(photos.rglob("img*.png"))
    for workers in (0, 2):
        outcome = embed_files(embedder, paths, batch_size=4, num_workers=workers)
        assert [m["path"] for m in outcome.metas] == [str(p) for p in paths]
        direct = embedder.embed_images([Image.open(p).convert("RGB") for p in paths])
        np.testing.assert_allclose(outcome.vectors, direct, atol=1e-5)
    progress = []
    embed_files(embedder, paths, batch_size=4, progress=lambda d, t: progress.append((d, t)))
    assert progress[-1] == (len(paths), len(paths))
