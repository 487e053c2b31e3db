"""Which faiss structure holds the vectors, how to build it, and what recall it costs.

Types, smallest collection first (``choose``):

* ``flat``  - ``IndexFlatIP``, exact, 4 bytes per dimension.
* ``fastscan`` / ``sq8`` / ``fp16`` - compact exact storage, kept only where recall@10 >=
  ``COMPACT_MIN_RECALL`` measured at build time (tried in that order, ``COMPACT_CHAIN``;
  none reaches it: the index stays flat). ``fastscan`` is two stages in one ``IndexRefine``:
  a 4-bit PQ fast-scan code (``fastscan_bytes``, dim/4 bytes) scanned in full for
  ``k * k_factor`` candidates, re-ranked exactly against fp16 copies of the vectors
  (2 bytes per dimension); ``k_factor`` is one step above the smallest of
  ``FASTSCAN_K_FACTORS`` that reaches the recall (new queries do a little worse than the
  stored ones it is measured with). It is the one compact type faster than the fp32 scan
  on one query (fast-scan reads 1/16 of the bytes, in SIMD registers); ``sq8`` / ``fp16``
  (``IndexScalarQuantizer``, 1 or 2 bytes per dimension) are smaller or as small but scan
  slower than fp32 on this CPU (docs/scale.md section 2).
* ``hnsw`` - ``IndexHNSWFlat``, approximate, fp32 vectors plus the graph.
* ``ivfpq`` - ``OPQ,IVF,PQ`` from ``index_factory``: for the largest collections or when
  HNSW's fp32 vectors would not fit the memory budget (``PQ_BYTES`` bytes per vector). Its
  64-byte code alone caps recall@10 near 0.5 on clustered data (docs/scale.md section 2), so
  where the budget has room it is the first stage of an ``IndexRefine``: ``k * k_factor``
  candidates re-ranked from fp16 copies, else 8-bit ones (``rerank_choice``; 1 M x 512:
  0.46 -> 0.98 with fp16 at 2.7 ms a query). Without room for either it stays codes only,
  and says so.

Recall@10 is measured against exact search over the fp32 vectors at hand when a structure
is built (the ``recall`` module): a sample of the stored vectors are the queries; for the
compact types each query's own row is left out of both lists (it would be found trivially),
for HNSW and IVF-PQ the same (each query's own row out) while ``tune_search`` sweeps their
search knob - efSearch, nprobe - up to ``TARGET_RECALL``; the value it keeps is stored in the
manifest (``search_knob``) and applied on load. Several GPUs: ``to_gpus`` shards an exact index
over all of them.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np

from mmdemo.index import runtime
from mmdemo.index.recall import exact_neighbours, recall_against

log = logging.getLogger(__name__)

TYPES = ("flat", "sq8", "fp16", "hnsw", "ivfpq", "fastscan")  # new names go last
COMPACT = ("fastscan", "sq8", "fp16")
EXACT = ("flat", *COMPACT)  # scanned in full: removal keeps row order
TOMBSTONED = ("hnsw", "ivfpq")  # cannot delete rows: removed rows are hidden
COMPACT_MIN_RECALL = 0.99
PQ_BYTES = 64  # bytes per vector of the PQ code (dim must be divisible by it)
PQ_MIN_DSUB = 4  # at least this many dimensions per sub-quantizer (1-D k-means stalls)
IVF_NPROBE = 32  # before tuning, and for indexes saved without a tuned value
# approximate types: the search knob is raised until recall@10 (own row left out) reaches
# this: HNSW at 1 M x 512 had 0.94 at efSearch 128 (docs/scale.md section 2); 0.95 keeps 9.5
# of 10 true neighbours, near what a visitor tells from exact, at a few ms a query
TARGET_RECALL = 0.95
HNSW_EF_SEARCHES = (64, 128, 256, 512, 1024)  # smallest first
IVF_NPROBES = (16, 32, 64, 128, 256, 512, 1024)  # smallest first; capped at nlist
# a step that gains less than this is a plateau (IVF-PQ's recall is capped by its 64-byte
# code, not by nprobe): the sweep stops and keeps the smaller value, which costs less time
PLATEAU_GAIN = 0.005
TRAIN_PER_LIST = 39  # faiss's minimum k-means points per centroid (it warns below it)
OPQ_ITERATIONS = 4  # rotation refinements; the default 50 costs minutes for little recall
TRAIN_ROWS = 65_536  # rows the PQ trains on, at least (a seeded sample above that)
# IVF-PQ's re-rank: candidates per wanted hit, smallest first; tuned after nprobe (which is
# swept at the largest), one step above the smallest that reaches TARGET_RECALL (the margin)
IVF_K_FACTORS = (4, 8, 16, 32, 64)
RERANK_COPIES = ("fp16", "sq8")  # what IVF-PQ re-ranks from, best first (2 or 1 byte a dim)
HNSW_GRAPH_BYTES_PER_M = 8  # ~2*M int32 links per vector on level 0
# compact types tried in order when one is asked for: the first that keeps its recall stays
COMPACT_CHAIN = {"fastscan": ("fastscan", "sq8", "fp16"), "sq8": ("sq8", "fp16"), "fp16": ("fp16",)}
# dims per 4-bit sub-quantizer: 512-d -> 256 codes = 128 bytes. Measured at 1 M x 512
# (bench/bench_index_types.py): 4 dims (64 bytes) needed k_factor 512 for recall 0.994,
# 2 dims reach 0.993 at 128 and 0.996 at 256, both ~0.1-0.2 of the fp32 scan's time
FASTSCAN_DIMS_PER_CODE = 2
FASTSCAN_K_FACTORS = (8, 16, 32, 64, 128, 256, 512)  # candidates per wanted hit, smallest first


def pq_bytes(dim: int) -> int:
    """The PQ code size for ``dim``: ``PQ_BYTES``, fewer for small dims."""
    return min(PQ_BYTES, dim // PQ_MIN_DSUB)


def fastscan_codes(dim: int) -> int:
    """Sub-quantizers of the fast-scan code: ``dim / FASTSCAN_DIMS_PER_CODE`` rounded down
    to an even number (faiss packs two 4-bit codes a byte), at least 2; 0: dim too small."""
    m = dim // FASTSCAN_DIMS_PER_CODE
    m -= m % 2
    return m if m >= 2 and dim % m == 0 else 0


def fastscan_bytes(dim: int) -> int:
    """Bytes per vector of the 4-bit fast-scan code (faiss stores it packed, same size)."""
    return fastscan_codes(dim) // 2


def bytes_per_vector(
    index_type: str, dim: int, *, hnsw_m: int = 32, rerank: str | None = None
) -> int:
    """RAM per stored vector, for the memory budget and the 100 M plan (``rerank``: IVF-PQ
    with "fp16" or "sq8" re-rank copies; without, its smallest form, what ``choose`` fits)."""
    return {
        "flat": 4 * dim,
        "sq8": dim,
        "fp16": 2 * dim,
        "fastscan": 2 * dim + fastscan_bytes(dim),
        "hnsw": 4 * dim + HNSW_GRAPH_BYTES_PER_M * hnsw_m,
        # code, its id in the list, the re-rank copy
        "ivfpq": pq_bytes(dim) + 8 + {None: 0, "fp16": 2 * dim, "sq8": dim}[rerank],
    }[index_type]


def rerank_choice(n: int, dim: int, memory_budget_bytes: float | None) -> str | None:
    """The copies ``n`` IVF-PQ rows re-rank from: the first of ``RERANK_COPIES`` that fits
    the budget (no budget: fp16), else ``None`` (codes only)."""
    for copies in RERANK_COPIES:
        needed = n * bytes_per_vector("ivfpq", dim, rerank=copies)
        if memory_budget_bytes is None or needed <= memory_budget_bytes:
            return copies
    return None


def choose(
    n: int, dim: int, *, approx_threshold: int, compact_threshold: int | None = None,
    ivfpq_threshold: int | None = None, memory_budget_bytes: int | None = None,
    compact_type: str = "fastscan",
) -> str:  # fmt: skip
    """The type for ``n`` vectors: flat up to ``compact_threshold`` (``None``: no compact
    range), compact up to ``approx_threshold``, HNSW above it, IVF-PQ above
    ``ivfpq_threshold`` or when the HNSW (or compact/flat) bytes exceed the budget (then the
    next smaller of fastscan, sq8, IVF-PQ that fits)."""
    if compact_type == "fastscan" and not fastscan_codes(dim):
        compact_type = "sq8"
    if n > approx_threshold:
        kind = "hnsw"
    elif compact_threshold is not None and n > compact_threshold:
        kind = compact_type
    else:
        kind = "flat"
    if memory_budget_bytes is not None and n * bytes_per_vector(kind, dim) > memory_budget_bytes:
        smaller_types = {"flat": ("fastscan", "sq8", "ivfpq"), "fastscan": ("sq8", "ivfpq"),
                         "fp16": ("sq8", "ivfpq")}.get(kind, ("ivfpq",))  # fmt: skip
        for smaller in smaller_types:
            if smaller == "fastscan" and not fastscan_codes(dim):
                continue
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
    if isinstance(index, faiss.IndexRefine):
        base = faiss.downcast_index(index.base_index)
        return "fastscan" if isinstance(base, faiss.IndexPQFastScan) else "ivfpq"
    if isinstance(index, faiss.IndexScalarQuantizer):
        return "fp16" if index.sq.qtype == faiss.ScalarQuantizer.QT_fp16 else "sq8"
    if isinstance(index, faiss.IndexFlat):
        return "flat"
    return "ivfpq"


def build_compact(vectors: np.ndarray, dim: int, index_type: str) -> Any:
    """Compact storage holding ``vectors``: an ``IndexScalarQuantizer`` (8-bit or fp16 per
    dimension) or, for "fastscan", fast-scan candidates re-ranked from fp16 (``k_factor``
    left at its smallest: ``build_compact_checked`` raises it until the recall holds)."""
    faiss = runtime.faiss()
    if index_type == "fastscan":
        return _build_fastscan(vectors, dim)
    qtype = faiss.ScalarQuantizer.QT_fp16 if index_type == "fp16" else faiss.ScalarQuantizer.QT_8bit
    index = faiss.IndexScalarQuantizer(dim, qtype, faiss.METRIC_INNER_PRODUCT)
    if len(vectors):
        index.train(vectors)
        index.add(vectors)
    return index


def _build_fastscan(vectors: np.ndarray, dim: int) -> Any:
    """``IndexRefine(IndexPQFastScan 4-bit, IndexScalarQuantizer fp16)``: the PQ trains on at
    most ``TRAIN_ROWS`` rows (16 centroids per sub-quantizer need few), both hold every row."""
    faiss = runtime.faiss()
    m = fastscan_codes(dim)
    base = faiss.IndexPQFastScan(dim, m, 4, faiss.METRIC_INNER_PRODUCT)
    fine = faiss.IndexScalarQuantizer(
        dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
    )
    index = _refine(base, fine, FASTSCAN_K_FACTORS[0])
    if len(vectors):
        train = vectors
        if len(vectors) > TRAIN_ROWS:
            pick = np.random.default_rng(0).choice(len(vectors), TRAIN_ROWS, replace=False)
            train = vectors[np.sort(pick)]
        index.train(train)
        index.add(vectors)
    return index


def build_compact_checked(
    exact: np.ndarray, dim: int, index_type: str
) -> tuple[Any, tuple[float, int]]:
    """Compact storage of ``exact`` that keeps recall@10 >= ``COMPACT_MIN_RECALL``: the
    first of ``COMPACT_CHAIN[index_type]`` that does (fastscan: at the smallest k_factor
    that does), else ``None`` with the last recall."""
    recall = (0.0, 0)
    truth = exact_neighbours(exact, skip_self=True)
    for candidate in COMPACT_CHAIN[index_type]:
        if candidate == "fastscan" and (not fastscan_codes(dim) or len(exact) < 1000):
            continue  # too few rows to train 16 centroids per sub-quantizer well
        built = build_compact(exact, dim, candidate)
        factors = FASTSCAN_K_FACTORS if candidate == "fastscan" else (None,)
        for step, k_factor in enumerate(factors):
            if k_factor is not None:
                built.k_factor = float(k_factor)
            recall = recall_against(built, exact, truth, skip_self=True)
            if recall[0] >= COMPACT_MIN_RECALL:
                if k_factor is not None and step + 1 < len(factors):  # the margin step
                    built.k_factor = float(factors[step + 1])
                    recall = recall_against(built, exact, truth, skip_self=True)
                log.info("%s storage: recall@10 %.3f%s", candidate, recall[0],
                         f" (k_factor {built.k_factor:g})" if k_factor else "")  # fmt: skip
                return built, recall
        log.info("%s storage: recall@10 %.3f < %.2f", candidate, recall[0], COMPACT_MIN_RECALL)
        del built
    return None, recall


def remove_rows(index: Any, rows: np.ndarray) -> int:
    """Delete ``rows`` from an exact or compact structure, keeping the order of the rest; a
    fastscan ``IndexRefine`` (which faiss cannot remove from) through both of its parts."""
    faiss = runtime.faiss()
    if not isinstance(index, faiss.IndexRefine):
        return int(index.remove_ids(rows))
    removed = int(faiss.downcast_index(index.refine_index).remove_ids(rows))
    if int(faiss.downcast_index(index.base_index).remove_ids(rows)) != removed:
        raise RuntimeError("fast-scan codes and fp16 vectors removed different rows")
    index.ntotal = index.refine_index.ntotal
    return removed


def reranked(index: Any) -> bool:
    """Whether an IVF-PQ structure re-ranks its candidates from copies of the rows."""
    return isinstance(index, runtime.faiss().IndexRefine) and type_of(index) == "ivfpq"


def rerank_from(index: Any) -> str | None:
    """What an IVF-PQ structure re-ranks from: "fp16", "sq8", or ``None`` (codes only)."""
    if not reranked(index):
        return None
    faiss = runtime.faiss()
    fine = faiss.downcast_index(index.refine_index)
    return "fp16" if fine.sq.qtype == faiss.ScalarQuantizer.QT_fp16 else "sq8"


def build_ivfpq(vectors: np.ndarray, dim: int, *, rerank: str | None = "fp16") -> Any:
    """OPQ-rotated IVF-PQ: ``PQ_BYTES`` bytes per vector, ~4 sqrt(n) lists, direct map on
    (so a row's vector can be decoded for ``vector()`` and saves). k-means trains on
    ``TRAIN_PER_LIST`` rows per list (faiss's minimum; 65,536 left 4,000 lists at 1 M
    under-trained), at least ``TRAIN_ROWS``, at most n. nprobe starts at ``IVF_NPROBE``:
    ``tune_search`` sets it. ``rerank`` ("fp16" / "sq8"): wrapped in an ``IndexRefine`` over
    copies of the rows (2 / 1 bytes a dimension more; ``vector()`` and saves then decode
    those, not the lossy PQ code), k_factor at the largest of ``IVF_K_FACTORS`` until tuned."""
    faiss = runtime.faiss()
    started = time.perf_counter()
    n = len(vectors)
    nlist = int(min(max(16, 4 * math.sqrt(n)), max(16, n // 39)))
    m = pq_bytes(dim)
    index = faiss.index_factory(dim, f"OPQ{m},IVF{nlist},PQ{m}", faiss.METRIC_INNER_PRODUCT)
    opq = faiss.downcast_VectorTransform(index.chain.at(0))
    opq.niter, opq.niter_pq = OPQ_ITERATIONS, OPQ_ITERATIONS  # 50 x 4 by default: minutes
    train = vectors
    rows = max(TRAIN_ROWS, TRAIN_PER_LIST * nlist)
    if n > rows:  # a seeded sample: k-means needs no more than that
        pick = np.random.default_rng(0).choice(n, rows, replace=False)
        train = vectors[np.sort(pick)]
    index.train(train)
    ivf(index).make_direct_map()
    index.add(vectors)
    ivf(index).nprobe = IVF_NPROBE
    if rerank is not None:
        index = _refined(index, vectors, dim, rerank)
    log.info("Built IVF-PQ (nlist %d, trained on %d rows%s) over %d vectors in %.1f s", nlist,
             len(train), f", {rerank} re-rank" if rerank else "", n,
             time.perf_counter() - started)  # fmt: skip
    return index


def _refined(base: Any, vectors: np.ndarray, dim: int, copies: str) -> Any:
    """``base`` (trained, filled) as the first stage of an ``IndexRefine`` over fp16 or
    8-bit copies of the rows (the 8-bit quantizer trains its ranges on them first)."""
    faiss = runtime.faiss()
    qtype = faiss.ScalarQuantizer.QT_fp16 if copies == "fp16" else faiss.ScalarQuantizer.QT_8bit
    fine = faiss.IndexScalarQuantizer(dim, qtype, faiss.METRIC_INNER_PRODUCT)
    fine.train(vectors)
    fine.add(vectors)
    return _refine(base, fine, IVF_K_FACTORS[-1])


def _refine(base: Any, fine: Any, k_factor: float) -> Any:
    """``IndexRefine(base, fine)`` owning both (it frees them when it goes), at ``k_factor``:
    ``k * k_factor`` candidates from ``base``, re-ranked by ``fine``'s closer copies."""
    index = runtime.faiss().IndexRefine(base, fine)
    index.own_fields = True
    base.this.disown()
    fine.this.disown()
    index.k_factor = float(k_factor)
    return index


def ivf(index: Any) -> Any:
    """The IVF inside an OPQ pre-transform (and the re-rank around it)."""
    faiss = runtime.faiss()
    if isinstance(index, faiss.IndexRefine):
        index = faiss.downcast_index(index.base_index)
    if isinstance(index, faiss.IndexPreTransform):
        return faiss.extract_index_ivf(index)
    return faiss.downcast_index(index)


def decoded(index: Any) -> np.ndarray:
    """Every row of a compact or IVF-PQ structure decoded to fp32 (a copy; lossy for sq8 and
    PQ): what ``vector()`` returns and what another type is rebuilt from."""
    n = int(index.ntotal)
    if n == 0:
        return np.empty((0, int(index.d)), dtype=np.float32)
    faiss = runtime.faiss()
    if isinstance(index, faiss.IndexRefine):  # the fp16 copies, not the lossy first stage
        out = faiss.downcast_index(index.refine_index).reconstruct_n(0, n)
    elif type_of(index) != "ivfpq":
        out = index.reconstruct_n(0, n)
    else:
        out = index.reconstruct_batch(np.arange(n, dtype=np.int64))
    out = np.ascontiguousarray(out, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    out /= np.maximum(norms, 1e-12)  # decoding error must not leave non-unit rows
    return out


def search_knob(index: Any) -> dict[str, int]:
    """The search knob an HNSW graph or IVF-PQ index is set to, for the manifest."""
    if type_of(index) == "hnsw":
        return {"ef_search": int(index.hnsw.efSearch)}
    if reranked(index):
        return {"nprobe": int(ivf(index).nprobe), "k_factor": int(index.k_factor)}
    return {"nprobe": int(ivf(index).nprobe)}


def apply_knob(index: Any, knob: Any) -> None:
    """Set a saved ``search_knob`` on ``index``; a missing or malformed one (an index saved
    before tuning) leaves the defaults: efSearch ``HNSW_EF_SEARCH``, nprobe ``IVF_NPROBE``."""
    knob = knob if isinstance(knob, dict) else {}
    if type_of(index) == "hnsw":
        value = knob.get("ef_search")
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            index.hnsw.efSearch = value
    else:
        value = knob.get("nprobe")
        good = isinstance(value, int) and not isinstance(value, bool) and value > 0
        ivf(index).nprobe = min(value, ivf(index).nlist) if good else IVF_NPROBE
        if reranked(index):
            value = knob.get("k_factor")
            good = isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 1024
            index.k_factor = float(value if good else IVF_K_FACTORS[-1])


def _knob_values(index: Any) -> list[int]:
    """The values ``tune_search`` tries, smallest first: efSearch, or nprobe up to nlist."""
    if type_of(index) == "hnsw":
        return list(HNSW_EF_SEARCHES)
    nlist = int(ivf(index).nlist)
    return sorted({min(value, nlist) for value in IVF_NPROBES})


def _set_knob(index: Any, value: int) -> None:
    if type_of(index) == "hnsw":
        index.hnsw.efSearch = value
    else:
        ivf(index).nprobe = value


def tune_search(
    index: Any, exact_vectors: np.ndarray, *, target: float = TARGET_RECALL
) -> tuple[dict[str, int], tuple[float, int]]:
    """Set an HNSW graph's efSearch or an IVF-PQ index's nprobe to the smallest of
    ``HNSW_EF_SEARCHES`` / ``IVF_NPROBES`` whose recall@10 (own row left out, like the
    compact types: a stand-in for a new query) reaches ``target``; else the largest tried,
    where a step gaining less than ``PLATEAU_GAIN`` ends the sweep at the value before it.
    A re-ranked IVF-PQ sweeps nprobe at its largest k_factor, then keeps the k_factor one
    step above the smallest that still reaches the recall at that nprobe (``_tune_k_factor``).
    Returns (``search_knob``, its recall)."""
    truth = exact_neighbours(exact_vectors, skip_self=True)
    best: tuple[int, tuple[float, int]] | None = None
    for value in _knob_values(index):
        _set_knob(index, value)
        recall = recall_against(index, exact_vectors, truth, skip_self=True)
        knob_name = next(iter(search_knob(index)))
        log.info("%s %s %d: recall@10 %.3f", type_of(index), knob_name, value, recall[0])
        if recall[0] >= target:
            best = (value, recall)
            break
        if best is not None and recall[0] - best[1][0] < PLATEAU_GAIN:
            break  # no gain worth the time: keep the smaller value
        best = (value, recall)
    if best is None:  # only if no value was tried (cannot happen: both lists are set)
        return search_knob(index), (0.0, 0)
    _set_knob(index, best[0])
    recall = best[1]
    if reranked(index):  # before search_knob reads the index: this sets its k_factor
        recall = _tune_k_factor(index, exact_vectors, truth, recall, target)
    return search_knob(index), recall


def _tune_k_factor(index: Any, exact_vectors: np.ndarray, truth, at_largest, target: float):
    """The re-rank's k_factor: one step above the smallest of ``IVF_K_FACTORS`` reaching
    ``target`` (new queries do a little worse than stored ones), or the largest (where the
    recall is ``at_largest``) when none below it does. Returns the recall it has."""
    factors = IVF_K_FACTORS
    for step, k_factor in enumerate(factors[:-1]):
        index.k_factor = float(k_factor)
        recall = recall_against(index, exact_vectors, truth, skip_self=True)
        log.info("ivfpq k_factor %d: recall@10 %.3f", k_factor, recall[0])
        if recall[0] >= target:
            index.k_factor = float(factors[step + 1])
            if step + 1 == len(factors) - 1:
                return at_largest
            return recall_against(index, exact_vectors, truth, skip_self=True)
    index.k_factor = float(factors[-1])
    return at_largest


def search_params(index: Any, k: int, *, ef_search: int, live_fraction: float, sel: Any):
    """faiss search parameters for a tombstoned structure: HNSW efSearch (``ef_search``) or
    the index's own (tuned) IVF nprobe, both grown with the share of dead rows, and the
    selector that hides them."""
    faiss = runtime.faiss()
    if type_of(index) == "hnsw":
        params = faiss.SearchParametersHNSW()
        params.efSearch = int(max(ef_search, 2 * k) / live_fraction)
    else:
        params = faiss.SearchParametersIVF()
        params.nprobe = int(min(ivf(index).nprobe / live_fraction, ivf(index).nlist))
    if sel is not None:
        params.sel = sel
    inner = params
    if isinstance(_first_stage(index), faiss.IndexPreTransform):
        outer = faiss.SearchParametersPreTransform()
        outer.index_params = params
        outer._inner = params  # keep the inner object alive as long as the outer one
        params = outer
    if isinstance(index, faiss.IndexRefine):  # the candidates come from the first stage
        refine = faiss.IndexRefineSearchParameters()
        refine.k_factor = index.k_factor
        refine.base_index_params = params
        refine._base = params
        refine._inner = inner
        return refine
    return params


def _first_stage(index: Any) -> Any:
    """The structure a re-ranked index takes its candidates from (itself otherwise)."""
    faiss = runtime.faiss()
    if isinstance(index, faiss.IndexRefine):
        return faiss.downcast_index(index.base_index)
    return index


def to_gpus(index: Any, gpus: int) -> Any:
    """An exact index on the GPUs faiss sees: cloned to GPU 0 with one GPU, sharded over all
    of them (each holds 1/gpus of the rows) with several. Queried with CPU arrays."""
    faiss = runtime.faiss()
    if gpus > 1:
        options = faiss.GpuMultipleClonerOptions()
        options.shard = True
        return faiss.index_cpu_to_all_gpus(index, co=options, ngpu=gpus)
    return faiss.index_cpu_to_gpu(faiss.StandardGpuResources(), 0, index)
