"""The vector index: FAISS behind a numpy-in / numpy-out class that knows no models.

``VectorIndex`` stores L2-normalised float32 vectors under stable int64 ids with JSON
metadata per item, searches them by inner product (= cosine), and saves itself atomically
next to a ``manifest.json`` that names the model that made the vectors, so an index is
never searched with vectors from another model.

Design choices (and why):

* **Exact, then approximate.** Up to ``approx_threshold`` items the vectors live in an
  ``IndexFlatIP`` (exact). Above it, on CPU, they move into an ``IndexHNSWFlat``
  (M=32, efConstruction=80, efSearch>=128: recall@10 >= 0.95 on the unit test's
  clustered data). Falling back to the threshold or below switches back to exact.
* **Removal on HNSW = tombstones.** HNSW cannot delete nodes, so a removed row stays
  in the graph (it still helps navigation) and is hidden by an ``IDSelectorBitmap`` of
  live rows passed to the search, which returns k live hits without oversampling
  guesses. efSearch grows with the dead fraction; when more than a quarter of the rows
  are dead the graph is rebuilt from the live rows (an O(n) build, done under the lock).
* **One copy of the vectors.** The faiss storage is the only in-memory copy:
  ``vector()``, ``save()`` and the CPU scan read it through a zero-copy numpy view
  (``faiss.rev_swig_ptr``), and ``load()`` reads the ``.npy`` straight into it. Row
  order always equals id order (ids only grow and compaction keeps order), so the
  row of an id is a ``searchsorted`` on one int64 array, not a million-entry dict.
* **Single queries on CPU use our own parallel scan.** faiss 1.15 searches one query
  either on one thread (``exhaustive_inner_product_seq``) or, with several OpenMP
  threads, with its database-parallel sgemm path, which is slower still for one query
  on the 2-core machine we measured (bench/bench_search.py). We split the rows into
  chunks, score each chunk with ``faiss.fvec_inner_products_ny`` on a thread pool (the
  call releases the GIL) and keep each chunk's top k with ``argpartition``: this runs
  at memory bandwidth. Batches of ``BLAS_MIN_QUERIES`` or more go to faiss's sgemm
  path, which needs ``faiss.cvar.distance_compute_blas_threshold`` (a process-wide
  faiss knob, default 128000 = 250 queries of dim 512) lowered to
  ``BLAS_MIN_QUERIES * dim``; it is the only faiss global this module touches, and it
  only changes which exact kernel runs.
* **GPU.** When ``use_gpu`` and faiss sees a GPU, the exact index is copied to it with
  ``index_cpu_to_gpu`` and searched there at any size (GPU brute force handles
  millions of vectors, so there is no HNSW on GPU); the host copy stays the source for
  ``vector()``, saving and re-uploading after a removal. No GPU: the same code on CPU.
* **Storage.** ``vectors-<gen>.npy``, ``ids-<gen>.npy`` (int64), ``metadata-<gen>.jsonl``
  and, for HNSW, ``hnsw-<gen>.faiss`` plus ``hnsw-rows-<gen>.npy`` (the id of every
  graph row, dead ones included) so a large graph need not be rebuilt on load. No
  pickle anywhere. ``save`` writes a new generation, fsyncs it, replaces the manifest
  atomically and only then deletes the old generation, so an exception at any point
  before the replace leaves the previous index loadable.
* **Threads.** One ``RLock`` around every mutation, search and save: the app searches
  while another user adds images. ``len``, ``has_hash`` and ``get`` are single dict
  reads (atomic in CPython) and skip it, so they do not wait behind a long save.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import math
import os
import re
import threading
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from mmdemo.errors import BadInputError, IndexCorruptError, IndexMismatchError
from mmdemo.types import IndexStats, ItemMeta

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
METRIC = "inner_product"
_META_FIELDS = tuple(f.name for f in dataclasses.fields(ItemMeta) if f.name != "id")
_REQUIRED_META = ("path", "sha256", "size_bytes", "width", "height")
_DATA_FILE = re.compile(r"^(?:vectors|ids|metadata|hnsw-rows|hnsw)-\d+\.(?:npy|jsonl|faiss)$")


@functools.cache
def _faiss():
    """faiss, imported on first use so ``import mmdemo.index`` stays cheap (~0.3 s saved)."""
    import faiss

    return faiss


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _scan_pool() -> ThreadPoolExecutor:
    """One shared pool for the CPU scan: its size is the cores we may use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(_cpu_count(), thread_name_prefix="mmdemo-scan")
        return _pool


def _gpu_count() -> int:
    faiss = _faiss()
    if not hasattr(faiss, "StandardGpuResources"):
        return 0
    try:
        return int(faiss.get_num_gpus())
    except Exception:  # a broken driver must not stop a CPU search
        log.warning("faiss could not count GPUs; searching on CPU", exc_info=True)
        return 0


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


# -- file helpers (module level so tests can make a save fail half-way) ---------------------


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    """Make renames and new names in ``directory`` durable (not possible on Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.save(f, array, allow_pickle=False)  # writes straight from the buffer, no copy
        f.flush()
        os.fsync(f.fileno())


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line)
            f.write("\n")
        f.flush()
        os.fsync(f.fileno())


def _write_faiss(path: Path, index: Any) -> None:
    _faiss().write_index(index, str(path))
    _fsync_file(path)


def _read_npy(path: Path, *, dtype: np.dtype, ndim: int) -> np.ndarray:
    array = np.load(path, allow_pickle=False)
    if array.dtype != dtype or array.ndim != ndim:
        raise ValueError(
            f"{path.name} holds {array.dtype} {array.shape}, expected {ndim}-D {dtype}"
        )
    return array


def _safe_name(directory: Path, name: object, what: str) -> Path:
    """A data file named by the manifest; never a path that leaves the directory."""
    if not isinstance(name, str) or not name or Path(name).name != name or name.startswith("."):
        raise IndexCorruptError(str(directory), f"the manifest names a bad {what} file {name!r}")
    return directory / name


def _clean_meta(meta: Mapping[str, Any], where: str, *, partial: bool = False) -> dict[str, Any]:
    """Check and coerce metadata fields; unknown keys (including ``id``) are dropped."""
    if not isinstance(meta, Mapping):
        raise BadInputError(f"{where}: metadata must be a dict, not {type(meta).__name__}.")
    if not partial:
        missing = [key for key in _REQUIRED_META if key not in meta]
        if missing:
            raise BadInputError(
                f"{where}: metadata lacks {', '.join(missing)} "
                f"(required: {', '.join(_REQUIRED_META)})."
            )
    out: dict[str, Any] = {}
    for key in _META_FIELDS:
        if key not in meta:
            continue
        value = meta[key]
        if key in ("path", "sha256", "added_at"):
            if not isinstance(value, str) or not value:
                raise BadInputError(f"{where}: {key} must be a non-empty string, not {value!r}.")
        elif key == "caption":
            if value is not None and not isinstance(value, str):
                raise BadInputError(f"{where}: caption must be a string or None, not {value!r}.")
        else:  # size_bytes, width, height
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise BadInputError(f"{where}: {key} must be a whole number >= 0, not {value!r}.")
            value = int(value)
        out[key] = value
    return out


def _as_rows(array: object, dim: int, what: str, model_id: str) -> np.ndarray:
    """(n, dim) float32, L2-normalised in a fresh array; refuses zero and non-finite rows."""
    try:
        x = np.array(array, dtype=np.float32, order="C")
    except (TypeError, ValueError) as err:
        raise BadInputError(f"The {what} must be a numeric array: {err}.") from None
    if x.ndim == 1 and x.shape[0] == dim:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != dim:
        raise BadInputError(
            f"The {what} have shape {x.shape}, but the index for {model_id} holds "
            f"{dim}-dimensional vectors: expected ({dim},) or (n, {dim})."
        )
    if not np.isfinite(x).all():
        raise BadInputError(f"The {what} contain NaN or infinite values.")
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))  # no (n, dim) temporary
    zero = np.flatnonzero(norms < 1e-12)
    if zero.size:
        rows = ", ".join(str(i) for i in zero[:10])
        raise BadInputError(
            f"The {what} include all-zero vectors (row {rows}); a zero vector has no "
            "direction, so it cannot be compared by cosine similarity."
        )
    x /= norms[:, None]
    return x


def _scan_chunk(view: np.ndarray, query: np.ndarray, lo: int, hi: int, k: int):
    """Scores of rows lo:hi against one query and their best k (unordered)."""
    faiss = _faiss()
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


class VectorIndex:
    """Inner product over L2-normalised float32 vectors; stable int64 ids; JSON metadata
    per item."""

    HNSW_M = 32
    HNSW_EF_CONSTRUCTION = 80
    HNSW_EF_SEARCH = 128
    REBUILD_DEAD_FRACTION = 0.25  # rebuild the HNSW graph when this share of rows is dead
    BLAS_MIN_QUERIES = 16  # measured: below this, per-query scans beat faiss's sgemm path
    SCAN_MIN_ROWS_PER_TASK = 32_768  # smaller chunks cost more in thread hand-offs than they gain
    GPU_MAX_K = 2048  # faiss GPU k-selection limit

    def __init__(
        self,
        dim: int,
        model_id: str,
        *,
        approx_threshold: int = 50_000,
        use_gpu: bool = True,
    ):
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
            raise BadInputError(f"The vector dimension must be a whole number >= 1, not {dim!r}.")
        if not isinstance(model_id, str) or not model_id.strip():
            raise BadInputError("The index needs the id of the model that makes its vectors.")
        self.dim = int(dim)
        self.model_id = model_id
        self.approx_threshold = max(0, int(approx_threshold))
        self.use_gpu = bool(use_gpu)
        self._lock = threading.RLock()
        self._flat: Any = None  # faiss.IndexFlatIP while exact (also the host copy on GPU)
        self._hnsw: Any = None  # faiss.IndexHNSWFlat while approximate (CPU only)
        self._gpu: Any = None  # GPU copy of _flat
        self._gpu_res: Any = None
        self._row_ids = np.empty(0, dtype=np.int64)  # id of each faiss row, ascending
        self._alive = np.empty(0, dtype=bool)  # False for HNSW tombstones
        self._alive_bits: np.ndarray | None = None  # cached bitmap for IDSelectorBitmap
        self._dead = 0
        self._metas: dict[int, ItemMeta] = {}
        self._by_hash: dict[str, int] = {}
        self._next_id = 0
        self._created_at = _now()
        self._flat = _faiss().IndexFlatIP(self.dim)
        if self.use_gpu and _gpu_count() > 0:
            self._attach_gpu()

    # -- properties --------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """Either "hnsw" (approximate) or "flat" (exact), for the current size and device."""
        return "hnsw" if self._hnsw is not None else "flat"

    @property
    def on_gpu(self) -> bool:
        return self._gpu is not None

    def __len__(self) -> int:
        return len(self._metas)

    def __repr__(self) -> str:
        return (
            f"VectorIndex(model_id={self.model_id!r}, dim={self.dim}, count={len(self)}, "
            f"kind={self.kind!r}, on_gpu={self.on_gpu})"
        )

    # -- internals: storage -------------------------------------------------------------------
    def _storage(self) -> Any:
        """The faiss flat index holding the vectors (the HNSW graph's storage when approximate)."""
        if self._hnsw is not None:
            return _faiss().downcast_index(self._hnsw.storage)
        return self._flat

    def _storage_view(self) -> np.ndarray:
        """Zero-copy (rows, dim) view of the faiss storage; only valid until the next mutation."""
        storage = self._storage()
        n = int(storage.ntotal)
        if n == 0:
            return np.empty((0, self.dim), dtype=np.float32)
        return _faiss().rev_swig_ptr(storage.get_xb(), n * self.dim).reshape(n, self.dim)

    def _row(self, item_id: int) -> int:
        return int(np.searchsorted(self._row_ids, item_id))

    def _attach_gpu(self) -> None:
        """Copy the exact index to GPU 0; on any failure keep searching on CPU."""
        faiss = _faiss()
        try:
            if self._gpu_res is None:
                self._gpu_res = faiss.StandardGpuResources()
            if self._hnsw is not None:  # GPU search stays exact: bring the vectors back to flat
                self._to_flat()
            self._gpu = faiss.index_cpu_to_gpu(self._gpu_res, 0, self._flat)
        except Exception:
            log.warning("Could not move the index to the GPU; searching on CPU", exc_info=True)
            self._gpu = None

    def _to_flat(self) -> None:
        """Exact index over the live rows (drops the graph and its tombstones)."""
        faiss = _faiss()
        view = self._storage_view()
        flat = faiss.IndexFlatIP(self.dim)
        if self._dead:
            flat.add(view[self._alive])
        elif len(view):
            flat.add(view)
        del view
        self._row_ids = self._row_ids[self._alive]
        self._alive = np.ones(len(self._row_ids), dtype=bool)
        self._alive_bits = None
        self._dead = 0
        self._flat, self._hnsw = flat, None

    def _build_hnsw(self, vectors: np.ndarray | None = None) -> None:
        """(Re)build the graph over the live rows; replaces the flat index or old graph."""
        faiss = _faiss()
        started = time.perf_counter()
        if vectors is None:
            view = self._storage_view()
            vectors = view[self._alive] if self._dead else view
        graph = faiss.IndexHNSWFlat(self.dim, self.HNSW_M, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = self.HNSW_EF_CONSTRUCTION
        graph.hnsw.efSearch = self.HNSW_EF_SEARCH
        graph.add(vectors)
        del vectors
        self._row_ids = self._row_ids[self._alive]
        self._alive = np.ones(len(self._row_ids), dtype=bool)
        self._alive_bits = None
        self._dead = 0
        self._hnsw, self._flat = graph, None
        log.info(
            "Built an HNSW graph over %d vectors (dim %d) in %.1f s",
            len(self._row_ids), self.dim, time.perf_counter() - started,
        )  # fmt: skip

    def _rebalance(self) -> None:
        """Pick exact or approximate for the current size; compact a graph with many tombstones."""
        if self.on_gpu:
            return  # exact on GPU at any size
        n = len(self._metas)
        if self._hnsw is None and n > self.approx_threshold:
            log.info("%d items > approx_threshold %d: switching to HNSW", n, self.approx_threshold)
            self._build_hnsw()
        elif self._hnsw is not None and n <= self.approx_threshold:
            log.info("%d items <= approx_threshold: switching back to exact search", n)
            self._to_flat()
        elif self._hnsw is not None and self._dead > self.REBUILD_DEAD_FRACTION * len(self._alive):
            log.info("%d of %d graph rows removed: rebuilding HNSW", self._dead, len(self._alive))
            self._build_hnsw()

    # -- mutations --------------------------------------------------------------------------
    def add(self, vectors: np.ndarray, metas: Sequence[dict]) -> list[int | None]:
        """Add rows; a row whose sha256 is already known (or repeats in the batch) is skipped.

        Everything is validated before anything changes, so a bad row leaves the index as it was.
        """
        metas = list(metas)
        if not metas:
            if np.size(vectors) != 0:
                raise BadInputError("Got vectors but no metadata: give one dict per vector.")
            return []
        x = _as_rows(vectors, self.dim, "vectors", self.model_id)
        if len(x) != len(metas):
            raise BadInputError(
                f"Got {len(x)} vector(s) but {len(metas)} metadata dict(s); they must pair up."
            )
        cleaned = [_clean_meta(m, f"item {i}") for i, m in enumerate(metas)]
        with self._lock:
            result: list[int | None] = []
            keep: list[int] = []
            seen: set[str] = set()
            for i, meta in enumerate(cleaned):
                sha = meta["sha256"]
                if sha in self._by_hash or sha in seen:
                    result.append(None)
                    continue
                seen.add(sha)
                result.append(self._next_id + len(keep))
                keep.append(i)
            if not keep:
                return result
            new = x if len(keep) == len(x) else x[keep]
            new_ids = np.arange(self._next_id, self._next_id + len(keep), dtype=np.int64)
            # faiss first: if it fails (memory) the bookkeeping below is still untouched
            if self._hnsw is not None:
                self._hnsw.add(new)
            else:
                self._flat.add(new)
                if self._gpu is not None:
                    self._gpu.add(new)
            del new, x
            self._row_ids = np.concatenate([self._row_ids, new_ids])
            self._alive = np.concatenate([self._alive, np.ones(len(new_ids), dtype=bool)])
            self._alive_bits = None
            added_at = _now()
            for item_id, i in zip(new_ids.tolist(), keep, strict=True):
                meta = cleaned[i]
                meta.setdefault("added_at", added_at)
                self._metas[item_id] = ItemMeta(id=item_id, **meta)
                self._by_hash[meta["sha256"]] = item_id
            self._next_id += len(keep)
            self._rebalance()
            return result

    def remove(self, ids: Iterable[int]) -> int:
        """Remove items by id; unknown ids are ignored. Returns how many were removed."""
        with self._lock:
            gone: list[int] = []
            for raw in ids:
                try:
                    item_id = int(raw)
                except (TypeError, ValueError):
                    continue
                meta = self._metas.pop(item_id, None)
                if meta is None:
                    continue
                self._by_hash.pop(meta.sha256, None)
                gone.append(item_id)
            if not gone:
                return 0
            rows = np.searchsorted(self._row_ids, np.array(gone, dtype=np.int64))
            if self._hnsw is not None:
                self._alive[rows] = False
                self._alive_bits = None
                self._dead += len(rows)
            else:
                removed = self._flat.remove_ids(rows.astype(np.int64))  # keeps row order
                if removed != len(rows):  # cannot happen unless the bookkeeping is wrong
                    raise RuntimeError(f"faiss removed {removed} rows, expected {len(rows)}")
                self._row_ids = np.delete(self._row_ids, rows)
                self._alive = np.ones(len(self._row_ids), dtype=bool)
                if self._gpu is not None:  # GPU flat indexes cannot remove: upload again
                    self._gpu = None
                    self._attach_gpu()
            self._rebalance()
            return len(gone)

    def update_meta(self, id: int, **fields: Any) -> None:
        """Change stored metadata fields (e.g. ``caption``); they persist with the next save."""
        unknown = sorted(set(fields) - set(_META_FIELDS))
        if unknown:
            raise BadInputError(
                f"Unknown metadata field(s) {', '.join(unknown)}. "
                f"Valid fields: {', '.join(_META_FIELDS)}."
            )
        cleaned = _clean_meta(fields, f"item {id}", partial=True)
        with self._lock:
            old = self._metas[int(id)]
            new = dataclasses.replace(old, **cleaned)
            if new.sha256 != old.sha256:
                owner = self._by_hash.get(new.sha256)
                if owner is not None:
                    raise BadInputError(f"Item {owner} already has sha256 {new.sha256}.")
                del self._by_hash[old.sha256]
                self._by_hash[new.sha256] = old.id
            self._metas[old.id] = new

    # -- reads --------------------------------------------------------------------------------
    def has_hash(self, sha256: str) -> bool:
        return sha256 in self._by_hash

    def get(self, id: int) -> ItemMeta:
        try:
            return self._metas[int(id)]
        except (KeyError, TypeError, ValueError):
            raise KeyError(f"No item with id {id!r} in the index.") from None

    def items(self) -> list[ItemMeta]:
        with self._lock:
            return list(self._metas.values())  # insertion order is id order

    def vector(self, id: int) -> np.ndarray:
        """A copy of the stored (normalised) vector of ``id``."""
        with self._lock:
            self.get(id)  # KeyError for unknown or removed ids
            return self._storage_view()[self._row(int(id))].copy()

    def search(
        self, queries: np.ndarray, k: int, *, exclude_ids: Collection[int] = ()
    ) -> list[list[tuple[int, float]]]:
        """Best ``k`` (id, inner product) per query, best first; ``exclude_ids`` never returned.

        Queries are normalised too, so scores are cosines in [-1, 1].
        """
        q = _as_rows(queries, self.dim, "queries", self.model_id)
        try:
            k = int(k)
        except (TypeError, ValueError):
            raise BadInputError(f"k must be a whole number, not {k!r}.") from None
        with self._lock:
            n = len(self._metas)
            try:
                excluded = {int(i) for i in exclude_ids} & self._metas.keys()
            except (TypeError, ValueError):
                raise BadInputError(f"exclude_ids must be item ids, not {exclude_ids!r}.") from None
            want = min(max(1, k), n - len(excluded))  # k clamped to [1, len], minus exclusions
            if n == 0 or want <= 0:
                return [[] for _ in range(len(q))]
            if self._hnsw is not None:
                rows, scores = self._search_hnsw(q, want, excluded)
            else:
                rows, scores = self._search_flat(q, min(want + len(excluded), n))
            return self._collect(rows, scores, want, excluded)

    def _collect(self, rows, scores, want: int, excluded: set[int]):
        out = []
        for row_list, score_list in zip(rows.tolist(), scores.tolist(), strict=True):
            hits = []
            for row, score in zip(row_list, score_list, strict=True):
                if row < 0 or not self._alive[row]:
                    continue
                item_id = int(self._row_ids[row])
                if item_id in excluded:
                    continue
                hits.append((item_id, float(score)))
                if len(hits) == want:
                    break
            out.append(hits)
        return out

    def _search_path(self, nq: int) -> str:
        """Which kernel a batch of ``nq`` queries takes (logged, and printed by the benchmark)."""
        if self._hnsw is not None:
            return "faiss HNSW (approximate)"
        if self._gpu is not None:
            return "faiss GPU brute force (exact)"
        if nq >= self.BLAS_MIN_QUERIES:
            return f"faiss sgemm (BLAS) path, blas_threshold <= {self.BLAS_MIN_QUERIES * self.dim}"
        n = int(self._flat.ntotal)
        tasks = math.ceil(n / self._rows_per_task(n)) if n else 0
        return f"parallel fvec_inner_products_ny scan: {tasks} chunk(s) on {_cpu_count()} thread(s)"

    def _rows_per_task(self, n: int) -> int:
        return max(self.SCAN_MIN_ROWS_PER_TASK, math.ceil(n / (4 * _cpu_count())))

    def _search_flat(self, q: np.ndarray, kk: int) -> tuple[np.ndarray, np.ndarray]:
        faiss = _faiss()
        if self._gpu is not None and kk <= self.GPU_MAX_K:
            scores, rows = self._gpu.search(q, kk)
            return rows, scores
        if len(q) >= self.BLAS_MIN_QUERIES:
            wanted = self.BLAS_MIN_QUERIES * self.dim
            if faiss.cvar.distance_compute_blas_threshold > wanted:
                faiss.cvar.distance_compute_blas_threshold = wanted
            scores, rows = self._flat.search(q, kk)
            return rows, scores
        view = self._storage_view()
        rows = np.empty((len(q), kk), dtype=np.int64)
        scores = np.empty((len(q), kk), dtype=np.float32)
        for i in range(len(q)):
            rows[i], scores[i] = self._scan(view, q[i], kk)
        return rows, scores

    def _scan(self, view: np.ndarray, query: np.ndarray, kk: int):
        """Exact top-kk of one query, chunks scored in parallel; ties go to the lower row."""
        n = len(view)
        step = self._rows_per_task(n)
        if n <= step or _cpu_count() == 1:
            parts = [_scan_chunk(view, query, 0, n, kk)]
        else:
            pool = _scan_pool()
            futures = [
                pool.submit(_scan_chunk, view, query, lo, min(lo + step, n), kk)
                for lo in range(0, n, step)
            ]
            wait(futures)  # all done before we return and a mutation can move the storage
            parts = [f.result() for f in futures]
        rows = np.concatenate([p[0] for p in parts])
        scores = np.concatenate([p[1] for p in parts])
        order = np.lexsort((rows, -scores))[:kk]
        return rows[order], scores[order]

    def _live_bitmap(self, excluded: set[int]) -> np.ndarray:
        if self._alive_bits is None:
            self._alive_bits = np.packbits(self._alive, bitorder="little")
        if not excluded:
            return self._alive_bits
        bits = self._alive_bits.copy()
        for row in np.searchsorted(self._row_ids, np.fromiter(excluded, dtype=np.int64)):
            bits[row >> 3] &= np.uint8(0xFF ^ (1 << (row & 7)))
        return bits

    def _search_hnsw(self, q: np.ndarray, want: int, excluded: set[int]):
        faiss = _faiss()
        params = faiss.SearchParametersHNSW()
        live_fraction = max(0.1, 1.0 - self._dead / max(1, len(self._alive)))
        params.efSearch = int(max(self.HNSW_EF_SEARCH, 2 * want) / live_fraction)
        bits = sel = None
        if self._dead or excluded:
            # dead rows still guide the graph walk but are never returned
            bits = self._live_bitmap(excluded)
            sel = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))  # n is in bytes
            params.sel = sel
        scores, rows = self._hnsw.search(q, want, params=params)
        del sel, bits
        short = np.flatnonzero((rows < 0).any(axis=1))
        if short.size:  # the walk found fewer than k live rows (tiny or badly pruned graph)
            rows, scores = rows.copy(), scores.copy()
            for i in short:
                rows[i], scores[i] = self._masked_exact(q[i], want, excluded)
        return rows, scores

    def _masked_exact(self, query: np.ndarray, want: int, excluded: set[int]):
        """Brute force over live rows, for the rare query where the HNSW walk falls short."""
        scores = self._storage_view() @ query
        scores[~self._alive] = -np.inf
        if excluded:
            scores[np.searchsorted(self._row_ids, np.fromiter(excluded, dtype=np.int64))] = -np.inf
        best = np.argsort(-scores, kind="stable")[:want]
        return best, scores[best]

    def stats(self, directory: str = "") -> IndexStats:
        with self._lock:
            extra = {
                "next_id": self._next_id,
                "approx_threshold": self.approx_threshold,
                "tombstones": self._dead,
                "vector_bytes": len(self._alive) * self.dim * 4,
                "faiss_version": _faiss().__version__,
                "search_threads": _cpu_count(),
            }
            if self._hnsw is not None:
                extra.update(hnsw_m=self.HNSW_M, ef_search=self.HNSW_EF_SEARCH)
            return IndexStats(
                count=len(self._metas), dim=self.dim, kind=self.kind, model_id=self.model_id,
                on_gpu=self.on_gpu, directory=str(directory), extra=extra,
            )  # fmt: skip

    # -- persistence ----------------------------------------------------------------------------
    @staticmethod
    def exists(directory: str | Path) -> bool:
        return (Path(directory) / MANIFEST_NAME).is_file()

    @staticmethod
    def read_manifest(directory: str | Path) -> dict:
        """The checked manifest; IndexCorruptError if it is missing, unreadable or malformed."""
        directory = Path(directory)
        where = str(directory)
        try:
            manifest = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IndexCorruptError(where, f"there is no {MANIFEST_NAME}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise IndexCorruptError(where, f"{MANIFEST_NAME} is not valid JSON ({err})") from None
        if not isinstance(manifest, dict):
            raise IndexCorruptError(where, f"{MANIFEST_NAME} is not a JSON object")
        version = manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexCorruptError(
                where, f"format_version {version!r} is not supported (this version reads "
                f"{FORMAT_VERSION})",
            )  # fmt: skip
        checks = {
            "model_id": lambda v: isinstance(v, str) and v,
            "dim": lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
            "count": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
            "next_id": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
            "metric": lambda v: v == METRIC,
            "normalized": lambda v: v is True,
            "kind": lambda v: v in ("flat", "hnsw"),
            "files": lambda v: isinstance(v, dict),
        }
        for key, ok in checks.items():
            if key not in manifest:
                raise IndexCorruptError(where, f"{MANIFEST_NAME} lacks {key!r}")
            if not ok(manifest[key]):
                raise IndexCorruptError(
                    where, f"{MANIFEST_NAME} has a bad {key}: {manifest[key]!r}"
                )
        return manifest

    def save(self, directory: str | Path) -> None:
        """Write a new generation of files, then atomically point the manifest at it."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            try:
                generation = int(self.read_manifest(directory).get("generation", 0)) + 1
            except (IndexCorruptError, TypeError, ValueError):
                generation = 1
            names = {
                "vectors": f"vectors-{generation}.npy",
                "ids": f"ids-{generation}.npy",
                "metadata": f"metadata-{generation}.jsonl",
            }
            if self._hnsw is not None:
                names["faiss_index"] = f"hnsw-{generation}.faiss"
                names["hnsw_rows"] = f"hnsw-rows-{generation}.npy"
            tmp = directory / (MANIFEST_NAME + ".tmp")
            try:
                view = self._storage_view()
                _write_npy(directory / names["vectors"], view[self._alive] if self._dead else view)
                del view
                ids = np.fromiter(self._metas.keys(), dtype=np.int64, count=len(self._metas))
                _write_npy(directory / names["ids"], ids)
                _write_lines(
                    directory / names["metadata"],
                    (json.dumps(m.to_json(), ensure_ascii=False) for m in self._metas.values()),
                )
                if self._hnsw is not None:
                    _write_faiss(directory / names["faiss_index"], self._hnsw)
                    _write_npy(directory / names["hnsw_rows"], self._row_ids)
                manifest = {
                    "format_version": FORMAT_VERSION,
                    "model_id": self.model_id,
                    "dim": self.dim,
                    "metric": METRIC,
                    "normalized": True,
                    "count": len(self._metas),
                    "next_id": self._next_id,
                    "kind": self.kind,
                    "faiss_version": _faiss().__version__,
                    "created_at": self._created_at,
                    "updated_at": _now(),
                    "generation": generation,
                    "files": names,
                }
                if self._hnsw is not None:
                    manifest["hnsw"] = {
                        "M": self.HNSW_M,
                        "ef_construction": self.HNSW_EF_CONSTRUCTION,
                    }
                _write_lines(tmp, [json.dumps(manifest, indent=2)])
                _fsync_dir(directory)
                os.replace(tmp, directory / MANIFEST_NAME)
            except BaseException:
                for name in [*names.values(), tmp.name]:
                    with contextlib.suppress(OSError):
                        (directory / name).unlink(missing_ok=True)
                raise
            _fsync_dir(directory)
            keep = set(names.values())
            for old in directory.iterdir():
                if _DATA_FILE.match(old.name) and old.name not in keep:
                    try:
                        old.unlink()
                    except OSError:
                        log.warning("Could not delete old index file %s", old, exc_info=True)
            log.debug(
                "Saved %d items to %s (generation %d)", len(self._metas), directory, generation
            )

    @classmethod
    def load(
        cls,
        directory: str | Path,
        *,
        expected_model_id: str | None = None,
        expected_dim: int | None = None,
        approx_threshold: int = 50_000,
        use_gpu: bool = True,
    ) -> VectorIndex:
        """Load a saved index, refusing one built by another model or dimension."""
        directory = Path(directory)
        for attempt in range(3):
            manifest = cls.read_manifest(directory)
            model_id, dim = manifest["model_id"], manifest["dim"]
            if (expected_model_id is not None and model_id != expected_model_id) or (
                expected_dim is not None and dim != expected_dim
            ):
                raise IndexMismatchError(
                    str(directory),
                    f"{model_id} (dim {dim})",
                    f"{expected_model_id or model_id} (dim {expected_dim or dim})",
                )
            try:
                return cls._from_files(directory, manifest, approx_threshold, use_gpu)
            except FileNotFoundError as err:
                # a concurrent save may have just replaced this generation: read the new one
                try:
                    moved = cls.read_manifest(directory).get("generation") != manifest.get(
                        "generation"
                    )
                except IndexCorruptError:
                    moved = False
                if moved and attempt < 2:
                    continue
                missing = Path(err.filename or "?").name
                raise IndexCorruptError(
                    str(directory), f"the data file {missing} is missing"
                ) from None
        raise AssertionError("unreachable")

    @classmethod
    def _from_files(cls, directory: Path, manifest: dict, approx_threshold: int, use_gpu: bool):
        where = str(directory)
        files = manifest["files"]
        count, dim = manifest["count"], manifest["dim"]
        try:
            ids = _read_npy(_safe_name(directory, files.get("ids"), "ids"), dtype=np.int64, ndim=1)
            if len(ids) != count:
                raise ValueError(
                    f"the manifest says {count} items but the ids file holds {len(ids)}"
                )
            if count and (
                np.any(np.diff(ids) <= 0) or ids[0] < 0 or ids[-1] >= manifest["next_id"]
            ):
                raise ValueError("the ids are not increasing, or not below next_id")
            metas = cls._read_metas(_safe_name(directory, files.get("metadata"), "metadata"), ids)
        except (ValueError, OSError) as err:
            if isinstance(err, FileNotFoundError):
                raise
            raise IndexCorruptError(where, str(err)) from None

        index = cls(dim, manifest["model_id"], approx_threshold=approx_threshold, use_gpu=False)
        index._created_at = str(manifest.get("created_at") or index._created_at)
        index._next_id = manifest["next_id"]
        index._metas = {m.id: m for m in metas}
        index._by_hash = {m.sha256: m.id for m in metas}
        wants_gpu = use_gpu and _gpu_count() > 0
        vectors_path = _safe_name(directory, files.get("vectors"), "vectors")
        graph_name = files.get("faiss_index")
        if not wants_gpu and count > approx_threshold and graph_name:
            index._hnsw_from_file(directory, manifest, ids, vectors_path)
        else:
            index._flat = cls._read_flat(vectors_path, count, dim, where)
            index._row_ids = ids
            index._alive = np.ones(count, dtype=bool)
        index.use_gpu = use_gpu
        if wants_gpu:
            index._attach_gpu()
        else:
            index._rebalance()
        log.info("Loaded %r from %s", index, directory)
        return index

    @staticmethod
    def _read_metas(path: Path, ids: np.ndarray) -> list[ItemMeta]:
        metas: list[ItemMeta] = []
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    meta = ItemMeta.from_json(data)
                except (json.JSONDecodeError, TypeError, AttributeError) as err:
                    raise ValueError(
                        f"{path.name} line {lineno} is not a valid item ({err})"
                    ) from None
                metas.append(meta)
        if len(metas) != len(ids) or any(
            m.id != i for m, i in zip(metas, ids.tolist(), strict=True)
        ):
            raise ValueError(f"{path.name} does not list the same items as the ids file")
        if len({m.sha256 for m in metas}) != len(metas):
            raise ValueError(f"{path.name} lists the same sha256 twice")
        return metas

    @staticmethod
    def _read_flat(path: Path, count: int, dim: int, where: str) -> Any:
        """Read the .npy straight into faiss storage: no second copy of the vectors in RAM."""
        faiss = _faiss()
        flat = faiss.IndexFlatIP(dim)
        with open(path, "rb") as f:
            try:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                else:
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            except ValueError as err:
                raise IndexCorruptError(where, f"{path.name} is not a .npy file ({err})") from None
            if shape != (count, dim) or dtype != np.float32 or fortran:
                raise IndexCorruptError(
                    where, f"{path.name} holds {dtype} {shape}, expected float32 ({count}, {dim})"
                )
            if count:
                nbytes = count * dim * 4
                flat.codes.resize(nbytes)
                flat.ntotal = count
                view = faiss.rev_swig_ptr(flat.get_xb(), count * dim)
                buffer = memoryview(view).cast("B")
                done = 0
                while done < nbytes:  # one read() returns at most ~2 GiB on Linux
                    got = f.readinto(buffer[done : done + (256 << 20)])
                    if not got:
                        raise IndexCorruptError(where, f"{path.name} is truncated")
                    done += got
                del buffer
                sq = np.einsum("ij,ij->i", view.reshape(count, dim), view.reshape(count, dim))
                if not np.all(np.abs(sq - 1.0) < 1e-3):
                    raise IndexCorruptError(
                        where, f"{path.name} holds vectors that are not unit length"
                    )
        return flat

    def _hnsw_from_file(self, directory: Path, manifest: dict, ids: np.ndarray, vectors_path: Path):
        """Use the saved graph; check it against the ids and the vectors file (read lazily)."""
        faiss = _faiss()
        where = str(directory)
        files = manifest["files"]
        graph_path = _safe_name(directory, files.get("faiss_index"), "faiss_index")
        rows_path = _safe_name(directory, files.get("hnsw_rows"), "hnsw_rows")
        if not graph_path.is_file():
            raise FileNotFoundError(2, "missing", str(graph_path))
        try:
            # read_index already returns the concrete class; downcasting this temporary
            # would leave a wrapper of an object Python has freed
            graph = faiss.read_index(str(graph_path))
        except RuntimeError as err:
            raise IndexCorruptError(
                where, f"{graph_path.name} cannot be read by faiss ({err})"
            ) from None
        try:
            row_ids = _read_npy(rows_path, dtype=np.int64, ndim=1)
            vectors = np.load(vectors_path, mmap_mode="r", allow_pickle=False)
        except ValueError as err:
            raise IndexCorruptError(where, str(err)) from None
        if (
            not isinstance(graph, faiss.IndexHNSWFlat)
            or graph.d != self.dim
            or graph.metric_type != faiss.METRIC_INNER_PRODUCT
            or graph.ntotal != len(row_ids)
            or (len(row_ids) > 1 and np.any(np.diff(row_ids) <= 0))
            or vectors.shape != (len(ids), self.dim)
            or vectors.dtype != np.float32
        ):
            raise IndexCorruptError(where, f"{graph_path.name} does not match the other files")
        alive = np.isin(row_ids, ids, assume_unique=True)
        if int(alive.sum()) != len(ids):
            raise IndexCorruptError(where, f"{rows_path.name} does not list every saved id")
        self._hnsw, self._flat = graph, None
        self._row_ids, self._alive = row_ids, alive
        self._dead = int(len(alive) - alive.sum())
        view = self._storage_view()  # spot-check the first, middle and last live vectors
        live_rows = np.flatnonzero(alive)
        for i in {0, len(ids) // 2, len(ids) - 1} if len(ids) else ():
            if not np.array_equal(view[live_rows[i]], vectors[i]):
                raise IndexCorruptError(where, f"{graph_path.name} and {vectors_path.name} differ")
        self._hnsw.hnsw.efSearch = self.HNSW_EF_SEARCH
