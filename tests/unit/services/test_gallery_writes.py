"""The gallery's one writer discipline: nothing reported added is lost, whatever runs at the
same time; removals and resets keep the index, the disk and the stored copies consistent."""

from __future__ import annotations

import errno
import hashlib
import os
import threading
from pathlib import Path

import pytest

from mmdemo.core.config import Settings
from mmdemo.core.errors import StorageError
from mmdemo.index import VectorIndex
from mmdemo.index import storage as index_storage
from mmdemo.services.captioning import caption_gallery
from mmdemo.services.gallery import Gallery
from mmdemo.serving import ModelServer
from tests.support.images import write_test_image

UPLOADERS, PER_UPLOADER = 4, 6


@pytest.fixture(scope="module")
def server():
    return ModelServer(Settings(preset="tiny", backends="caption=label-caption"))


def gallery_for(server, tmp_path, default_dir=None, **changes) -> Gallery:
    settings = Settings(
        preset="tiny",
        backends="caption=label-caption",
        index_dir=tmp_path / "index",
        gallery_dir=default_dir or tmp_path / "no-default",
        index_default_gallery=default_dir is not None,
        batch_size=4,
        **changes,
    )
    return Gallery(server, settings)


def distinct_images(folder, count: int, offset: int):
    """``count`` images no other call makes (colours from ``offset``), as upload files."""
    return [
        write_test_image(folder / f"u{offset + i}.png", color=((37 * (offset + i)) % 256, 90, 200))
        for i in range(count)
    ]


def saved_hashes(index_dir) -> set[str]:
    return {m.sha256 for m in VectorIndex.load(index_dir).items()}


def test_uploads_racing_re_embed_remove_and_caption_all_are_never_lost(server, tmp_path):
    """Several uploaders, while another visitor re-embeds, removes and captions in a loop:
    every image an upload reported as added is in the live index, on disk and stored."""
    default = tmp_path / "default"
    base_images = distinct_images(default, 6, offset=1000)
    gallery = gallery_for(server, tmp_path, default_dir=default)
    removable = {m.sha256 for m in gallery.index.items()}  # the default photos may go
    assert len(removable) == len(base_images)
    reported: set[str] = set()
    errors: list[BaseException] = []
    lock = threading.Lock()
    done = threading.Event()

    def upload(worker: int) -> None:
        try:
            for n in range(PER_UPLOADER):
                [path] = distinct_images(tmp_path / f"up{worker}", 1, offset=worker * 100 + n)
                report = gallery.add_files([path], copy=True)
                with lock:
                    if report.added:
                        reported.add(hashlib.sha256(path.read_bytes()).hexdigest())
        except BaseException as err:
            errors.append(err)

    def mutate() -> None:
        try:
            while not done.is_set():
                gallery.reembed()
                victims = [m.id for m in gallery.index.items() if m.sha256 in removable][:1]
                gallery.remove(victims)
                caption_gallery(gallery, server, batch_size=4)
        except BaseException as err:
            errors.append(err)

    uploaders = [threading.Thread(target=upload, args=(w,)) for w in range(UPLOADERS)]
    mutator = threading.Thread(target=mutate)
    mutator.start()
    for thread in uploaders:
        thread.start()
    for thread in uploaders:
        thread.join(timeout=600)
    done.set()
    mutator.join(timeout=600)
    assert not errors, errors
    assert len(reported) == UPLOADERS * PER_UPLOADER
    live = {m.sha256: m for m in gallery.index.items()}
    assert reported <= set(live), "an upload reported as added is missing from the index"
    assert reported <= saved_hashes(gallery.index_dir), "... or from the saved index"
    for sha in reported:
        assert Path(live[sha].path).read_bytes(), f"the stored copy of {sha[:12]} is gone"


def test_remove_deletes_the_stored_copies_but_never_the_default_gallery(server, tmp_path):
    default = tmp_path / "default"
    distinct_images(default, 2, offset=0)
    gallery = gallery_for(server, tmp_path, default_dir=default)
    uploads = distinct_images(tmp_path / "up", 2, offset=50)
    added = gallery.add_files(uploads, copy=True).added_ids
    copies = [gallery.index.get(i).path for i in added]
    base = [m for m in gallery.index.items() if m.id not in added]
    assert gallery.remove([*added, base[0].id, 10**6]) == 3  # an unknown id is ignored
    assert not any(os.path.exists(p) for p in copies)
    assert (default / "u0.png").is_file() and (default / "u1.png").is_file()
    assert saved_hashes(gallery.index_dir) == {base[1].sha256}


def test_reset_goes_back_to_the_default_gallery_and_never_reuses_an_id(server, tmp_path):
    default = tmp_path / "default"
    distinct_images(default, 3, offset=0)
    gallery = gallery_for(server, tmp_path, default_dir=default)
    first_ids = {m.id for m in gallery.index.items()}
    upload = gallery.add_files(distinct_images(tmp_path / "up", 2, offset=9), copy=True)
    copies = [gallery.index.get(i).path for i in upload.added_ids]
    report = gallery.reset()
    assert report.total == 3 and len(gallery.index) == 3
    after = {m.id for m in gallery.index.items()}
    assert min(after) > max(first_ids | set(upload.added_ids))  # ids keep counting up
    assert not any(os.path.exists(p) for p in copies)
    assert len(VectorIndex.load(gallery.index_dir)) == 3


def test_a_full_disk_during_an_add_keeps_the_saved_index_and_says_so(server, tmp_path, monkeypatch):
    gallery = gallery_for(server, tmp_path)
    gallery.add_files(distinct_images(tmp_path / "a", 2, offset=0))
    before = saved_hashes(gallery.index_dir)

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(index_storage, "_write_npy", no_space)
    with pytest.raises(StorageError, match="No space left on device"):
        gallery.add_files(distinct_images(tmp_path / "b", 1, offset=5))
    monkeypatch.undo()
    assert saved_hashes(gallery.index_dir) == before
    assert {m.sha256 for m in gallery.index.items()} == before  # not searchable either
