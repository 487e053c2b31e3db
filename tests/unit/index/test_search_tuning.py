"""HNSW's efSearch is tuned at build to ``types.TARGET_RECALL``, stored in the manifest and
applied on load; an older manifest gets the default. A sparse graph on spread-out vectors is
the hard set where the smallest efSearch misses the target."""

from __future__ import annotations

import json

import numpy as np

from mmdemo.index import VectorIndex, recall, types
from tests.support.vectors import MODEL, brute_force, clustered, hit_ids, make_metas, unit

DIM, N = 64, 3000


class SparseGraph(VectorIndex):
    HNSW_M = 4  # few links and a cheap build: efSearch decides the recall
    HNSW_EF_CONSTRUCTION = 16


def _recall(index, data, queries):
    truth, _ = brute_force(data, np.arange(len(data)), queries, 10)
    found = [hit_ids(r) for r in index.search(queries, 10)]
    return float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)]))


def test_efsearch_is_tuned_stored_reloaded_and_raises_recall(tmp_path):
    rng = np.random.default_rng(3)
    data = unit(rng.standard_normal((N, DIM)))
    queries = unit(rng.standard_normal((200, DIM)))  # held out
    index = SparseGraph(DIM, MODEL, use_gpu=False, approx_threshold=100)
    index.add(data, make_metas(N))
    assert index.kind == "hnsw"
    chosen = index.stats().extra["ef_search"]
    assert chosen > types.HNSW_EF_SEARCHES[0]
    tuned = _recall(index, data, queries)
    index._ef_search = types.HNSW_EF_SEARCHES[0]
    assert tuned > _recall(index, data, queries) + 0.02
    index._ef_search = chosen
    index.save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["search_knob"] == {"ef_search": chosen}
    loaded = SparseGraph.load(tmp_path, use_gpu=False, approx_threshold=100)
    assert loaded.stats().extra["ef_search"] == chosen == loaded._hnsw.hnsw.efSearch
    del manifest["search_knob"]  # an index saved before tuning: today's default
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    old = SparseGraph.load(tmp_path, use_gpu=False, approx_threshold=100)
    assert old.stats().extra["ef_search"] == VectorIndex.HNSW_EF_SEARCH


def test_ivfpq_nprobe_is_tuned_within_nlist_and_used_by_search():
    rng = np.random.default_rng(4)
    data = unit(rng.standard_normal((2000, 32)))
    built = types.build_ivfpq(data, 32)
    knob, measured = types.tune_search(built, data)
    assert 0 < knob["nprobe"] <= types.ivf(built).nlist and 0.0 <= measured[0] <= 1.0
    params = types.search_params(built, 10, ef_search=0, live_fraction=1.0, sel=None)
    assert params._inner.nprobe == knob["nprobe"]  # inside the OPQ pre-transform
    types.apply_knob(built, None)
    assert types.ivf(built).nprobe == types.IVF_NPROBE


def test_ivfpq_re_rank_k_factor_is_tuned_with_a_margin_stored_and_reloaded(tmp_path):
    rng = np.random.default_rng(5)
    data = clustered(rng, 3000, 32, clusters=30)
    index = VectorIndex(32, MODEL, use_gpu=False, approx_threshold=100, ivfpq_threshold=1000)
    index.add(data, make_metas(3000))
    extra = index.stats().extra
    assert index.kind == "ivfpq" and extra["rerank_from"] == "fp16"
    factors = types.IVF_K_FACTORS
    chosen = factors.index(extra["k_factor"])
    truth = recall.exact_neighbours(data, skip_self=True)
    graph = index._hnsw
    if chosen > 0:  # one step below the kept one is the smallest that reached the target
        graph.k_factor = float(factors[chosen - 1])
        below = recall.recall_against(graph, data, truth, skip_self=True)[0]
        assert below >= types.TARGET_RECALL or chosen == len(factors) - 1
        graph.k_factor = float(factors[chosen])
    assert extra["recall_at_10"] >= types.TARGET_RECALL
    # tune_search's answer is the index's state (a caller that re-applies it gets the same)
    knob, measured = types.tune_search(graph, data)
    assert (
        knob
        == types.search_knob(graph)
        == {"nprobe": extra["nprobe"], "k_factor": extra["k_factor"]}
    )
    assert measured == recall.recall_against(graph, data, truth, skip_self=True)
    index.save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["search_knob"] == {"nprobe": extra["nprobe"], "k_factor": extra["k_factor"]}
    limits = {"approx_threshold": 100, "ivfpq_threshold": 1000}
    loaded = VectorIndex.load(tmp_path, use_gpu=False, **limits)
    assert loaded.stats().extra["k_factor"] == extra["k_factor"] == int(loaded._hnsw.k_factor)
    manifest["search_knob"] = {"nprobe": extra["nprobe"], "k_factor": "lots"}  # hand-edited
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    old = VectorIndex.load(tmp_path, use_gpu=False, **limits)
    assert old.stats().extra["k_factor"] == factors[-1]
    hits = old.search(data[:50], 10)
    assert [hit_ids(row)[0] for row in hits] == list(range(50))  # each finds itself first
