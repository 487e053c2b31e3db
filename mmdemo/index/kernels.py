"""Search kernels and index builders: numpy arrays and faiss objects in, numpy arrays out.

No state and no lock: ``VectorIndex`` calls these while it holds its lock and passes in
everything they read. A "row" is a position in the faiss storage; the index maps rows to
item ids.

Single queries on CPU use our own parallel scan. faiss 1.15 searches one query either on
one thread (``exhaustive_inner_product_seq``) or, with several OpenMP threads, with its
database-parallel sgemm path, which is slower still for one query on the 2-core machine
we measured (bench/bench_search.py). ``scan`` splits the rows into chunks, scores each
chunk with ``faiss.fvec_inner_products_ny`` on a thread pool (the call releases the GIL)
and keeps each chunk's top k with ``argpartition``: this runs at memory bandwidth.
Batches go to faiss's own sgemm path, and on GPU to faiss's brute force (``search_flat``).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Set
from concurrent.futures import wait
from typing import Any

import numpy as np

from mmdemo.index import runtime, types

log = logging.getLogger(__name__)


def vectors_view(index: Any) -> np.ndarray:
    """Zero-copy (rows, d) view of the vectors of a flat index or an HNSW graph's storage.

    The faiss storage is the only in-memory copy of the vectors: reading them, saving them
    and scanning them all go through this view (``faiss.rev_swig_ptr``). It is only valid
    until the next mutation of ``index``, which may move the storage.
    """
    faiss = runtime.faiss()
    if isinstance(index, faiss.IndexHNSW):
        index = faiss.downcast_index(index.storage)
    n, d = int(index.ntotal), int(index.d)
    if n == 0:
        return np.empty((0, d), dtype=np.float32)
    return faiss.rev_swig_ptr(index.get_xb(), n * d).reshape(n, d)


# -- building ---------------------------------------------------------------------------------


def build_flat(vectors: np.ndarray, dim: int) -> Any:
    """An exact ``IndexFlatIP`` holding ``vectors`` (a copy: faiss owns its storage)."""
    flat = runtime.faiss().IndexFlatIP(dim)
    if len(vectors):
        flat.add(vectors)
    return flat


def build_hnsw(vectors: np.ndarray, dim: int, *, m: int, ef_construction: int, ef_search: int):
    """An ``IndexHNSWFlat`` graph over ``vectors``, searched by inner product."""
    faiss = runtime.faiss()
    started = time.perf_counter()
    graph = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = ef_construction
    graph.hnsw.efSearch = ef_search
    graph.add(vectors)
    log.info(
        "Built an HNSW graph over %d vectors (dim %d) in %.1f s",
        len(vectors), dim, time.perf_counter() - started,
    )  # fmt: skip
    return graph


# -- exact search -----------------------------------------------------------------------------


def rows_per_task(n: int, min_rows: int) -> int:
    """Chunk size of the parallel scan: about 4 chunks per core, never below ``min_rows``
    (smaller chunks cost more in thread hand-offs than they gain)."""
    return max(min_rows, math.ceil(n / (4 * runtime.cpu_count())))


def scan_chunk(view: np.ndarray, query: np.ndarray, lo: int, hi: int, k: int):
    """Scores of rows lo:hi against one query and their best k (unordered), as (rows, scores)."""
    faiss = runtime.faiss()
    scores = np.empty(hi - lo, dtype=np.float32)
    faiss.fvec_inner_products_ny(
        faiss.swig_ptr(scores), faiss.swig_ptr(query), faiss.swig_ptr(view[lo:hi]),
        view.shape[1], hi - lo,
    )  # fmt: skip
    if k < scores.size:
        best = np.argpartition(scores, scores.size - k)[scores.size - k :]
    else:
        best = np.arange(scores.size)
    return best + lo, scores[best]


def scan(view: np.ndarray, query: np.ndarray, k: int, *, min_rows_per_task: int):
    """Exact top-k (rows, scores) of one query, chunks scored in parallel; best first, ties
    to the lower row."""
    n = len(view)
    step = rows_per_task(n, min_rows_per_task)
    if n <= step or runtime.cpu_count() == 1:
        parts = [scan_chunk(view, query, 0, n, k)]
    else:
        pool = runtime.scan_pool()
        futures = [
            pool.submit(scan_chunk, view, query, lo, min(lo + step, n), k)
            for lo in range(0, n, step)
        ]
        wait(futures)  # all done before we return and a mutation can move the storage
        parts = [f.result() for f in futures]
    rows = np.concatenate([p[0] for p in parts])
    scores = np.concatenate([p[1] for p in parts])
    order = np.lexsort((rows, -scores))[:k]
    return rows[order], scores[order]


def search_flat(
    flat: Any, gpu: Any, q: np.ndarray, k: int, *,
    gpu_max_k: int, blas_min_queries: int, min_rows_per_task: int,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Exact top-k (rows, scores) of normalised queries ``q``, on ``gpu`` when there is one.

    GPU brute force handles millions of vectors, so the GPU copy is searched at any size
    (up to faiss's k limit). On CPU, batches of ``blas_min_queries`` or more take faiss's
    sgemm path, which needs ``faiss.cvar.distance_compute_blas_threshold`` (a process-wide
    knob, default 128000 = 250 queries of dim 512) lowered to ``blas_min_queries * dim``:
    it is the only faiss global the index touches, and it only changes which exact kernel
    runs. Fewer queries are scanned one by one with ``scan``.
    """
    faiss = runtime.faiss()
    if gpu is not None and k <= gpu_max_k:
        scores, rows = gpu.search(q, k)
        return rows, scores
    if len(q) >= blas_min_queries:
        wanted = blas_min_queries * q.shape[1]
        if faiss.cvar.distance_compute_blas_threshold > wanted:
            faiss.cvar.distance_compute_blas_threshold = wanted
        scores, rows = flat.search(q, k)
        return rows, scores
    view = vectors_view(flat)
    rows = np.empty((len(q), k), dtype=np.int64)
    scores = np.empty((len(q), k), dtype=np.float32)
    for i in range(len(q)):
        rows[i], scores[i] = scan(view, q[i], k, min_rows_per_task=min_rows_per_task)
    return rows, scores


def flat_search_path(
    nq: int, n: int, dim: int, *, on_gpu: bool, blas_min_queries: int, min_rows_per_task: int
) -> str:
    """Which kernel ``search_flat`` runs for ``nq`` queries over ``n`` rows, in words."""
    if on_gpu:
        return "faiss GPU brute force (exact)"
    if nq >= blas_min_queries:
        return f"faiss sgemm (BLAS) path, blas_threshold <= {blas_min_queries * dim}"
    tasks = math.ceil(n / rows_per_task(n, min_rows_per_task)) if n else 0
    threads = runtime.cpu_count()
    return f"parallel fvec_inner_products_ny scan: {tasks} chunk(s) on {threads} thread(s)"


# -- approximate search -----------------------------------------------------------------------


def live_bitmap(alive: np.ndarray) -> np.ndarray:
    """``alive`` as the bytes ``IDSelectorBitmap`` reads: row i is bit i & 7 of byte i >> 3."""
    return np.packbits(alive, bitorder="little")


def without_rows(bits: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """A copy of the bitmap ``bits`` with ``rows`` cleared (the excluded ids of one search)."""
    bits = bits.copy()
    for row in rows:
        bits[row >> 3] &= np.uint8(0xFF ^ (1 << (row & 7)))
    return bits


def search_hnsw(
    graph: Any, q: np.ndarray, k: int, *, alive: np.ndarray, dead: int,
    live_bits: np.ndarray | None, excluded_rows: np.ndarray, ef_search: int,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Approximate top-k (rows, scores) over the live, non-excluded rows of ``graph`` (an
    HNSW graph or an IVF-PQ index: both keep removed rows as tombstones).

    HNSW cannot delete nodes, so a removed row stays in the graph (it still helps the walk)
    and ``live_bits`` (``None``: every row may be returned) hides it: faiss then returns k
    live hits without oversampling guesses. efSearch grows with the dead fraction so that
    recall holds while tombstones pile up.
    """
    faiss = runtime.faiss()
    live_fraction = max(0.1, 1.0 - dead / max(1, len(alive)))
    sel = None
    if live_bits is not None:
        sel = faiss.IDSelectorBitmap(len(live_bits), faiss.swig_ptr(live_bits))  # n is in bytes
    params = types.search_params(graph, k, ef_search=ef_search, live_fraction=live_fraction,
                                 sel=sel)  # fmt: skip
    scores, rows = graph.search(q, k, params=params)
    del sel, params  # only now: faiss reads the bitmap during the search
    short = np.flatnonzero((rows < 0).any(axis=1))
    if short.size:  # the walk found fewer than k live rows (tiny or badly pruned graph)
        rows, scores = rows.copy(), scores.copy()
        view = vectors_view(graph) if types.type_of(graph) == "hnsw" else types.decoded(graph)
        for i in short:
            rows[i], scores[i] = masked_exact(view, q[i], k, alive, excluded_rows)
    return rows, scores


def masked_exact(
    view: np.ndarray, query: np.ndarray, k: int, alive: np.ndarray, excluded_rows: np.ndarray
):
    """Brute force over live rows, for the rare query where the HNSW walk falls short."""
    scores = view @ query
    scores[~alive] = -np.inf
    if excluded_rows.size:
        scores[excluded_rows] = -np.inf
    best = np.argsort(-scores, kind="stable")[:k]
    return best, scores[best]


# -- results ----------------------------------------------------------------------------------


def hits(
    rows: np.ndarray, scores: np.ndarray, want: int, *,
    alive: np.ndarray, row_ids: np.ndarray, excluded: Set[int],
) -> list[list[tuple[int, float]]]:  # fmt: skip
    """Per query, up to ``want`` (id, score) pairs in the kernels' order, skipping faiss's
    -1 padding, dead rows and ``excluded`` ids."""
    out = []
    for row_list, score_list in zip(rows.tolist(), scores.tolist(), strict=True):
        found = []
        for row, score in zip(row_list, score_list, strict=True):
            if row < 0 or not alive[row]:
                continue
            item_id = int(row_ids[row])
            if item_id in excluded:
                continue
            found.append((item_id, float(score)))
            if len(found) == want:
                break
        out.append(found)
    return out
