"""The thumbnail cache: small, made once, rebuilt when missing, deleted with its gallery,
and never a way to serve an upload's own bytes."""

from __future__ import annotations

import hashlib
import io
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadImageError
from mmdemo.core.results import ItemMeta
from mmdemo.services import thumbnails
from mmdemo.services.thumbnails import (
    THUMBNAIL_SIDE,
    prune,
    thumbnail_dir,
    thumbnail_for,
    thumbnail_or_none,
)
from tests.support.images import write_test_image

SCRIPT = b"<html><script>alert(document.domain)</script></html>"


@dataclass
class Store:
    """The two things a thumbnail needs of a gallery (a real Gallery has both)."""

    store_dir: Path
    settings: Settings


def meta_for(path: Path, item_id: int = 1) -> ItemMeta:
    data = path.read_bytes()
    with Image.open(path) as im:
        width, height = im.size
    return ItemMeta(
        item_id, str(path), hashlib.sha256(data).hexdigest(), len(data), width, height, "now"
    )


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "images", Settings(preset="tiny", index_dir=tmp_path / "index"))


@pytest.mark.parametrize("size", [(4000, 3000), (3000, 4000), (1000, 200), (100, 60)])
def test_a_thumbnail_is_a_jpeg_at_most_384_px_keeping_the_shape(tmp_path, store, size):
    photo = write_test_image(tmp_path / "photo.jpg", size=size)
    thumb = thumbnail_for(store, meta_for(photo))
    assert thumb.parent == thumbnail_dir(store) and thumb.suffix == ".jpg"
    with Image.open(thumb) as im:
        assert im.format == "JPEG" and max(im.size) <= THUMBNAIL_SIDE
        if max(size) > THUMBNAIL_SIDE:
            assert max(im.size) == THUMBNAIL_SIDE
        assert abs(im.width / im.height - size[0] / size[1]) < 0.05
    assert thumb.stat().st_size < photo.stat().st_size or max(size) <= THUMBNAIL_SIDE


def test_made_once_then_reused_untouched_and_rebuilt_when_deleted(tmp_path, store, monkeypatch):
    photo = write_test_image(tmp_path / "photo.png", size=(1200, 900))
    meta = meta_for(photo)
    thumb = thumbnail_for(store, meta)
    old = time.time() - 1000
    os.utime(thumb, (old, old))  # a second call that rewrote it would change this
    made = []
    real = thumbnails.make_thumbnail
    monkeypatch.setattr(
        thumbnails, "make_thumbnail", lambda *a, **k: made.append(a) or real(*a, **k)
    )
    assert thumbnail_for(store, meta) == thumb
    assert thumb.stat().st_mtime == old and made == []
    thumb.unlink()
    assert thumbnail_for(store, meta) == thumb and thumb.is_file() and len(made) == 1


def test_the_same_picture_under_two_names_shares_one_thumbnail(tmp_path, store):
    first = write_test_image(tmp_path / "a.png", size=(500, 400))
    second = tmp_path / "copy" / "b.png"
    second.parent.mkdir()
    second.write_bytes(first.read_bytes())
    assert thumbnail_for(store, meta_for(first, 1)) == thumbnail_for(store, meta_for(second, 2))
    assert len(list(thumbnail_dir(store).iterdir())) == 1


def test_a_png_carrying_html_becomes_a_plain_jpeg_thumbnail(tmp_path, store):
    out = io.BytesIO()
    Image.new("RGB", (600, 400), (30, 90, 200)).save(out, format="PNG")
    hostile = tmp_path / "x.html"
    hostile.write_bytes(out.getvalue() + SCRIPT)
    thumb = thumbnail_for(store, meta_for(hostile))
    data = thumb.read_bytes()
    assert thumb.name.endswith(".jpg") and data.startswith(b"\xff\xd8")
    assert b"<script" not in data and b"<html" not in data


@pytest.mark.parametrize(
    "payload", [SCRIPT, b"GIF89a" + SCRIPT, b"\x89PNG\r\n\x1a\n" + SCRIPT, b"<svg onload=x()>"]
)
def test_a_file_that_is_not_an_image_never_becomes_a_thumbnail(tmp_path, store, payload):
    hostile = tmp_path / "evil.jpg"
    hostile.write_bytes(payload)
    meta = ItemMeta(7, str(hostile), hashlib.sha256(payload).hexdigest(), len(payload), 1, 1, "")
    with pytest.raises(BadImageError, match=r"evil\.jpg"):
        thumbnail_for(store, meta)
    assert thumbnail_or_none(store, meta) is None
    assert not thumbnail_dir(store).exists() or not any(thumbnail_dir(store).iterdir())


def test_a_missing_original_gives_no_thumbnail_rather_than_failing_the_list(tmp_path, store):
    photo = write_test_image(tmp_path / "gone.png")
    meta = meta_for(photo)
    photo.unlink()
    assert thumbnail_or_none(store, meta) is None


def test_a_hash_that_is_not_hex_cannot_name_a_file_outside_the_folder(tmp_path, store):
    photo = write_test_image(tmp_path / "p.png")
    meta = ItemMeta(1, str(photo), "../../../etc/passwd", 1, 1, 1, "")
    with pytest.raises(BadImageError):
        thumbnail_for(store, meta)


def test_prune_keeps_only_the_thumbnails_of_images_still_held(tmp_path, store):
    metas = [
        meta_for(write_test_image(tmp_path / f"{i}.png", color=(i * 60, 9, 9)), i) for i in range(3)
    ]
    paths = [thumbnail_for(store, m) for m in metas]
    assert prune(store, [metas[0].sha256, metas[2].sha256]) == 1
    assert [p.is_file() for p in paths] == [True, False, True]


# -- with real galleries (tiny models) ------------------------------------------------------
@pytest.fixture(scope="module")
def server():
    from mmdemo.serving import ModelServer

    return ModelServer(Settings(preset="tiny"))


def test_removing_and_resetting_images_deletes_their_thumbnails(server, tmp_path):
    from mmdemo.services.gallery import Gallery

    default = tmp_path / "default"
    write_test_image(default / "base.png", size=(800, 600), color=(10, 200, 10))
    settings = Settings(preset="tiny", index_dir=tmp_path / "index", gallery_dir=default)
    gallery = Gallery(server, settings)
    ups = [write_test_image(tmp_path / f"up{i}.png", color=(250, 40 * i, 5)) for i in range(2)]
    report = gallery.add_files([str(p) for p in ups], copy=True)
    thumbs = {m.id: thumbnail_for(gallery, m) for m in gallery.index.items()}
    assert thumbnail_dir(gallery).parent == gallery.store_dir and len(thumbs) == 3
    gallery.remove([report.added_ids[0]])
    assert not thumbs[report.added_ids[0]].exists() and thumbs[report.added_ids[1]].exists()
    gallery.reset()
    assert not thumbs[report.added_ids[1]].exists()
    (base_thumb,) = [t for i, t in thumbs.items() if i not in report.added_ids]
    assert base_thumb.exists()  # the default image is still held: its thumbnail stays


def test_a_visitors_thumbnails_live_in_their_overlay_and_go_with_it(server, tmp_path):
    from mmdemo.services.gallery import Gallery
    from mmdemo.services.visitors import VisitorGalleries

    settings = Settings(
        preset="tiny",
        index_dir=tmp_path / "index",
        gallery_dir=tmp_path / "none",
        gallery_mode="per-visitor",
        session_ttl_s=60,
    )
    base = Gallery(server, settings)
    visitors = VisitorGalleries(server, base)

    def upload_and_thumb(session: str) -> Path:
        photo = write_test_image(tmp_path / session / "mine.png", size=(900, 700))
        visitors.add(session, [str(photo)])
        overlay = visitors.overlay(session)
        thumb = thumbnail_for(overlay, next(iter(overlay.index.items())))
        assert thumb.resolve().is_relative_to(overlay.store_dir.resolve())
        assert not thumb.resolve().is_relative_to(thumbnail_dir(base).resolve())
        return thumb

    by_reset = upload_and_thumb("visitor-a")
    visitors.reset("visitor-a")
    assert not by_reset.exists()

    by_ttl = upload_and_thumb("visitor-b")
    assert visitors.sweep(now=time.monotonic() + 3600) == 1
    assert not by_ttl.exists() and not by_ttl.parent.exists()


def test_a_list_gets_its_thumbnails_in_order_one_failure_leaving_a_gap(tmp_path, store):
    metas = [
        meta_for(write_test_image(tmp_path / f"{i}.jpg", size=(900, 600)), i) for i in range(4)
    ]
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(SCRIPT)
    metas.insert(2, ItemMeta(9, str(bad), hashlib.sha256(SCRIPT).hexdigest(), 1, 1, 1, ""))
    made = thumbnails.thumbnails_or_none([(store, m) for m in metas])
    assert made[2] is None and all(made[i] for i in (0, 1, 3, 4))
    assert made == [thumbnail_or_none(store, m) for m in metas]  # the same files, in order
