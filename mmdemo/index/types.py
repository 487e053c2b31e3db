"""Which faiss structure holds the vectors, how to build it, and what recall it costs.

Types, smallest collection first (``choose``):

* ``flat``  - ``IndexFlatIP``, exact, 4 bytes per dimension.
* ``sq8`` / ``fp16`` - ``IndexScalarQuantizer`` (compact exact storage): the same brute-force
  scan over 1 or 2 bytes per dimension, kept only where recall@10 >= ``COMPACT_MIN_RECALL``
  measured at build time; otherwise the index stays flat.
* ``hnsw`` - ``IndexHNSWFlat``, approximate, fp32 vectors plus the graph.
* ``ivfpq`` - ``OPQ,IVF,PQ`` from ``index_factory``: for the largest collections or when
  HNSW's fp32 vectors would not fit the memory budget (``PQ_BYTES`` bytes per vector).

Recall@10 is measured against exact search over the fp32 vectors at hand when a structure
is built (``measure_recall``): a sample of the stored vectors are the queries, nothing is
excluded. Several GPUs: ``to_gpus`` shards an exact index over all of them.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np

from mmdemo.index import runtime

log = logging.getLogger(__name__)

TYPES = ("flat", "sq8", "fp16", "hnsw", "ivfpq")
EXACT = ("flat", "sq8", "fp16")  # scanned in full: removal keeps row order
TOMBSTONED = ("hnsw", "ivfpq")  # cannot delete rows: removed rows are hidden
COMPACT_MIN_RECALL = 0.99
RECALL_SAMPLE = 1000
RECALL_K = 10
PQ_BYTES = 64  # bytes per vector of the PQ code (dim must be divisible by it)
PQ_MIN_DSUB = 4  # at least this many dimensions per sub-quantizer (1-D k-means stalls)
IVF_NPROBE = 32
OPQ_ITERATIONS = 4  # rotation refinements; the default 50 costs minutes for little recall
TRAIN_ROWS = 65_536  # rows k-means and PQ train on (a seeded sample above that)
HNSW_GRAPH_BYTES_PER_M = 8  # ~2*M int32 links per vector on level 0


def pq_bytes(dim: int) -> int:
    """The PQ code size for ``dim``: ``PQ_BYTES``, fewer for small dims."""
    return min(PQ_BYTES, dim // PQ_MIN_DSUB)


def bytes_per_vector(index_type: str, dim: int, *, hnsw_m: int = 32) -> int:
    """RAM per stored vector, for the memory budget and the 100 M plan."""
    return {
        "flat": 4 * dim,
        "sq8": dim,
        "fp16": 2 * dim,
        "hnsw": 4 * dim + HNSW_GRAPH_BYTES_PER_M * hnsw_m,
        "ivfpq": pq_bytes(dim) + 8,  # code + its id in the inverted list
    }[index_type]


def choose(
    n: int, dim: int, *, approx_threshold: int, compact_threshold: int | None = None,
    ivfpq_threshold: int | None = None, memory_budget_bytes: int | None = None,
    compact_type: str = "sq8",
) -> str:  # fmt: skip
    """The type for ``n`` vectors: flat up to ``compact_threshold`` (``None``: no compact
    range), compact up to ``approx_threshold``, HNSW above it, IVF-PQ above
    ``ivfpq_threshold`` or when the HNSW (or compact/flat) bytes exceed the budget."""
    if n > approx_threshold:
        kind = "hnsw"
    elif compact_threshold is not None and n > compact_threshold:
        kind = compact_type
    else:
        kind = "flat"
    if memory_budget_bytes is not None and n * bytes_per_vector(kind, dim) > memory_budget_bytes:
        for smaller in ("sq8", "ivfpq") if kind in ("flat", "fp16") else ("ivfpq",):
            if n >= 1000 or smaller != "ivfpq":
                kind = smaller
                if n * bytes_per_vector(kind, dim) <= memory_budget_bytes:
                    break
    if ivfpq_threshold is not None and n > ivfpq_threshold:
        kind = "ivfpq"
    if kind == "ivfpq" and (pq_bytes(dim) < 1 or dim % pq_bytes(dim) or n < 1000):
        kind = "hnsw"  # PQ needs dim divisible by its code size and enough training rows
    return kind


def type_of(index: Any) -> str:
    """The type name of a faiss structure built here."""
    faiss = runtime.faiss()
    if isinstance(index, faiss.IndexHNSW):
        return "hnsw"
    if isinstance(index, faiss.IndexScalarQuantizer):
        return "fp16" if index.sq.qtype == faiss.ScalarQuantizer.QT_fp16 else "sq8"
    if isinstance(index, faiss.IndexFlat):
        return "flat"
    return "ivfpq"


def build_compact(vectors: np.ndarray, dim: int, index_type: str) -> Any:
    """An ``IndexScalarQuantizer`` (8-bit or fp16 per dimension) holding ``vectors``."""
    faiss = runtime.faiss()
    qtype = faiss.ScalarQuantizer.QT_fp16 if index_type == "fp16" else faiss.ScalarQuantizer.QT_8bit
    index = faiss.IndexScalarQuantizer(dim, qtype, faiss.METRIC_INNER_PRODUCT)
    if len(vectors):
        index.train(vectors)
        index.add(vectors)
    return index


def build_compact_checked(
    exact: np.ndarray, dim: int, index_type: str
) -> tuple[Any, tuple[float, int]]:
    """Compact storage of ``exact`` that keeps recall@10 >= ``COMPACT_MIN_RECALL``: sq8,
    else fp16 (``index_type`` "fp16": fp16 only), else ``None`` with the last recall."""
    recall = (0.0, 0)
    for candidate in ("sq8", "fp16") if index_type == "sq8" else ("fp16",):
        built = build_compact(exact, dim, candidate)
        recall = measure_recall(exact, built)
        if recall[0] >= COMPACT_MIN_RECALL:
            return built, recall
        log.info("%s storage: recall@10 %.3f < %.2f", candidate, recall[0], COMPACT_MIN_RECALL)
    return None, recall


def build_ivfpq(vectors: np.ndarray, dim: int) -> Any:
    """OPQ-rotated IVF-PQ: ``PQ_BYTES`` bytes per vector, ~4 sqrt(n) lists, direct map on
    (so a row's vector can be decoded for ``vector()`` and saves)."""
    faiss = runtime.faiss()
    started = time.perf_counter()
    n = len(vectors)
    nlist = int(min(max(16, 4 * math.sqrt(n)), max(16, n // 39)))
    m = pq_bytes(dim)
    index = faiss.index_factory(dim, f"OPQ{m},IVF{nlist},PQ{m}", faiss.METRIC_INNER_PRODUCT)
    opq = faiss.downcast_VectorTransform(index.chain.at(0))
    opq.niter, opq.niter_pq = OPQ_ITERATIONS, OPQ_ITERATIONS  # 50 x 4 by default: minutes
    train = vectors
    if n > TRAIN_ROWS:  # PQ and k-means need far fewer rows than that to train
        pick = np.random.default_rng(0).choice(n, TRAIN_ROWS, replace=False)
        train = vectors[np.sort(pick)]
    index.train(train)
    ivf(index).make_direct_map()
    index.add(vectors)
    ivf(index).nprobe = IVF_NPROBE
    log.info("Built IVF-PQ (nlist %d) over %d vectors in %.1f s", nlist, n,
             time.perf_counter() - started)  # fmt: skip
    return index


def ivf(index: Any) -> Any:
    """The IVF inside an OPQ pre-transform."""
    faiss = runtime.faiss()
    if isinstance(index, faiss.IndexPreTransform):
        return faiss.extract_index_ivf(index)
    return faiss.downcast_index(index)


def decoded(index: Any) -> np.ndarray:
    """Every row of a compact or IVF-PQ structure decoded to fp32 (a copy; lossy for sq8 and
    PQ): what ``vector()`` returns and what another type is rebuilt from."""
    n = int(index.ntotal)
    if n == 0:
        return np.empty((0, int(index.d)), dtype=np.float32)
    out = (
        index.reconstruct_n(0, n)
        if type_of(index) != "ivfpq"
        else index.reconstruct_batch(np.arange(n, dtype=np.int64))
    )
    out = np.ascontiguousarray(out, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    out /= np.maximum(norms, 1e-12)  # decoding error must not leave non-unit rows
    return out


def search_params(index: Any, k: int, *, ef_search: int, live_fraction: float, sel: Any):
    """faiss search parameters for a tombstoned structure: HNSW efSearch or IVF nprobe, both
    grown with the share of dead rows, and the selector that hides them."""
    faiss = runtime.faiss()
    if type_of(index) == "hnsw":
        params = faiss.SearchParametersHNSW()
        params.efSearch = int(max(ef_search, 2 * k) / live_fraction)
    else:
        params = faiss.SearchParametersIVF()
        params.nprobe = int(min(IVF_NPROBE / live_fraction, ivf(index).nlist))
    if sel is not None:
        params.sel = sel
    if isinstance(index, faiss.IndexPreTransform):
        outer = faiss.SearchParametersPreTransform()
        outer.index_params = params
        outer._inner = params  # keep the inner object alive as long as the outer one
        return outer
    return params


def measure_recall(exact_vectors: np.ndarray, index: Any, *, sample: int = RECALL_SAMPLE,
                   k: int = RECALL_K) -> tuple[float, int]:  # fmt: skip
    """Recall@k of ``index`` against exact search over ``exact_vectors`` (fp32, the same
    rows in the same order): ``min(sample, n)`` stored vectors as queries, seeded."""
    faiss = runtime.faiss()
    n = len(exact_vectors)
    if n == 0:
        return 1.0, 0
    k = min(k, n)
    rows = np.sort(np.random.default_rng(0).choice(n, min(sample, n), replace=False))
    queries = np.ascontiguousarray(exact_vectors[rows])
    exact = faiss.IndexFlatIP(exact_vectors.shape[1])
    exact.add(exact_vectors)
    _, truth = exact.search(queries, k)
    del exact
    _, found = index.search(queries, k)
    hits = sum(len(set(a) & set(b)) for a, b in zip(truth.tolist(), found.tolist(), strict=True))
    return hits / (k * len(rows)), len(rows)


def to_gpus(index: Any, gpus: int) -> Any:
    """An exact index on the GPUs faiss sees: cloned to GPU 0 with one GPU, sharded over all
    of them (each holds 1/gpus of the rows) with several. Queried with CPU arrays."""
    faiss = runtime.faiss()
    if gpus > 1:
        options = faiss.GpuMultipleClonerOptions()
        options.shard = True
        return faiss.index_cpu_to_all_gpus(index, co=options, ngpu=gpus)
    return faiss.index_cpu_to_gpu(faiss.StandardGpuResources(), 0, index)
