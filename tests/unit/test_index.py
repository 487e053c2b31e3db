"""Unit tests for mmdemo.index.VectorIndex: exactness, ids, persistence, HNSW, threads.

Small synthetic data only (the whole file runs in seconds on 2 cores). Expected results
come from a numpy brute force, never from the index itself.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from mmdemo import index as index_mod
from mmdemo.errors import BadInputError, IndexCorruptError, IndexMismatchError
from mmdemo.index import VectorIndex

MODEL = "open_clip:ViT-B-32/laion2b_s34b_b79k"
OTHER_MODEL = "open_clip:ViT-L-14/openai"
DIM = 32


def make_metas(n: int, start: int = 0, prefix: str = "img") -> list[dict]:
    return [
        {
            "path": f"/photos/{prefix}{i}.jpg",
            "sha256": f"{prefix}-{i:08d}",
            "size_bytes": 1000 + i,
            "width": 640,
            "height": 480,
        }
        for i in range(start, start + n)
    ]


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def brute_force(vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int):
    """Exact top-k (ids, scores) per query by numpy, best first."""
    scores = unit(queries) @ unit(vectors).T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return ids[order], np.take_along_axis(scores, order, axis=1)


def clustered(rng: np.random.Generator, n: int, dim: int, clusters: int = 200) -> np.ndarray:
    centres = rng.standard_normal((clusters, dim))
    x = centres[rng.integers(0, clusters, n)] + 0.35 * rng.standard_normal((n, dim))
    return unit(x)


def hit_ids(result: list[tuple[int, float]]) -> list[int]:
    return [item_id for item_id, _ in result]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


@pytest.fixture
def small(rng) -> tuple[VectorIndex, np.ndarray]:
    vectors = rng.standard_normal((300, DIM)).astype(np.float32)
    index = VectorIndex(DIM, MODEL, use_gpu=False)
    assert index.add(vectors, make_metas(300)) == list(range(300))
    return index, unit(vectors)


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


@pytest.mark.parametrize("nq", [1, 3, VectorIndex.BLAS_MIN_QUERIES + 4])
def test_parallel_scan_and_blas_paths_match_brute_force(monkeypatch, rng, nq):
    # small chunks force the multi-task scan; nq >= BLAS_MIN_QUERIES takes faiss's sgemm path
    monkeypatch.setattr(VectorIndex, "SCAN_MIN_ROWS_PER_TASK", 100)
    monkeypatch.setattr(index_mod, "_cpu_count", lambda: 4)
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


def test_non_normalised_input_is_normalised(rng):
    raw = 7.5 * rng.standard_normal((20, DIM))
    before = raw.copy()
    index = VectorIndex(DIM, MODEL, use_gpu=False)
    index.add(raw, make_metas(20))  # float64 in: cast to float32 and normalised
    np.testing.assert_array_equal(raw, before)  # the caller's array is not modified
    for i in (0, 19):
        stored = index.vector(i)
        assert stored.dtype == np.float32
        assert abs(float(np.linalg.norm(stored)) - 1.0) < 1e-6
        np.testing.assert_allclose(stored, unit(raw[i]), atol=1e-6)
    item_id, score = index.search(100.0 * raw[3], 1)[0][0]
    assert item_id == 3 and score == pytest.approx(1.0, abs=1e-5)


def test_bad_input_is_refused_and_leaves_the_index_unchanged(rng):
    index = VectorIndex(DIM, MODEL, use_gpu=False)
    index.add(rng.standard_normal((2, DIM)), make_metas(2))
    zero = rng.standard_normal((3, DIM))
    zero[1] = 0.0
    cases = [
        (zero, make_metas(3, 10), "zero"),
        (rng.standard_normal((2, DIM + 1)), make_metas(2, 10), f"{DIM}-dimensional"),
        (rng.standard_normal((2, DIM)), make_metas(3, 10), "pair up"),
        (np.full((1, DIM), np.nan), make_metas(1, 10), "NaN"),
        (rng.standard_normal((1, DIM)), [{"path": "x.jpg"}], "sha256"),
    ]
    for vectors, metas, words in cases:
        with pytest.raises(BadInputError, match=words):
            index.add(vectors, metas)
    assert len(index) == 2 and index._next_id == 2
    with pytest.raises(BadInputError, match=MODEL):
        index.search(rng.standard_normal(DIM + 1), 3)
    with pytest.raises(BadInputError, match="zero"):
        index.search(np.zeros(DIM), 3)


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


# -- persistence -----------------------------------------------------------------------------


def test_save_load_round_trip(tmp_path, small, rng):
    index, _ = small
    index.remove([5, 6])
    index.update_meta(9, caption="nine")
    queries = rng.standard_normal((6, DIM))
    before = index.search(queries, 8, exclude_ids=[9])
    assert not VectorIndex.exists(tmp_path)
    index.save(tmp_path)
    assert VectorIndex.exists(tmp_path)

    loaded = VectorIndex.load(tmp_path, expected_model_id=MODEL, expected_dim=DIM, use_gpu=False)
    assert len(loaded) == 298 and loaded.model_id == MODEL and loaded.dim == DIM
    assert loaded.items() == index.items()
    assert loaded.search(queries, 8, exclude_ids=[9]) == before  # same ids, same scores
    np.testing.assert_array_equal(loaded.vector(299), index.vector(299))

    manifest = VectorIndex.read_manifest(tmp_path)
    assert manifest["format_version"] == 1 and manifest["count"] == 298
    assert manifest["next_id"] == 300 and manifest["kind"] == "flat"
    assert manifest["metric"] == "inner_product" and manifest["normalized"] is True
    assert {"faiss_version", "created_at", "updated_at"} <= manifest.keys()
    files = manifest["files"]
    assert sorted(os.listdir(tmp_path)) == sorted(["manifest.json", *files.values()])
    ids = np.load(tmp_path / files["ids"], allow_pickle=False)
    assert ids.dtype == np.int64 and ids.tolist() == [m.id for m in index.items()]
    lines = (tmp_path / files["metadata"]).read_text(encoding="utf-8").splitlines()
    by_id = {item["id"]: item for item in map(json.loads, lines)}
    assert len(by_id) == 298 and by_id[9]["caption"] == "nine" and by_id[8]["caption"] is None

    index.add(rng.standard_normal((1, DIM)), make_metas(1, 300))
    index.save(tmp_path)  # the previous generation's files are deleted
    new_files = VectorIndex.read_manifest(tmp_path)["files"]
    assert sorted(os.listdir(tmp_path)) == sorted(["manifest.json", *new_files.values()])
    assert len(VectorIndex.load(tmp_path)) == 299


def test_created_at_survives_saves(tmp_path, small):
    index, _ = small
    index.save(tmp_path)
    created = VectorIndex.read_manifest(tmp_path)["created_at"]
    loaded = VectorIndex.load(tmp_path)
    loaded.save(tmp_path)
    assert VectorIndex.read_manifest(tmp_path)["created_at"] == created


def test_manifest_from_another_model_is_refused(tmp_path, small):
    index, _ = small
    index.save(tmp_path)
    with pytest.raises(IndexMismatchError) as err:
        VectorIndex.load(tmp_path, expected_model_id=OTHER_MODEL)
    assert MODEL in str(err.value) and OTHER_MODEL in str(err.value)
    with pytest.raises(IndexMismatchError) as err:
        VectorIndex.load(tmp_path, expected_model_id=MODEL, expected_dim=768)
    assert f"dim {DIM}" in str(err.value) and "dim 768" in str(err.value)
    assert len(VectorIndex.load(tmp_path, expected_model_id=MODEL, expected_dim=DIM)) == 300


def _manifest_edit(**changes):
    def edit(directory):
        path = directory / "manifest.json"
        manifest = json.loads(path.read_text())
        manifest.update(changes)
        path.write_text(json.dumps(manifest))

    return edit


def _file(key, action):
    def edit(directory):
        path = directory / VectorIndex.read_manifest(directory)["files"][key]
        action(path)

    return edit


def _rewrite_metadata(transform):
    def action(path):
        lines = path.read_text().splitlines()
        path.write_text("\n".join(transform(lines)) + "\n")

    return _file("metadata", action)


def _swap_id(lines):
    item = json.loads(lines[3])
    item["id"] = 12345
    return [*lines[:3], json.dumps(item), *lines[4:]]


CORRUPTIONS = {
    "manifest missing": lambda d: (d / "manifest.json").unlink(),
    "manifest not json": lambda d: (d / "manifest.json").write_text("{not json"),
    "manifest not an object": lambda d: (d / "manifest.json").write_text("[1, 2]"),
    "format_version 2": _manifest_edit(format_version=2),
    "count mismatch": _manifest_edit(count=301),
    "metric changed": _manifest_edit(metric="l2"),
    "file name leaves the folder": _manifest_edit(
        files={"vectors": "../vectors.npy", "ids": "ids.npy", "metadata": "m.jsonl"}
    ),
    "vectors missing": _file("vectors", lambda p: p.unlink()),
    "ids missing": _file("ids", lambda p: p.unlink()),
    "metadata missing": _file("metadata", lambda p: p.unlink()),
    "vectors truncated": _file("vectors", lambda p: p.write_bytes(p.read_bytes()[:-100])),
    "vectors wrong shape": _file("vectors", lambda p: np.save(p, np.ones((300, 7), np.float32))),
    "vectors not unit length": _file(
        "vectors", lambda p: np.save(p, np.full((300, DIM), 3.0, np.float32))
    ),
    "vectors not npy": _file("vectors", lambda p: p.write_bytes(b"garbage" * 100)),
    "ids not int64": _file("ids", lambda p: np.save(p, np.arange(300, dtype=np.float64))),
    "ids pickled objects": _file("ids", lambda p: np.save(p, np.array([{}] * 300), True)),
    "metadata bad json": _rewrite_metadata(lambda lines: [*lines[:5], "{oops", *lines[6:]]),
    "metadata lacks an item": _rewrite_metadata(lambda lines: lines[:-1]),
    "metadata other ids": _rewrite_metadata(_swap_id),
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_corrupt_or_missing_files_raise_index_corrupt_error(tmp_path, small, corruption):
    index, _ = small
    index.save(tmp_path)
    assert len(VectorIndex.load(tmp_path)) == 300  # intact before the damage
    CORRUPTIONS[corruption](tmp_path)
    with pytest.raises(IndexCorruptError) as err:
        VectorIndex.load(tmp_path, expected_model_id=MODEL)
    assert str(tmp_path) in str(err.value)


def _fail_on_call(monkeypatch, name: str, call: int):
    real = getattr(index_mod, name)
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            raise OSError(f"simulated crash in {name}")
        return real(*args, **kwargs)

    monkeypatch.setattr(index_mod, name, flaky)


@pytest.mark.parametrize(
    "where",
    ["second data file", "metadata file", "manifest tmp file", "manifest replace"],
)
def test_interrupted_save_leaves_the_previous_index_loadable(tmp_path, monkeypatch, small, where):
    index, _ = small
    index.save(tmp_path)
    old_items = index.items()
    query = index.vector(1)
    old_hits = index.search(query, 10)
    old_files = sorted(os.listdir(tmp_path))

    index.remove([1, 2, 3])
    index.add(np.ones((1, DIM)), make_metas(1, 900))
    index.update_meta(0, caption="changed")
    if where == "second data file":
        _fail_on_call(monkeypatch, "_write_npy", 2)
    elif where == "metadata file":
        _fail_on_call(monkeypatch, "_write_lines", 1)
    elif where == "manifest tmp file":
        _fail_on_call(monkeypatch, "_write_lines", 2)
    else:

        def no_replace(*args, **kwargs):
            raise OSError("simulated crash before the rename")

        monkeypatch.setattr(index_mod.os, "replace", no_replace)
    with pytest.raises(OSError, match="simulated"):
        index.save(tmp_path)
    monkeypatch.undo()

    loaded = VectorIndex.load(tmp_path, expected_model_id=MODEL)
    assert loaded.items() == old_items
    assert loaded.search(query, 10) == old_hits
    assert sorted(os.listdir(tmp_path)) == old_files  # the half-written generation is gone

    index.save(tmp_path)  # and the next save works
    assert len(VectorIndex.load(tmp_path)) == len(index) == 298


def test_load_follows_a_save_that_replaced_the_files_meanwhile(tmp_path, small, monkeypatch):
    index, _ = small
    index.save(tmp_path)
    real = VectorIndex._from_files.__func__
    calls = {"n": 0}

    def racing(cls, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:  # another writer saves between our manifest read and file reads
            index.remove([0])
            index.save(tmp_path)
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(VectorIndex, "_from_files", classmethod(racing))
    loaded = VectorIndex.load(tmp_path)
    assert calls["n"] == 2 and len(loaded) == 299


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

    def no_rebuild(self, *args, **kwargs):
        raise AssertionError("the saved HNSW graph should have been used")

    with monkeypatch.context() as patch:
        patch.setattr(VectorIndex, "_build_hnsw", no_rebuild)
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


def test_large_saved_index_without_graph_is_rebuilt_as_hnsw(tmp_path, rng):
    vectors = clustered(rng, 3_000, DIM)
    index = VectorIndex(DIM, MODEL, use_gpu=False)  # exact when saved
    index.add(vectors, make_metas(3_000))
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path, approx_threshold=1_000, use_gpu=False)
    assert loaded.kind == "hnsw" and len(loaded) == 3_000
    np.testing.assert_array_equal(loaded.vector(2_999), index.vector(2_999))


# -- threads, GPU, import cost ---------------------------------------------------------------


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


def test_importing_the_module_does_not_import_faiss():
    code = "import sys, mmdemo.index; print('faiss' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
