"""Index types (flat, fastscan, sq8, fp16, HNSW, IVF-PQ): each builds, saves, loads, searches and
removes,
with recall@10 against exact search measured at build time and kept in the manifest.

Small clustered synthetic vectors (``tests/support/vectors.clustered``); expected hits come
from the numpy brute force, never from the index itself.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from mmdemo.index import VectorIndex, recall, runtime, storage, types
from tests.support.vectors import MODEL, brute_force, clustered, hit_ids, make_metas

DIM = 64  # divisible by the PQ code size
N = 3000

# limits that put N items in each type
LIMITS = {
    "flat": {},
    "fastscan": {"compact_threshold": 100, "approx_threshold": 10_000},
    # a budget under fastscan's 144 bytes per vector (64-d) but over sq8's 64
    "sq8": {"compact_threshold": 100, "approx_threshold": 10_000, "memory_budget_bytes": 300_000},
    "hnsw": {"approx_threshold": 100},
    "ivfpq": {"approx_threshold": 100, "ivfpq_threshold": 1000},
}


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return clustered(np.random.default_rng(7), N, DIM, clusters=50)


# IVF-PQ's k-means + PQ training takes ~30 s on the shared 2-core machine: opt in with -m slow
TYPES = ["flat", "fastscan", "sq8", "hnsw", pytest.param("ivfpq", marks=pytest.mark.slow)]


@pytest.fixture(scope="module")
def built(data):
    """One index per type, built on first use."""
    cache: dict[str, VectorIndex] = {}

    def get(name: str) -> VectorIndex:
        if name not in cache:
            cache[name] = VectorIndex(DIM, MODEL, use_gpu=False, **LIMITS[name])
            cache[name].add(data, make_metas(N))
        return cache[name]

    return get


def _recall(index: VectorIndex, data: np.ndarray, queries: np.ndarray) -> float:
    ids = np.arange(len(data))
    truth, _ = brute_force(data, ids, queries, 10)
    found = [hit_ids(r) for r in index.search(queries, 10)]
    return float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)]))


def test_choose_follows_size_and_budget():
    kw = {"approx_threshold": 50_000, "compact_threshold": 10_000, "ivfpq_threshold": 5_000_000}
    assert types.choose(5_000, 512, **kw) == "flat"
    assert types.choose(20_000, 512, **kw) == "fastscan"
    assert types.choose(20_000, 512, **kw, compact_type="sq8") == "sq8"
    assert types.choose(20_000, 50, **kw) == "sq8"  # 50 dims do not split into 4-bit codes
    assert types.choose(100_000, 512, **kw) == "hnsw"
    assert types.choose(6_000_000, 512, **kw) == "ivfpq"
    assert types.choose(20_000, 512, approx_threshold=50_000) == "flat"  # no compact range
    # 20k x 512 fp32 = 41 MB does not fit 30 MB: fastscan (23 MB) does; in 20 MB only sq8 (10 MB)
    assert (
        types.choose(20_000, 512, approx_threshold=50_000, memory_budget_bytes=30e6) == "fastscan"
    )
    assert types.choose(20_000, 512, approx_threshold=50_000, memory_budget_bytes=20e6) == "sq8"
    assert types.bytes_per_vector("fastscan", 512) == 2 * 512 + 128
    # 1 M HNSW (2.3 GB) over a 1 GB budget: IVF-PQ
    assert types.choose(10**6, 512, approx_threshold=50_000, memory_budget_bytes=1e9) == "ivfpq"
    assert types.choose(10**6, 500, approx_threshold=50_000, ivfpq_threshold=1) == "hnsw"


@pytest.mark.parametrize("name", TYPES)
def test_each_type_builds_searches_and_stores_its_recall(built, data, name):
    index = built(name)
    stats = index.stats().extra
    assert stats["index_type"] == index.kind
    measured = _recall(index, data, data[::30])
    if name == "flat":
        assert stats["recall_at_10"] == 1.0 and measured == 1.0
    else:
        assert stats["recall_measured_on"] == 1000
        assert abs(stats["recall_at_10"] - measured) < 0.1  # the stored figure is what we see
    # IVF-PQ re-ranks from fp16 (no budget here): its PQ code alone gives ~0.5 (below)
    floor = {"flat": 1.0, "fastscan": 0.99, "sq8": 0.99, "hnsw": 0.9, "ivfpq": 0.9}[name]
    # a compact type that misses 0.99 falls back along its chain: either way it kept its recall
    assert index.kind == name or index.kind in types.COMPACT_CHAIN.get(name, ())
    assert stats["recall_at_10"] >= floor and measured >= floor - 0.02


@pytest.mark.parametrize("name", TYPES)
def test_each_type_saves_loads_and_removes(tmp_path, data, name):
    limits = LIMITS[name]
    index = VectorIndex(DIM, MODEL, use_gpu=False, **limits)
    index.add(data, make_metas(N))
    gone = list(range(0, 200))
    assert index.remove(gone) == 200
    index.save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["index_type"] == index.kind
    assert manifest["recall_at_10"] == index.recall_at_10
    loaded = VectorIndex.load(tmp_path, use_gpu=False, **limits)
    assert loaded.kind == index.kind and len(loaded) == N - 200
    assert loaded.recall_at_10 == index.recall_at_10
    hits = loaded.search(data[:300], 10)
    assert not any(i in set(gone) for row in hits for i in hit_ids(row))
    assert all(len(row) == 10 for row in hits)
    # a live item finds itself first on the exact and compact types
    if name in ("flat", "fastscan", "sq8"):
        assert [hit_ids(r)[0] for r in loaded.search(data[200:260], 1)] == list(range(200, 260))
    assert np.allclose(loaded.vector(500), data[500], atol=0.02)  # IVF-PQ: from its fp16 copy


@pytest.mark.slow  # IVF-PQ training, three times
def test_ivfpq_re_ranks_from_the_best_copies_the_budget_has_room_for(tmp_path, data):
    # 64-d: 24 bytes of code + list id a row; fp16 copies +128 (152), 8-bit copies +64 (88)
    tiers = {"fp16": None, "sq8": N * 100, None: N * 30}
    built = {}
    for copies, budget in tiers.items():
        index = VectorIndex(
            DIM, MODEL, use_gpu=False, memory_budget_bytes=budget, **LIMITS["ivfpq"]
        )
        index.add(data, make_metas(N))
        extra = index.stats().extra
        assert index.kind == "ivfpq" and extra["rerank_from"] == copies
        assert budget is None or extra["vector_bytes"] <= budget
        assert (f"re-ranked from {copies}" if copies else "approximate)") in index._search_path(1)
        built[copies] = index
    queries = data[::30]
    found = {copies: _recall(index, data, queries) for copies, index in built.items()}
    assert found["fp16"] >= 0.9 and found["sq8"] >= 0.85
    assert min(found["fp16"], found["sq8"]) > found[None] + 0.1  # the re-rank is what lifts it
    for copies, index in built.items():  # the panel tells the truth
        assert abs(index.stats().extra["recall_at_10"] - found[copies]) < 0.1
    built["sq8"].save(tmp_path / "sq8")  # 8-bit copies decode for saves and vector()
    again = VectorIndex.load(tmp_path / "sq8", use_gpu=False, **LIMITS["ivfpq"])
    assert again.stats().extra["rerank_from"] == "sq8" and len(again) == N
    assert np.allclose(again.vector(500), data[500], atol=0.05)
    built[None].save(tmp_path / "codes")  # codes only decode lossily, yet save and load
    codes = VectorIndex.load(tmp_path / "codes", use_gpu=False, **LIMITS["ivfpq"])
    assert codes.stats().extra["rerank_from"] is None and len(codes) == N


def test_fastscan_meets_its_goal_at_build_and_keeps_a_margin(data):
    index = VectorIndex(DIM, MODEL, use_gpu=False, **LIMITS["fastscan"])
    index.add(data, make_metas(N))
    assert index.kind == "fastscan"
    built = index._flat
    factors = types.FASTSCAN_K_FACTORS
    chosen = factors.index(built.k_factor)
    truth = recall.exact_neighbours(data, skip_self=True)

    def recall_at(k_factor: int) -> float:
        built.k_factor = float(k_factor)
        return recall.recall_against(built, data, truth, skip_self=True)[0]

    assert recall_at(factors[chosen]) == index.recall_at_10 >= types.COMPACT_MIN_RECALL
    if chosen >= 1:  # one step below is where it first reached the recall...
        assert recall_at(factors[chosen - 1]) >= types.COMPACT_MIN_RECALL
    if chosen >= 2:  # ...and two steps below it had not
        assert recall_at(factors[chosen - 2]) < types.COMPACT_MIN_RECALL
    built.k_factor = float(factors[chosen])
    assert index._search_path(1).startswith("faiss 4-bit fast-scan")


def test_fastscan_missing_its_recall_falls_back_and_stays(monkeypatch, data):
    monkeypatch.setattr(types, "FASTSCAN_K_FACTORS", (1,))  # 10 candidates: too few for 0.99
    index = VectorIndex(DIM, MODEL, use_gpu=False, **LIMITS["fastscan"])
    index.add(data[:2000], make_metas(2000))
    assert index.kind in ("sq8", "fp16") and index.recall_at_10 >= types.COMPACT_MIN_RECALL
    kind, built = index.kind, index._flat
    index.add(data[2000:], make_metas(N - 2000, start=2000))  # no rebuild on every add
    assert index.kind == kind and index._flat is built


def test_an_index_saved_as_sq8_or_fp16_loads_as_it_was(tmp_path, data):
    index = VectorIndex(DIM, MODEL, use_gpu=False, **LIMITS["sq8"])
    index.add(data, make_metas(N))
    assert index.kind in types.COMPACT_CHAIN["sq8"]  # fp16 where sq8 missed its recall
    index.save(tmp_path)
    # without the budget fastscan would be chosen, but a compact type of its chain is kept
    loaded = VectorIndex.load(tmp_path, use_gpu=False, **LIMITS["fastscan"])
    assert loaded.kind == index.kind and loaded.recall_at_10 == index.recall_at_10


def test_without_self_drops_the_query_row_and_pads():
    found = np.array([[5, 1, 2], [3, 4, 9], [7, 7, 8]])
    out = recall.without_self(found, np.array([5, 9, 7]), 2)
    assert out.tolist() == [[1, 2], [3, 4], [8, -1]]


def test_compact_storage_missing_its_recall_stays_flat(monkeypatch, data):
    monkeypatch.setattr(types, "COMPACT_MIN_RECALL", 1.01)  # nothing can reach it
    index = VectorIndex(DIM, MODEL, use_gpu=False, compact_threshold=100)
    index.add(data[:500], make_metas(500))
    assert index.kind == "flat"
    assert index.stats().extra["recall_at_10"] == 1.0


def test_shrinking_switches_back_to_flat(data):
    index = VectorIndex(DIM, MODEL, use_gpu=False, approx_threshold=1000)
    index.add(data[:1500], make_metas(1500))
    assert index.kind == "hnsw"
    index.remove(range(600))
    assert index.kind == "flat" and index.recall_at_10 == 1.0


def test_manifest_from_before_index_types_still_loads(tmp_path, data):
    index = VectorIndex(DIM, MODEL, use_gpu=False, approx_threshold=100)
    index.add(data[:500], make_metas(500))
    index.save(tmp_path)
    path = tmp_path / "manifest.json"
    manifest = json.loads(path.read_text())
    for key in ("index_type", "recall_at_10", "recall_measured_on"):
        del manifest[key]
    # the old writer named the graph file hnsw-<gen>.faiss, as this one still does
    assert manifest["files"]["faiss_index"].startswith("hnsw-")
    path.write_text(json.dumps(manifest))
    assert storage.index_type(manifest) == "hnsw"
    loaded = VectorIndex.load(tmp_path, use_gpu=False, approx_threshold=100)
    assert loaded.kind == "hnsw" and len(loaded) == 500
    assert loaded.recall_at_10 is None  # not measured by the old writer: shown as unknown
    flat = VectorIndex.load(tmp_path, use_gpu=False)  # an old hnsw index below the threshold
    assert flat.kind == "flat" and flat.recall_at_10 == 1.0


class _FakeFaiss:
    """Enough of faiss's GPU API to see which path ``_attach_gpu`` takes."""

    def __init__(self, real, gpus):
        self._real, self.gpus, self.calls = real, gpus, []

    def __getattr__(self, name):
        return getattr(self._real, name)

    def get_num_gpus(self):
        return self.gpus

    def StandardGpuResources(self):
        return object()

    def GpuMultipleClonerOptions(self):
        return type("Options", (), {})()

    def index_cpu_to_gpu(self, res, device, index):
        self.calls.append(("one", device))
        return None

    def index_cpu_to_all_gpus(self, index, co=None, ngpu=-1):
        self.calls.append(("all", ngpu, co.shard))
        return None


@pytest.mark.parametrize(
    ("gpus", "expected"), [(0, []), (1, [("one", 0)]), (4, [("all", 4, True)])]
)
def test_gpu_choice_shards_over_several_gpus(monkeypatch, gpus, expected):
    fake = _FakeFaiss(runtime.faiss(), gpus)
    monkeypatch.setattr(runtime, "faiss", lambda: fake)
    VectorIndex(DIM, MODEL, use_gpu=True)
    assert fake.calls == expected


@pytest.mark.gpu
def test_sharded_gpu_search_is_exact(data):
    if runtime.gpu_count() < 1:
        pytest.skip("faiss sees no GPU")
    index = VectorIndex(DIM, MODEL, use_gpu=True)
    index.add(data, make_metas(N))
    assert index.on_gpu
    truth, _ = brute_force(data, np.arange(N), data[:50], 10)
    found = [hit_ids(r) for r in index.search(data[:50], 10)]
    assert np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)]) >= 0.999


@pytest.mark.slow  # IVF-PQ training, twice
def test_ivfpq_grown_past_its_budget_is_rebuilt_with_smaller_copies(data):
    # 64-d: fp16 copies make 152 bytes a row, 8-bit ones 88: 1,200 rows fit with fp16, 2,000 not
    budget = 1200 * 152
    index = VectorIndex(DIM, MODEL, use_gpu=False, memory_budget_bytes=budget, **LIMITS["ivfpq"])
    index.add(data[:1200], make_metas(1200))
    assert index.kind == "ivfpq" and index.stats().extra["rerank_from"] == "fp16"
    index.add(data[1200:2000], make_metas(800, start=1200))
    extra = index.stats().extra
    assert extra["rerank_from"] == "sq8" and extra["vector_bytes"] <= budget
    assert len(index) == 2000 and extra["recall_measured_on"] == 1000  # measured again
    hits = index.search(data[1500:1510], 1)
    assert [hit_ids(row)[0] for row in hits] == list(range(1500, 1510))
