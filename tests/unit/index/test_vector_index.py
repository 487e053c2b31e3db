"""VectorIndex: exactness, ids, metadata, the HNSW lifecycle, threads and the GPU switch."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

from mmdemo.core.errors import BadInputError
from mmdemo.index import VectorIndex, kernels
from tests.support.vectors import (
    DIM,
    MODEL,
    brute_force,
    clustered,
    hit_ids,
    make_metas,
    unit,
)

# -- search --------------------------------------------------------------------------------


def test_search_is_exact_and_best_first(small, rng):
    index, vectors = small
    queries = rng.standard_normal((5, DIM)).astype(np.float32)
    want_ids, want_scores = brute_force(vectors, np.arange(300), queries, 7)
    results = index.search(queries, 7)
    assert len(results) == 5
    for got, ids, scores in zip(results, want_ids, want_scores, strict=True):
        assert hit_ids(got) == ids.tolist()
        np.testing.assert_allclose([s for _, s in got], scores, atol=1e-5)
        assert all(a[1] >= b[1] for a, b in itertools.pairwise(got))
    assert index.kind == "flat"


def test_exclude_ids_still_returns_k(small):
    index, vectors = small
    query = index.vector(42)
    got = index.search(query, 5, exclude_ids={42, 10_000})  # unknown ids are ignored
    want_ids, _ = brute_force(vectors, np.arange(300), vectors[42:43], 6)
    assert hit_ids(got[0]) == [i for i in want_ids[0].tolist() if i != 42][:5]
    assert len(got[0]) == 5
    assert index.search(query, 1)[0][0][0] == 42


def test_k_is_clamped_and_empty_index_returns_empty_lists(rng):
    index = VectorIndex(DIM, MODEL, use_gpu=False)
    queries = rng.standard_normal((3, DIM))
    assert index.search(queries, 5) == [[], [], []]
    assert index.search(queries[0], 5) == [[]]
    index.add(rng.standard_normal((4, DIM)), make_metas(4))
    assert len(index.search(queries[0], 0)[0]) == 1
    assert len(index.search(queries[0], -3)[0]) == 1
    assert len(index.search(queries[0], 1_000_000)[0]) == 4
    assert len(index.search(queries[0], 10, exclude_ids=[0])[0]) == 3
    assert index.search(queries[0], 10, exclude_ids=[0, 1, 2, 3]) == [[]]
    assert len(index.search(queries[0], 2.0)[0]) == 2  # sliders may send floats
    with pytest.raises(BadInputError):
        index.search(queries[0], "many")


# -- ids, duplicates, metadata ---------------------------------------------------------------


def test_duplicate_sha256_skipped_across_calls_and_within_a_batch(rng):
    index = VectorIndex(DIM, MODEL, use_gpu=False)
    first = make_metas(3)
    assert index.add(rng.standard_normal((3, DIM)), first) == [0, 1, 2]
    batch = [first[1], *make_metas(1, 3), make_metas(1, 3)[0], *make_metas(1, 4)]
    assert index.add(rng.standard_normal((4, DIM)), batch) == [None, 3, None, 4]
    assert len(index) == 5
    assert index.has_hash("img-00000003") and not index.has_hash("img-00000009")
    assert [m.sha256 for m in index.items()] == [f"img-{i:08d}" for i in range(5)]


def test_ids_are_never_reused_after_remove(tmp_path, rng):
    index = VectorIndex(DIM, MODEL, use_gpu=False)
    index.add(rng.standard_normal((5, DIM)), make_metas(5))
    assert index.remove([4, 3, 3, 999, "x"]) == 2
    assert index.remove([4]) == 0
    assert index.add(rng.standard_normal((2, DIM)), make_metas(2, 5)) == [5, 6]
    with pytest.raises(KeyError):
        index.get(4)
    with pytest.raises(KeyError):
        index.vector(3)
    assert [m.id for m in index.items()] == [0, 1, 2, 5, 6]
    assert index.remove([6]) == 1  # the highest id: next_id, not max(id) + 1, must survive
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path, use_gpu=False)
    assert loaded.add(rng.standard_normal((1, DIM)), make_metas(1, 7)) == [7]
    # a removed image may come back: it gets a new id
    assert loaded.add(rng.standard_normal((1, DIM)), make_metas(1, 4)) == [8]


def test_remove_keeps_the_other_vectors_and_results_exact(small, rng):
    index, vectors = small
    gone = list(range(0, 300, 3))
    assert index.remove(gone) == 100
    keep = np.array([i for i in range(300) if i % 3])
    for i in (1, 2, 298):
        np.testing.assert_allclose(index.vector(i), vectors[i], atol=1e-7)
    queries = rng.standard_normal((4, DIM))
    want_ids, _ = brute_force(vectors[keep], keep, queries, 9)
    assert [hit_ids(r) for r in index.search(queries, 9)] == want_ids.tolist()


def test_update_meta_persists(tmp_path, small):
    index, _ = small
    index.update_meta(7, caption="a dog on a beach")
    assert index.get(7).caption == "a dog on a beach"
    index.save(tmp_path)
    assert VectorIndex.load(tmp_path).get(7).caption == "a dog on a beach"
    index.update_meta(7, caption=None)
    assert index.get(7).caption is None
    with pytest.raises(BadInputError, match="colour"):
        index.update_meta(7, colour="red")
    with pytest.raises(BadInputError, match="already has"):
        index.update_meta(7, sha256="img-00000008")
    with pytest.raises(KeyError):
        index.update_meta(12345, caption="x")


def test_added_at_is_filled_in_and_kept(rng):
    index = VectorIndex(DIM, MODEL, use_gpu=False)
    metas = make_metas(2)
    metas[1]["added_at"] = "2024-01-02T03:04:05Z"
    metas[1]["caption"] = "given"
    index.add(rng.standard_normal((2, DIM)), metas)
    assert index.get(0).added_at.endswith("Z") and index.get(0).caption is None
    assert index.get(1).added_at == "2024-01-02T03:04:05Z" and index.get(1).caption == "given"


# -- approximate index -------------------------------------------------------------------------


@pytest.fixture
def approx(rng) -> tuple[VectorIndex, np.ndarray]:
    vectors = clustered(rng, 20_000, 64)
    index = VectorIndex(64, MODEL, approx_threshold=5_000, use_gpu=False)
    index.add(vectors[:5_000], make_metas(5_000))
    assert index.kind == "flat"  # exact while len <= approx_threshold
    index.add(vectors[5_000:], make_metas(15_000, 5_000))
    assert index.kind == "hnsw" and len(index) == 20_000
    return index, vectors


def recall_at_10(index: VectorIndex, vectors, ids, queries, exclude=()) -> float:
    want, _ = brute_force(vectors, ids, queries, 10 + len(exclude))
    got = index.search(queries, 10, exclude_ids=exclude)
    hits = 0
    for row, result in zip(want.tolist(), got, strict=True):
        truth = [i for i in row if i not in exclude][:10]
        assert len(result) == 10
        hits += len(set(truth) & set(hit_ids(result)))
    return hits / (10 * len(queries))


def test_approximate_index_switches_on_and_keeps_recall(approx, rng):
    index, vectors = approx
    queries = unit(vectors[rng.integers(0, 20_000, 200)] + 0.1 * rng.standard_normal((200, 64)))
    assert recall_at_10(index, vectors, np.arange(20_000), queries) >= 0.95
    assert index.stats().kind == "hnsw"


def test_removal_and_exclusion_on_the_approximate_index(tmp_path, approx, rng, monkeypatch):
    index, vectors = approx
    queries = unit(vectors[rng.integers(0, 20_000, 100)] + 0.1 * rng.standard_normal((100, 64)))
    top = {i for r in index.search(queries, 10) for i in hit_ids(r)}
    gone = sorted(top)[: len(top) // 2]  # exactly the items these queries would find
    assert index.remove(gone) == len(gone)
    assert index.kind == "hnsw" and index.stats().extra["tombstones"] == len(gone)
    keep = np.setdiff1d(np.arange(20_000), gone)
    results = index.search(queries, 10, exclude_ids=[int(keep[0])])
    assert all(len(r) == 10 for r in results)
    returned = {i for r in results for i in hit_ids(r)}
    assert not returned & set(gone) and int(keep[0]) not in returned
    assert recall_at_10(index, vectors[keep], keep, queries) >= 0.95

    # the graph (tombstones included) is saved and reused: loading does not rebuild it
    index.save(tmp_path)
    assert VectorIndex.read_manifest(tmp_path)["files"]["faiss_index"].endswith(".faiss")

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the saved HNSW graph should have been used")

    with monkeypatch.context() as patch:
        patch.setattr(kernels, "build_hnsw", no_rebuild)
        loaded = VectorIndex.load(tmp_path, approx_threshold=5_000, use_gpu=False)
    assert loaded.kind == "hnsw" and len(loaded) == len(keep)
    assert loaded.search(queries, 10) == index.search(queries, 10)

    # many tombstones: the graph is rebuilt from the live rows
    more = keep[: len(keep) // 3].tolist()
    index.remove(more)
    assert index.kind == "hnsw" and index.stats().extra["tombstones"] == 0
    live = np.setdiff1d(keep, more)
    assert recall_at_10(index, vectors[live], live, queries) >= 0.95

    # down to the threshold: exact again
    index.remove(live[5_000:].tolist())
    assert index.kind == "flat" and len(index) == 5_000
    want, _ = brute_force(vectors[live[:5_000]], live[:5_000], queries[:5], 10)
    assert [hit_ids(r) for r in index.search(queries[:5], 10)] == want.tolist()


# -- threads, GPU ----------------------------------------------------------------------------


def test_concurrent_add_and_search(rng):
    index = VectorIndex(DIM, MODEL, approx_threshold=1_700, use_gpu=False)
    index.add(rng.standard_normal((500, DIM)), make_metas(500))
    errors: list[BaseException] = []
    done = threading.Event()

    def writer(w: int) -> None:
        local = np.random.default_rng(w)
        try:
            for b in range(20):
                start = 1_000_000 * (w + 1) + 20 * b
                index.add(local.standard_normal((20, DIM)), make_metas(20, start))
        except BaseException as err:
            errors.append(err)

    def reader() -> None:
        local = np.random.default_rng(99)
        try:
            while not done.is_set():
                n = len(index)
                results = index.search(local.standard_normal((2, DIM)), 10, exclude_ids=[0])
                assert all(len(r) == 10 for r in results) and n >= 500
                assert all(i != 0 for r in results for i in hit_ids(r))
        except BaseException as err:
            errors.append(err)

    readers = [threading.Thread(target=reader) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    for t in readers:
        t.join()
    assert not errors, errors
    assert len(index) == 1_700 and index.kind == "flat"
    items = index.items()
    assert [m.id for m in items] == list(range(1_700))
    assert len({m.sha256 for m in items}) == 1_700
    index.add(rng.standard_normal((1, DIM)), make_metas(1, prefix="last"))
    assert index.kind == "hnsw"  # crossed the threshold


def test_use_gpu_without_a_gpu_still_works(rng):
    import faiss

    index = VectorIndex(DIM, MODEL, use_gpu=True)
    assert index.on_gpu == (faiss.get_num_gpus() > 0)
    index.add(rng.standard_normal((10, DIM)), make_metas(10))
    assert len(index.search(rng.standard_normal(DIM), 3)[0]) == 3
    stats = index.stats("somewhere")
    assert (stats.count, stats.dim, stats.model_id, stats.directory) == (
        10,
        DIM,
        MODEL,
        "somewhere",
    )
