"""Browsing the gallery a page at a time (tiny preset): bounded pages, newest first, whose
each image is, thumbnails made only for the page shown."""

from __future__ import annotations

import pytest

from mmdemo.core.config import Settings
from mmdemo.services.browse import PAGE_SIZE, browse, names_of
from mmdemo.services.gallery import Gallery
from mmdemo.services.visitors import OVERLAY_FIRST_ID
from mmdemo.serving import ModelServer
from tests.support.galleries import make_gallery
from tests.support.images import write_test_image


@pytest.fixture(scope="module")
def server():
    return ModelServer(Settings(preset="tiny"))


def add(gallery, folder, count, start=0):
    paths = [
        write_test_image(folder / f"p{i}.png", color=(i * 9 % 256, i * 37 % 256, 90))
        for i in range(start, start + count)
    ]
    gallery.add_files(paths, names=[f"photo {i}.png" for i in range(start, start + count)])


def test_pages_are_bounded_newest_first_and_cover_every_image_once(server, tmp_path):
    gallery = make_gallery(server, tmp_path)
    add(gallery, tmp_path, 7)
    first = browse(gallery, page=1, page_size=3)
    assert (first.page, first.pages, first.total) == (1, 3, 7)
    assert [i.meta.display_name for i in first.items] == [
        "photo 6.png",
        "photo 5.png",
        "photo 4.png",
    ]
    names = [
        i.meta.display_name for n in (1, 2, 3) for i in browse(gallery, page=n, page_size=3).items
    ]
    assert sorted(names) == sorted(f"photo {i}.png" for i in range(7))
    assert browse(gallery, page=99, page_size=3).page == 3  # past the end: the last page
    assert browse(gallery, page="x", page_size=None).page == 1  # nonsense: the defaults
    assert browse(gallery, page=float("nan"), page_size=10_000).pages == 1  # size <= 60
    assert PAGE_SIZE == 60


def test_thumbnails_are_made_for_the_page_shown_only(server, tmp_path):
    gallery = make_gallery(server, tmp_path)
    add(gallery, tmp_path, 5)
    view = browse(gallery, page=2, page_size=2)
    made = sorted(p.name for p in (gallery.store_dir / "thumbnails").glob("*.jpg"))
    assert len(made) == 2 and all(item.thumbnail for item in view.items)
    assert sorted(p.rsplit("/", 1)[-1] for p in (i.thumbnail for i in view.items)) == made


def test_a_visitor_sees_their_own_uploads_first_and_marked(server, tmp_path):
    base = make_gallery(server, tmp_path / "base")
    add(base, tmp_path, 3)
    overlay = Gallery(
        server,
        base.settings.replace(index_dir=tmp_path / "mine"),
        store_dir=tmp_path / "mine-images",
        first_id=OVERLAY_FIRST_ID,
    )
    add(overlay, tmp_path, 1, start=10)
    view = browse(base, overlay, page=1)
    assert [(i.meta.display_name, i.own) for i in view.items] == [
        ("photo 10.png", True),
        ("photo 2.png", False),
        ("photo 1.png", False),
        ("photo 0.png", False),
    ]
    assert view.to_json()["items"][0] == {
        "id": OVERLAY_FIRST_ID,
        "name": "photo 10.png",
        "caption": None,
        "yours": True,
    }
    assert names_of(base, overlay, [OVERLAY_FIRST_ID, 0, 12345]) == {
        OVERLAY_FIRST_ID: "photo 10.png",
        0: "photo 0.png",
    }
    assert [i.own for i in browse(base, None).items] == [False] * 3
