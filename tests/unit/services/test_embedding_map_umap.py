"""The real UMAP behind the embedding map, once per module (numba's JIT costs ~25 s on the
2-core VM the first time, so this module is ``slow``: ``pytest -m slow``).

Checked: the layout keeps clusters apart (each point's 2-D neighbour is from its own
cluster), the same vectors give the same picture (seeded), and the service's background
job puts a real UMAP layout in place of the PCA one for a gallery above its minimum.
"""

from __future__ import annotations

import numpy as np
import pytest

from mmdemo.core.config import Settings
from mmdemo.services.embedding_map import EmbeddingMaps, umap_layout
from mmdemo.services.search import GallerySearch
from mmdemo.serving import ModelServer
from tests.support.galleries import make_gallery, write_photos

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clustered():
    rng = np.random.default_rng(4)
    centres = np.eye(32)[:3] * 3.0
    data = np.concatenate([c + 0.3 * rng.normal(size=(25, 32)) for c in centres])
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    return data.astype(np.float32), np.repeat([0, 1, 2], 25)


@pytest.fixture(scope="module")
def layout(clustered):
    return umap_layout(clustered[0])


def test_umap_keeps_clusters_apart(clustered, layout):
    _, labels = clustered
    assert layout.shape == (75, 2) and np.isfinite(layout).all()
    distances = np.linalg.norm(layout[:, None] - layout[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    same = labels[distances.argmin(axis=1)] == labels
    assert same.mean() >= 0.95


def test_umap_is_seeded(clustered, layout):
    np.testing.assert_allclose(umap_layout(clustered[0]), layout, atol=1e-4)


def test_the_background_job_replaces_pca_with_umap(tmp_path):
    gallery = make_gallery(ModelServer(Settings(preset="tiny")), tmp_path)
    gallery.add_directory(write_photos(tmp_path / "photos"))
    maps = EmbeddingMaps(GallerySearch(gallery), umap_min=2)
    assert maps.map().method == "pca"
    done = maps.map(wait=True)
    assert done.method == "umap" and not done.pending and not done.umap_failed
    assert len(done.points) == len(gallery.index)
    maps.close()
