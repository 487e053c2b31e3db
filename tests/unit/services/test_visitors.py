"""Per-visitor galleries: each session's uploads are its own, bounded, and expire; the base
gallery is searched by everyone and changed by nobody through them."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError
from mmdemo.services.gallery import Gallery
from mmdemo.services.search import GallerySearch
from mmdemo.services.visitors import OVERLAY_FIRST_ID, VisitorGalleries, session_key
from mmdemo.serving import ModelServer
from tests.support.images import write_test_image


@pytest.fixture(scope="module")
def server():
    return ModelServer(Settings(preset="tiny"))


def setup(server, tmp_path, **limits):
    default = tmp_path / "default"
    for i in range(3):
        write_test_image(default / f"base{i}.png", color=(40 * i, 200, 90))
    settings = Settings(
        preset="tiny",
        index_dir=tmp_path / "index",
        gallery_dir=default,
        gallery_mode="per-visitor",
        **limits,
    )
    base = Gallery(server, settings)
    return base, VisitorGalleries(server, base), GallerySearch(base)


def uploads(folder, count, offset=0):
    return [
        str(write_test_image(folder / f"up{offset + i}.png", color=(250, 10 * (offset + i), 5)))
        for i in range(count)
    ]


def test_two_visitors_never_see_each_others_uploads_and_the_base_stays_intact(server, tmp_path):
    base, visitors, search = setup(server, tmp_path)
    base_hashes = {m.sha256 for m in base.index.items()}
    a = visitors.add("session-a", uploads(tmp_path / "a", 2))
    b = visitors.add("session-b", uploads(tmp_path / "b", 1, offset=10))
    assert a.added == 2 and b.added == 1
    assert all(i >= OVERLAY_FIRST_ID for i in (*a.added_ids, *b.added_ids))

    def seen(session) -> set[int]:
        overlay = visitors.overlay(session)
        return {hit.id for hit in search.text("a photo", k=100, overlay=overlay).hits}

    base_ids = {m.id for m in base.index.items()}
    assert seen("session-a") == base_ids | set(a.added_ids)
    assert seen("session-b") == base_ids | set(b.added_ids)
    assert seen("someone-else") == base_ids
    assert {m.sha256 for m in base.index.items()} == base_hashes  # nothing went to the base
    # ids are unique within what one visitor sees (the base + their own): a's "more like
    # this" works on a's upload, and b's files never appear in a's results
    overlay_a, overlay_b = visitors.overlay("session-a"), visitors.overlay("session-b")
    b_paths = {m.path for m in overlay_b.index.items()}
    for item_id in a.added_ids:
        similar = search.similar(item_id, k=100, overlay=overlay_a)
        assert similar.hits and not {hit.path for hit in similar.hits} & b_paths
    with pytest.raises(BadInputError, match="no image with id"):
        search.similar(OVERLAY_FIRST_ID + 99, k=5, overlay=overlay_a)


def test_remove_and_reset_touch_only_the_visitors_own_uploads(server, tmp_path):
    base, visitors, _ = setup(server, tmp_path)
    a = visitors.add("a", uploads(tmp_path / "a", 3))
    visitors.add("b", uploads(tmp_path / "b", 1, offset=7))
    base_ids = [m.id for m in base.index.items()]
    assert visitors.remove("a", [a.added_ids[0], *base_ids]) == 1  # base ids are not a's
    assert len(visitors.overlay("a").index) == 2 and len(base.index) == 3
    visitors.reset("a")
    assert visitors.overlay("a") is None and len(visitors.overlay("b").index) == 1
    assert not (visitors.images_root / session_key("a")).exists()


def test_bounds_are_checked_before_any_work(server, tmp_path):
    _, visitors, _ = setup(server, tmp_path, visitor_max_images=3, visitor_max_mb=0.01)
    with pytest.raises(BadInputError, match="each visitor may keep 3"):
        visitors.add("a", uploads(tmp_path / "a", 4))
    assert len(visitors.overlay("a").index) == 0
    big = tmp_path / "big.png"
    noise = np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8)
    Image.fromarray(noise).save(big)  # ~120 KB: over the 10 KB budget
    with pytest.raises(BadInputError, match="MB"):
        visitors.add("a", [str(big)])
    with pytest.raises(BadInputError, match="no browser session"):
        visitors.add(None, uploads(tmp_path / "c", 1))


def test_idle_overlays_expire_and_the_least_recently_used_is_evicted(server, tmp_path):
    _, visitors, _ = setup(server, tmp_path, session_ttl_s=60, max_visitors=2)
    for name in ("a", "b"):
        visitors.add(name, uploads(tmp_path / name, 1, offset=ord(name)))
    visitors.overlay("a")  # a is now the most recent
    visitors.add("c", uploads(tmp_path / "c", 1, offset=3))  # over the limit: b goes
    assert visitors.overlay("b") is None and visitors.overlay("a") is not None
    assert visitors.count() == 2
    assert visitors.sweep(now=time.monotonic() + 61) == 2  # both idle past the TTL
    assert visitors.count() == 0 and not any(visitors.root.iterdir())


def test_overlays_left_on_disk_by_an_earlier_run_expire_by_age(server, tmp_path):
    base, visitors, _ = setup(server, tmp_path, session_ttl_s=60)
    visitors.add("a", uploads(tmp_path / "a", 1))
    restarted = VisitorGalleries(server, base)  # a new process: nothing in memory
    assert restarted.sweep() == 0  # fresh on disk: kept
    assert restarted.overlay("a") is not None and len(restarted.overlay("a").index) == 1
    later = VisitorGalleries(server, base)
    old = time.time() - 3600
    for path in [*visitors.root.rglob("*"), visitors.root / session_key("a")]:
        os.utime(path, (old, old))
    assert later.sweep() == 1 and not (visitors.root / session_key("a")).exists()


@pytest.mark.parametrize("session", ["../../etc", "a/b", "x" * 5000, "\x00", "séance"])
def test_a_client_chosen_session_id_never_becomes_a_path(server, tmp_path, session):
    _, visitors, _ = setup(server, tmp_path)
    overlay = visitors.overlay(session, create=True)
    assert overlay.index_dir.parent == visitors.root
    assert overlay.index_dir.name == session_key(session) and len(session_key(session)) == 32
