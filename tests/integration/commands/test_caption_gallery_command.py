"""``python -m mmdemo caption-gallery`` as a user runs it (tiny preset): captions stored in
the index, shown by ``search --json``; unreadable files named and skipped.

The commands run ``main`` in this process (``run_main``: the same output and exit status,
without a fresh interpreter's imports each time)."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import run_main
from tests.support.images import write_test_image

pytestmark = pytest.mark.integration


def test_caption_gallery_stores_captions_that_search_shows(tmp_path):
    photos = tmp_path / "photos"
    for i, color in enumerate([(200, 0, 0), (0, 200, 0), (0, 0, 200)]):
        write_test_image(photos / f"p{i}.png", color=color)
    index_dir = str(tmp_path / "index")
    indexed = run_main("index", str(photos), "--index-dir", index_dir)
    assert indexed.returncode == 0, indexed.stderr
    (photos / "p2.png").write_bytes(b"not an image any more")

    first = run_main("caption-gallery", "--index-dir", index_dir, "--batch-size", "2")
    assert first.returncode == 0, first.stderr
    assert "captioned 2, skipped 0 already captioned, 1 failed" in first.stdout
    assert "failed: p2.png" in first.stdout

    search = run_main("search", "a photo", "--k", "3", "--index-dir", index_dir, "--json")
    assert search.returncode == 0, search.stderr
    captions = {hit["path"].rsplit("/", 1)[-1]: hit["caption"] for hit in json.loads(search.stdout)}
    assert captions["p2.png"] is None
    assert captions["p0.png"] and captions["p1.png"]
