"""Stored copies of uploads are safe to serve: named from the decoded format, written
atomically, checked by hash - whatever name or bytes a visitor sends."""

from __future__ import annotations

import hashlib
import io
import os
import time
from pathlib import Path

import pytest
from PIL import Image

from mmdemo.core.errors import BadImageError
from mmdemo.services import stored_files
from mmdemo.services.stored_files import remove_leftovers, store_copy

SCRIPT = b"<html><script>alert(document.domain)</script></html>"


def png_bytes(size=(16, 12), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def encoded(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 120, 200)).save(out, format=fmt)
    return out.getvalue()


def put(tmp_path, name: str, data: bytes):
    path = tmp_path / "upload" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("name", ["x.html", "x.svg", "x.js", "x", "x.PNG.exe"])
def test_a_png_with_a_script_appended_is_stored_as_a_png_whatever_its_name(tmp_path, name):
    data = png_bytes() + SCRIPT
    source, sha = put(tmp_path, name, data)
    stored = store_copy(source, sha, tmp_path / "store", name=name, max_pixels=10**7)
    assert stored.endswith(".png") and os.path.basename(stored) == f"{sha[:20]}.png"
    assert Path(stored).read_bytes() == data  # kept as sent: a browser only shows it as PNG


@pytest.mark.parametrize(("fmt", "suffix"), [("JPEG", ".jpg"), ("WEBP", ".webp")])
def test_jpeg_and_webp_keep_their_bytes_under_their_own_extension(tmp_path, fmt, suffix):
    source, sha = put(tmp_path, "photo.html", encoded(fmt))
    stored = store_copy(source, sha, tmp_path / "store", name="photo.html", max_pixels=10**7)
    assert stored.endswith(suffix) and Path(stored).read_bytes() == source.read_bytes()


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_formats_are_re_encoded_to_png(tmp_path, fmt):
    source, sha = put(tmp_path, f"x.{fmt.lower()}", encoded(fmt))
    stored = store_copy(source, sha, tmp_path / "store", name="x", max_pixels=10**7)
    assert stored.endswith(".png")
    with Image.open(stored) as image:
        assert image.format == "PNG" and image.size == (16, 12)


@pytest.mark.parametrize("data", [SCRIPT, b"<svg xmlns='http://www.w3.org/2000/svg'/>", b""])
def test_what_is_not_an_image_is_never_stored(tmp_path, data):
    source, sha = put(tmp_path, "x.png", data)
    with pytest.raises(BadImageError):
        store_copy(source, sha, tmp_path / "store", name="x.png", max_pixels=10**7)
    assert not list((tmp_path / "store").glob("*")) if (tmp_path / "store").exists() else True


def test_a_truncated_existing_copy_is_not_trusted(tmp_path):
    data = png_bytes()
    source, sha = put(tmp_path, "a.png", data)
    store = tmp_path / "store"
    store.mkdir()
    (store / f"{sha[:20]}.png").write_bytes(data[: len(data) // 2])  # a copy cut short earlier
    stored = store_copy(source, sha, store, name="a.png", max_pixels=10**7)
    assert Path(stored).read_bytes() == data
    mtime = os.stat(stored).st_mtime_ns
    assert store_copy(source, sha, store, name="a.png", max_pixels=10**7) == stored  # reused
    assert os.stat(stored).st_mtime_ns == mtime


def test_a_file_that_changed_after_it_was_hashed_is_refused(tmp_path):
    source, sha = put(tmp_path, "a.png", png_bytes())
    source.write_bytes(png_bytes(color=(0, 255, 0)))
    with pytest.raises(BadImageError, match="changed while it was being added"):
        store_copy(source, sha, tmp_path / "store", name="a.png", max_pixels=10**7)


def test_a_failed_write_leaves_no_file_behind(tmp_path, monkeypatch):
    source, sha = put(tmp_path, "a.png", png_bytes())

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(stored_files.os, "replace", full_disk)
    with pytest.raises(OSError):
        store_copy(source, sha, tmp_path / "store", name="a.png", max_pixels=10**7)
    assert list((tmp_path / "store").iterdir()) == []  # no partial file, no temp file


def test_a_killed_writes_temp_file_is_removed_later_but_not_a_fresh_one(tmp_path):
    old = tmp_path / ".abc.png-x1y2"
    fresh = tmp_path / ".def.png-z3w4"
    kept = tmp_path / "abc.png"
    for path in (old, fresh, kept):
        path.write_bytes(b"partial")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert remove_leftovers(tmp_path) == 1
    assert not old.exists() and fresh.exists() and kept.exists()
