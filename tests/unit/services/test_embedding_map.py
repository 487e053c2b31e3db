"""The embedding map: PCA exact on known data, k-means and names, the cache, the background
layout, sampling, queries placed into the map, and a visitor's uploads seen only by them.

The service runs on the tiny preset's embedder (random weights: shapes and behaviour, not
meaning). The background layout here is a gated PCA (the threading is what is checked, and a
gate makes "still computing" observable); real UMAP runs once in test_embedding_map_umap.py.
"""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.services.embedding_map import (
    EmbeddingMaps,
    Layout,
    cluster_count,
    cluster_name,
    kmeans,
    name_clusters,
    pca_basis,
    pca_project,
    sample_rows,
)
from mmdemo.services.gallery import Gallery
from mmdemo.services.map_labels import LABELS
from mmdemo.services.search import GallerySearch
from mmdemo.services.visitors import VisitorGalleries
from mmdemo.serving import ModelServer
from tests.support.galleries import make_gallery, write_photos
from tests.support.images import write_test_image


@pytest.fixture(scope="module")
def server():
    return ModelServer(Settings(preset="tiny"))


@pytest.fixture
def gallery(server, tmp_path):
    gallery = make_gallery(server, tmp_path)
    gallery.add_directory(write_photos(tmp_path / "photos"))
    return gallery


# -- pure pieces --------------------------------------------------------------------------------
def test_pca_recovers_the_known_axes_and_projects_exactly():
    # two orthogonal zero-mean patterns: spread 3 along e0 and 1 along e2, nothing else
    a = 3.0 * np.tile([1.0, -1.0, 2.0, -2.0], 50)
    b = np.tile([1.0, 1.0, -1.0, -1.0], 50)
    data = np.zeros((200, 5))
    data[:, 0], data[:, 2] = a, b
    data += np.array([1.0, 2.0, 3.0, 4.0, 5.0])  # an offset the mean must remove
    mean, components = pca_basis(data)
    np.testing.assert_allclose(mean, data.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(np.abs(components), np.eye(5)[[0, 2]], atol=1e-9)
    assert components[0, 0] > 0 and components[1, 2] > 0  # the sign is fixed, not random
    xy = pca_project(data, mean, components)
    np.testing.assert_allclose(xy[:, 0], a - a.mean(), atol=1e-4)
    np.testing.assert_allclose(xy[:, 1], b - b.mean(), atol=1e-4)
    # a new point projects by the same formula, exactly
    new = np.array([[10.0, 0.0, -7.0, 4.0, 5.0]])
    np.testing.assert_allclose(pca_project(new, mean, components)[0], [10 - mean[0], -7 - mean[2]])
    # the same data gives the same picture, whatever its row order
    _, again = pca_basis(data[::-1])
    np.testing.assert_allclose(again, components, atol=1e-9)


@pytest.mark.parametrize("shape", [(40, 6), (6, 40)])  # more rows than columns, and fewer
def test_pca_agrees_with_the_svd_either_way_round(shape):
    data = np.random.default_rng(2).normal(size=shape) * np.linspace(3, 1, shape[1])
    _, components = pca_basis(data)
    _, _, vt = np.linalg.svd(data - data.mean(axis=0), full_matrices=False)
    np.testing.assert_allclose(np.abs(components), np.abs(vt[:2]), atol=1e-8)


def test_pca_of_one_point_is_the_origin():
    mean, components = pca_basis(np.ones((1, 4)))
    assert np.all(pca_project(np.ones((1, 4)), mean, components) == 0)


def test_kmeans_separates_clear_clusters_and_names_them_without_repeats():
    rng = np.random.default_rng(1)
    centres = np.eye(8)[:3]
    data = np.concatenate([c + 0.05 * rng.normal(size=(30, 8)) for c in centres])
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    centroids, assign = kmeans(data, 3, seed=0)
    groups = [set(assign[i * 30 : (i + 1) * 30].tolist()) for i in range(3)]
    assert all(len(g) == 1 for g in groups) and len(set().union(*groups)) == 3
    # labels: 0 and 1 both point at cluster 0's centre; 2 at cluster 1's; 3 at cluster 2's
    labels = np.stack([centres[0], centres[0] + 0.6 * np.eye(8)[7], centres[1], centres[2]])
    labels /= np.linalg.norm(labels, axis=1, keepdims=True)
    names = name_clusters(data, assign, centroids, labels)
    chosen = {assign[i * 30]: names[assign[i * 30]][0] for i in range(3)}
    assert chosen == {assign[0]: 0, assign[30]: 2, assign[60]: 3}
    assert all(share == 1.0 for _, share, _ in names)
    # two clusters closest to the same label: the second gets another one
    twins = name_clusters(data, np.repeat([0, 1, 1], 30), centroids[:2], labels[:2])
    assert len({label for label, _, _ in twins}) == 2


def test_a_cluster_without_a_clear_majority_is_named_mixed():
    assert cluster_name(0, 1.0, 1, 5) == LABELS[0]
    en, zh = cluster_name(0, 0.2, 1, 5)
    assert en == f"mixed: {LABELS[0][0]}, {LABELS[1][0]}"
    assert zh == f"混合：{LABELS[0][1]}、{LABELS[1][1]}"
    assert cluster_name(0, 0.2, 1, 2) == LABELS[0]  # two photos: one label is fair


def test_cluster_count_and_sampling_are_bounded():
    assert [cluster_count(n) for n in (1, 2, 16, 200, 100_000)] == [1, 1, 3, 10, 12]
    assert list(sample_rows(5, 10, seed=3)) == [0, 1, 2, 3, 4]
    rows = sample_rows(10_000, 300, seed=3)
    assert len(rows) == len(set(rows.tolist())) == 300 and list(rows) == sorted(rows)
    assert np.array_equal(rows, sample_rows(10_000, 300, seed=3))  # seeded


# -- the service --------------------------------------------------------------------------------
def test_the_map_draws_every_image_with_its_thumbnail_and_named_clusters(gallery):
    maps = EmbeddingMaps(GallerySearch(gallery))
    result = maps.map()
    ids = {m.id for m in gallery.index.items()}
    assert result.method == "pca" and not result.pending and not result.sampled
    assert {p.id for p in result.points} == ids and result.total == result.drawn == len(ids)
    assert all(p.thumbnail and p.thumbnail.endswith("-384.jpg") for p in result.points)
    assert all(np.isfinite([p.x, p.y]).all() for p in result.points)
    english = {en: zh for en, zh in LABELS}
    assert len(result.clusters) == cluster_count(len(ids))
    for cluster in result.clusters:
        first = cluster.name.removeprefix("mixed: ").split(", ")[0]
        assert first in english and english[first] in cluster.name_zh
    assert len({c.name for c in result.clusters}) == len(result.clusters)
    assert sum(c.size for c in result.clusters) == len(ids)
    shown = json.dumps(result.to_json())
    assert "/" not in shown.replace(result.model_id, "")  # names, never server paths


def test_the_map_is_cached_and_recomputed_when_the_gallery_changes(gallery, tmp_path):
    maps = EmbeddingMaps(GallerySearch(gallery))
    first, _ = maps.layout()
    assert maps.layout()[0] is first  # the same version: the cached layout
    report = gallery.add_files([write_test_image(tmp_path / "new.png", color=(5, 99, 180))])
    (new_id,) = report.added_ids
    added, _ = maps.layout()
    assert added is not first and new_id in added.ids.tolist()
    assert new_id in {p.id for p in maps.map().points}
    gallery.remove([new_id])
    removed, _ = maps.layout()
    assert new_id not in removed.ids.tolist()
    np.testing.assert_array_equal(removed.ids, first.ids)  # the same items as before
    gallery.reset(to_default=False)
    assert maps.map().total == 0 and maps.map().points == ()


def test_a_large_gallery_is_sampled_to_the_cap(gallery):
    maps = EmbeddingMaps(GallerySearch(gallery), max_drawn=3)
    result = maps.map()
    assert result.sampled and result.drawn == 3 and result.total == len(gallery.index)
    assert "random sample" in result.message


def test_the_slow_layout_runs_in_the_background_and_replaces_pca_when_done(gallery):
    gate, calls = threading.Event(), []

    def gated_layout(vectors):
        calls.append(threading.current_thread().name)
        assert gate.wait(30)
        mean, components = pca_basis(vectors)
        return pca_project(vectors, mean, components) * 2.0  # recognisably not the PCA one

    maps = EmbeddingMaps(GallerySearch(gallery), umap_min=2, slow_layout=gated_layout)
    early = maps.map()  # returns at once, while the gate holds the slow layout
    assert early.method == "pca" and early.pending and "PCA meanwhile" in early.message
    assert maps.map().pending  # the same job, not a second one
    gate.set()
    done = maps.map(wait=True)
    assert done.method == "umap" and not done.pending
    assert len(calls) == 1 and calls[0].startswith("embedding-map")
    before = {p.id: (p.x, p.y) for p in early.points}
    for point in done.points:
        assert (point.x, point.y) == pytest.approx(tuple(2.0 * v for v in before[point.id]))
    assert [p.cluster for p in done.points] == [p.cluster for p in early.points]
    maps.close()


def test_a_failed_slow_layout_leaves_pca_and_says_so(gallery):
    def broken(vectors):
        raise RuntimeError("numba said no")

    maps = EmbeddingMaps(GallerySearch(gallery), umap_min=2, slow_layout=broken)
    result = maps.map(wait=True)
    assert result.method == "pca" and not result.pending and result.umap_failed
    assert "UMAP failed" in result.message
    assert not maps.map().pending  # not retried on every request
    maps.close()


def test_a_small_gallery_never_starts_the_slow_layout(gallery):
    def never(vectors):
        raise AssertionError("UMAP ran for a gallery below umap_min")

    maps = EmbeddingMaps(GallerySearch(gallery), umap_min=1000, slow_layout=never)
    assert maps.map(wait=True).method == "pca"


def test_a_text_query_lands_with_its_nearest_photos(gallery):
    maps = EmbeddingMaps(GallerySearch(gallery))
    result, found = maps.query_text("a red square", k=3)
    assert result.query.kind == "text" and result.query.query == "a red square"
    assert result.query.nearest == tuple(h.id for h in found.hits) and len(found.hits) == 3
    assert set(result.query.nearest) <= {p.id for p in result.points}
    assert np.isfinite([result.query.x, result.query.y]).all()


def test_a_photo_of_the_gallery_lands_on_its_own_point(gallery):
    """PCA places a query exactly: the photo's own vector projects onto its own point."""
    maps = EmbeddingMaps(GallerySearch(gallery))
    meta = gallery.index.items()[2]
    result, found = maps.query_image(Image.open(meta.path), name="again.png")
    assert found.hits[0].id == meta.id and result.query.query == "again.png"
    own = next(p for p in result.points if p.id == meta.id)
    assert (result.query.x, result.query.y) == pytest.approx((own.x, own.y), abs=1e-3)


def test_on_a_umap_map_a_new_point_goes_to_its_nearest_neighbours():
    """UMAP has no formula to project by: a point goes to the similarity-weighted mean of
    its closest drawn points (the closest dominating), so a copy lands on its original."""
    vectors = np.eye(6, dtype=np.float32)
    xy = np.array([[0, 0], [10, 0], [0, 10], [10, 10], [5, 5], [-5, 3]], dtype=np.float32)
    layout = Layout(
        key=(),
        method="umap",
        ids=np.arange(6),
        xy=xy,
        vectors=vectors,
        mean=np.zeros(6),
        components=np.zeros((2, 6)),
        assign=np.zeros(6, dtype=np.int64),
        centroids=vectors[:1],
        names=((0, 1.0, 1),),
        total=6,
    )
    np.testing.assert_allclose(layout.place(vectors[3]), [[10, 10]], atol=1e-3)
    between = (vectors[1] + vectors[2]) / np.sqrt(2)
    np.testing.assert_allclose(layout.place(between), [[5, 5]], atol=1e-3)
    assert layout.place(vectors).shape == (6, 2)


def test_a_visitors_uploads_are_in_their_map_only(server, tmp_path):
    default = tmp_path / "default"
    for i in range(4):
        write_test_image(default / f"base{i}.png", color=(50 * i, 180, 90))
    settings = Settings(
        preset="tiny", index_dir=tmp_path / "index", gallery_dir=default, gallery_mode="per-visitor"
    )
    base = Gallery(server, settings)
    visitors = VisitorGalleries(server, base)
    upload = write_test_image(tmp_path / "up" / "mine.png", color=(250, 20, 20))
    (mine,) = visitors.add("alice", [str(upload)]).added_ids
    maps = EmbeddingMaps(GallerySearch(base))
    alice = maps.map(visitors.overlay("alice"))
    bob = maps.map(visitors.overlay("bob"))
    nobody = maps.map()
    assert mine in {p.id for p in alice.points if p.mine}
    assert next(p for p in alice.points if p.id == mine).thumbnail  # their own thumbnail
    assert mine not in {p.id for p in bob.points} | {p.id for p in nobody.points}
    assert alice.total == nobody.total + 1 == bob.total + 1
    assert {p.id for p in nobody.points} == {m.id for m in base.index.items()}
    found, _ = maps.query_image(Image.open(upload), visitors.overlay("alice"))
    assert found.query.nearest[0] == mine
