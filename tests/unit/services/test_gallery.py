"""The gallery service (lifecycle and writes), with the tiny preset (shapes and behaviour)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError, IndexMismatchError
from mmdemo.services.gallery import Gallery, parse_ids
from mmdemo.services.search import GallerySearch
from mmdemo.serving import ModelServer
from tests.support.galleries import make_gallery, write_photos
from tests.support.images import write_test_image


@pytest.fixture(scope="module")
def server():
    return ModelServer(Settings(preset="tiny"))


@pytest.fixture
def photos(tmp_path):
    return write_photos(tmp_path / "photos")


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
    hits = GallerySearch(second).text("a red square", k=3).hits
    assert len(hits) == 3 and hits == GallerySearch(first).text("a red square", k=3).hits


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
        GallerySearch(other).text("cat", k=1)
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


def test_captions_for_a_rebuilt_index_are_refused(server, tmp_path, photos):
    gallery = make_gallery(server, tmp_path)
    gallery.add_directory(photos)
    old = gallery.index
    gallery.reset()
    with pytest.raises(BadInputError, match="rebuilt"):
        gallery.store_captions({0: "stale"}, index=old)


def test_no_files_or_no_folder_is_a_clear_input_error(server, tmp_path):
    gallery = make_gallery(server, tmp_path)
    with pytest.raises(BadInputError, match="No files given"):
        gallery.add_files([])
    with pytest.raises(BadInputError, match="is not a folder"):
        gallery.add_directory(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInputError, match="No images"):
        gallery.add_directory(tmp_path / "empty")


def test_remove_and_store_captions_are_saved(server, tmp_path, photos):
    gallery = make_gallery(server, tmp_path)
    ids = list(gallery.add_directory(photos).added_ids)
    assert gallery.remove(ids[:2]) == 2
    assert gallery.store_captions({ids[2]: "a blue square", ids[0]: "removed meanwhile"}) == 1
    assert gallery.store_captions({ids[2]: "not overwritten"}) == 0
    reloaded = make_gallery(server, tmp_path)
    assert reloaded.stats().count == 4
    assert reloaded.index.get(ids[2]).caption == "a blue square"


@pytest.mark.parametrize(
    ("value", "ids"), [("3, 7 12", [3, 7, 12]), ("4;\n5", [4, 5]), ([1, "2"], [1, 2])]
)
def test_ids_to_remove_are_read_from_text_or_a_list(value, ids):
    assert parse_ids(value) == ids


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "No image ids given"),
        (" , ", "No image ids given"),
        ("1, two", "not 'two'"),
        ("1.5", "whole numbers"),
        ("9" * 5000, "whole numbers"),  # past int()'s digit limit: still a clear message
        (" ".join(["1"] * 1001), "the limit is 1000"),
    ],
)
def test_bad_ids_are_refused_with_the_reason(value, message):
    with pytest.raises(BadInputError, match=message) as caught:
        parse_ids(value)
    assert len(str(caught.value)) < 200  # the value is not echoed whole


def test_uploads_keep_their_names_and_the_report_names_each_duplicate(server, tmp_path):
    """Stored copies have hash names; the index keeps the name the user gave, through a
    reload and a re-embed, and a duplicate is named with the image it repeats."""
    gallery = make_gallery(server, tmp_path)
    red = write_test_image(tmp_path / "upload-1.png", color=(250, 0, 0))
    blue = write_test_image(tmp_path / "upload-2.png", color=(0, 0, 250))
    first = gallery.add_files([red], names=["Red car.png"], copy=True)
    assert first.added == 1 and first.details() == []
    report = gallery.add_files(
        [red, blue, blue], names=["again.png", "sky.png", "sky copy.png"], copy=True
    )
    assert (report.added, report.duplicates) == (1, 2)
    assert report.details() == [
        "again.png is already in the gallery as Red car.png",
        "sky copy.png is the same image as sky.png (in this upload)",
    ]
    names = lambda g: sorted(m.display_name for m in g.index.items())  # noqa: E731
    assert names(gallery) == ["Red car.png", "sky.png"]
    assert all(m.display_name not in m.path for m in gallery.index.items())  # hash names
    assert names(make_gallery(server, tmp_path)) == ["Red car.png", "sky.png"]  # saved
    gallery.reembed()
    assert names(gallery) == ["Red car.png", "sky.png"]
