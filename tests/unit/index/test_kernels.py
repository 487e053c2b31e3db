"""Search kernels and builders, against a numpy brute force."""

from __future__ import annotations

import numpy as np
import pytest

from mmdemo.index import VectorIndex, kernels, runtime
from tests.support.vectors import DIM, MODEL, brute_force, hit_ids, make_metas, unit


@pytest.mark.parametrize("nq", [1, 3, VectorIndex.BLAS_MIN_QUERIES + 4])
def test_parallel_scan_and_blas_paths_match_brute_force(monkeypatch, rng, nq):
    # small chunks force the multi-task scan; nq >= BLAS_MIN_QUERIES takes faiss's sgemm path
    monkeypatch.setattr(VectorIndex, "SCAN_MIN_ROWS_PER_TASK", 100)
    monkeypatch.setattr(runtime, "cpu_count", lambda: 4)
    vectors = rng.standard_normal((5000, DIM)).astype(np.float32)
    index = VectorIndex(DIM, MODEL, use_gpu=False)
    index.add(vectors, make_metas(5000))
    queries = rng.standard_normal((nq, DIM)).astype(np.float32)
    assert "16 chunk(s) on 4 thread(s)" in index._search_path(1)
    for k in (1, 10, 250):
        want_ids, want_scores = brute_force(vectors, np.arange(5000), queries, k)
        results = index.search(queries, k)
        assert [hit_ids(r) for r in results] == want_ids.tolist()
        np.testing.assert_allclose([[s for _, s in r] for r in results], want_scores, atol=1e-5)


def test_scan_breaks_ties_by_the_lower_row_across_chunks(monkeypatch, rng):
    monkeypatch.setattr(runtime, "cpu_count", lambda: 4)
    base = unit(rng.standard_normal((50, DIM)))
    view = np.ascontiguousarray(np.tile(base, (8, 1)))  # every score appears 8 times
    query = unit(rng.standard_normal(DIM))
    rows, scores = kernels.scan(view, query, 20, min_rows_per_task=30)  # 14 chunks
    want = np.lexsort((np.arange(len(view)), -(view @ query)))[:20]
    assert rows.tolist() == want.tolist()
    np.testing.assert_allclose(scores, (view @ query)[want], atol=1e-6)


def test_builders_hold_the_vectors_they_were_given(rng):
    vectors = unit(rng.standard_normal((300, DIM)))
    flat = kernels.build_flat(vectors, DIM)
    np.testing.assert_array_equal(kernels.vectors_view(flat), vectors)
    assert kernels.vectors_view(kernels.build_flat(vectors[:0], DIM)).shape == (0, DIM)
    graph = kernels.build_hnsw(vectors, DIM, m=8, ef_construction=40, ef_search=64)
    np.testing.assert_array_equal(kernels.vectors_view(graph), vectors)
    assert graph.hnsw.efSearch == 64


def test_live_bitmap_marks_live_rows_and_without_rows_clears_a_copy():
    alive = np.array([1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0], dtype=bool)
    bits = kernels.live_bitmap(alive)
    assert np.unpackbits(bits, bitorder="little")[: len(alive)].tolist() == alive.tolist()
    fewer = kernels.without_rows(bits, np.array([2, 9]))
    expected = alive.copy()
    expected[[2, 9]] = False
    assert np.unpackbits(fewer, bitorder="little")[: len(alive)].tolist() == expected.tolist()
    assert np.unpackbits(bits, bitorder="little")[: len(alive)].tolist() == alive.tolist()


def test_masked_exact_never_returns_dead_or_excluded_rows(rng):
    view = unit(rng.standard_normal((40, DIM)))
    query = view[7]
    alive = np.ones(40, dtype=bool)
    alive[[3, 7]] = False
    rows, scores = kernels.masked_exact(view, query, 5, alive, np.array([11]))
    scores_all = view @ query
    scores_all[[3, 7, 11]] = -np.inf
    want = np.argsort(-scores_all, kind="stable")[:5]
    assert rows.tolist() == want.tolist()
    np.testing.assert_allclose(scores, scores_all[want])


def test_hits_skip_padding_dead_rows_and_excluded_ids():
    rows = np.array([[4, -1, 1, 2, 0], [0, 3, 2, 1, 4]])
    scores = np.arange(10, dtype=np.float32).reshape(2, 5)
    alive = np.array([True, False, True, True, True])
    row_ids = np.array([10, 11, 12, 13, 14])
    got = kernels.hits(rows, scores, 2, alive=alive, row_ids=row_ids, excluded={14})
    assert got == [[(12, 3.0), (10, 4.0)], [(10, 5.0), (13, 6.0)]]


def test_flat_search_path_names_the_kernel(monkeypatch):
    monkeypatch.setattr(runtime, "cpu_count", lambda: 2)
    path = kernels.flat_search_path
    assert "GPU" in path(1, 10, DIM, on_gpu=True, blas_min_queries=16, min_rows_per_task=100)
    blas = path(16, 10, DIM, on_gpu=False, blas_min_queries=16, min_rows_per_task=100)
    assert f"blas_threshold <= {16 * DIM}" in blas
    scan = path(1, 1000, DIM, on_gpu=False, blas_min_queries=16, min_rows_per_task=200)
    assert "5 chunk(s) on 2 thread(s)" in scan  # 200-row chunks: more than 1000 / (4 * 2)
