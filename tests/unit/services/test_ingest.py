"""Embedding many files: decoding overlapped with the model, in input order (tiny preset)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.services.ingest import embed_files, prepare_file
from mmdemo.serving import ModelServer
from tests.support.galleries import write_photos


@pytest.fixture(scope="module")
def server():
    return ModelServer(Settings(preset="tiny"))


@pytest.fixture
def photos(tmp_path):
    return write_photos(tmp_path / "photos")


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


def test_repeats_and_unreadable_files_are_skipped_and_counted(server, photos):
    embedder = server.get("embed")
    paths = [photos / "sub0" / "img0.png", photos / "copy_of_img0.png", photos / "broken.jpg"]
    outcome = embed_files(embedder, paths, batch_size=4, num_workers=0)
    assert len(outcome.metas) == 1 and outcome.vectors.shape == (1, embedder.dim)
    assert outcome.duplicates == 1
    assert [u.path for u in outcome.unreadable] == ["broken.jpg"]
    empty = embed_files(embedder, [], num_workers=0)
    assert empty.vectors.shape == (0, embedder.dim) and empty.metas == []


def test_prepare_file_skips_known_hashes_before_decoding(server, photos):
    embedder = server.get("embed")
    path = photos / "sub0" / "img0.png"
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    known = prepare_file(path, embedder, 10**7, lambda h: h == sha)
    assert known.duplicate and known.meta is None and known.tensor is None
    fresh = prepare_file(path, embedder, 10**7, lambda h: False, display_name="mine.png")
    assert fresh.meta["sha256"] == sha and fresh.meta["width"] == 64
    missing = prepare_file(photos / "ghost.png", embedder, 10**7, lambda h: False)
    assert missing.skipped.path == "ghost.png" and "cannot be read" in missing.skipped.reason
    bad = prepare_file(photos / "broken.jpg", embedder, 10**7, lambda h: False, "holiday.jpg")
    assert bad.skipped.path == "holiday.jpg"
