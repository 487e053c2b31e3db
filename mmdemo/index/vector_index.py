"""The vector index: FAISS behind a numpy-in / numpy-out class that knows no models.

``VectorIndex`` stores L2-normalised float32 vectors under stable int64 ids with JSON
metadata per item, searches them by inner product (= cosine), and saves itself atomically
next to a ``manifest.json`` that names the model that made the vectors, so an index is
never searched with vectors from another model.

This module holds the state and its lifecycle; the rest is pure functions beside it
(validation, kernels, storage, types, recall, runtime). Why ~540 lines in one file: every method
here reads or changes the same locked state (the faiss structure, ids, metadata, live
bitmap, recall), and splitting it would spread that one lock's invariants over modules. The
design choices (and why), each explained in full where it is implemented:

* **The type follows the size** (``types.choose``, ``VectorIndex._rebalance``): exact
  ``IndexFlatIP`` up to ``compact_threshold`` (``None``: no compact range), compact exact
  storage (fast-scan candidates re-ranked from fp16, else sq8, else fp16) up to
  ``approx_threshold`` - kept only where its recall@10 measured against the fp32 vectors is
  >= 0.99 - then
  ``IndexHNSWFlat``, then OPQ+IVF-PQ above ``ivfpq_threshold`` or when the memory budget
  is too small. Every switch measures recall@10 vs exact (the ``recall`` module); the
  manifest and ``stats()`` carry it. Shrinking switches back.
* **Removal.** Flat and compact indexes delete rows in place (order kept). HNSW and IVF-PQ
  keep a removed row as a tombstone hidden by a bitmap of live rows
  (``kernels.search_hnsw``); when more than a quarter of the rows are dead the structure
  is rebuilt from the live rows (an O(n) build, done under the lock).
* **One copy of the vectors.** The faiss storage is the only in-memory copy: reads, saves
  and the CPU scan use a zero-copy view of it (``kernels.vectors_view``; compact and PQ
  codes are decoded on demand, ``types.decoded``) and ``load`` reads the ``.npy`` straight
  into it (``storage.read_flat``). Row order always equals id order, so the row of an id
  is a ``searchsorted`` (``VectorIndex._rows``).
* **Single queries on CPU use our own parallel scan**, which runs at memory bandwidth where
  faiss's own single-query paths do not; batches use faiss's sgemm path (``kernels``).
* **GPU.** When ``use_gpu`` and faiss sees a GPU, search is exact there at any size, with
  no HNSW; with several GPUs the rows are sharded over all of them (``types.to_gpus``);
  the host copy stays the source of truth (``VectorIndex._attach_gpu``).
* **Storage.** One generation of files per save, then an atomic manifest replace: a save
  that fails at any point leaves the previous index loadable (``storage``).
* **Threads.** One ``RLock`` around every mutation, search and save (``VectorIndex``).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mmdemo.core.errors import BadInputError
from mmdemo.core.results import IndexStats, ItemMeta
from mmdemo.index import kernels, runtime, storage, types, validation

log = logging.getLogger(__name__)


class VectorIndex:
    """Inner product over L2-normalised float32 vectors; stable int64 ids; JSON metadata
    per item.

    One ``RLock`` guards every mutation, search and save: the app searches while another
    user adds images. ``len``, ``has_hash`` and ``get`` are single dict reads (atomic in
    CPython) and skip it, so they do not wait behind a long save.

    Why this long: every method here reads or changes the locked state; validation,
    kernels, types and storage are pure functions in their own modules.
    """

    # M=32, efConstruction=80: recall@10 >= 0.95 on the unit tests' clustered data. efSearch is
    # tuned at build to a recall target (types.tune_search); 128 is what an index saved before
    # that is searched with
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
        first_id: int = 0,
        compact_threshold: int | None = None,
        ivfpq_threshold: int | None = None,
        memory_budget_bytes: int | None = None,
    ):
        """``first_id``: where new ids start - a reset keeps counting where the old index
        stopped (ids are never reused), and a visitor's overlay starts far above the base.
        The thresholds and budget choose the index type (``types.choose``)."""
        self.dim = validation.as_dim(dim)
        self.model_id = validation.as_model_id(model_id)
        self.approx_threshold = max(0, int(approx_threshold))
        self.use_gpu = bool(use_gpu)
        self.compact_threshold = compact_threshold
        self.ivfpq_threshold = ivfpq_threshold
        self.memory_budget_bytes = memory_budget_bytes
        self._recall: tuple[float | None, int] = (1.0, 0)  # (recall@10, queries measured on)
        self._compact_refused_at = 0  # size at which compact storage last missed its recall
        self._ef_search = self.HNSW_EF_SEARCH  # the graph's tuned efSearch (types.tune_search)
        self._lock = threading.RLock()
        self._flat: Any = None  # IndexFlatIP / IndexScalarQuantizer (host copy on GPU)
        self._hnsw: Any = None  # IndexHNSWFlat or IVF-PQ while approximate (CPU only)
        self._gpu: Any = None  # GPU copy of _flat
        self._gpu_res: Any = None
        self._row_ids = np.empty(0, dtype=np.int64)  # id of each faiss row, ascending
        self._alive = np.empty(0, dtype=bool)  # False for HNSW tombstones
        self._alive_bits: np.ndarray | None = None  # cached bitmap for IDSelectorBitmap
        self._dead = 0
        self._metas: dict[int, ItemMeta] = {}
        self._by_hash: dict[str, int] = {}
        self._next_id = max(0, int(first_id))
        self._created_at = runtime.now()
        self._flat = runtime.faiss().IndexFlatIP(self.dim)
        if self.use_gpu and runtime.gpu_count() > 0:
            self._attach_gpu()

    # -- properties --------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """The index type now: "flat", "fastscan", "sq8", "fp16" (exact scans), "hnsw" or
        "ivfpq"."""
        return types.type_of(self._hnsw if self._hnsw is not None else self._flat)

    @property
    def recall_at_10(self) -> float | None:
        """Recall@10 vs exact search measured when the current structure was built."""
        return self._recall[0]

    @property
    def next_id(self) -> int:
        """The id the next added item gets (ids only grow)."""
        return self._next_id

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

    # -- internals: rows and structures --------------------------------------------------------
    def _storage_view(self) -> np.ndarray:
        """Zero-copy (rows, dim) view of the faiss storage, only valid until the next
        mutation; a decoded copy for compact and PQ codes."""
        index = self._flat if self._hnsw is None else self._hnsw
        if self.kind in ("flat", "hnsw"):
            return kernels.vectors_view(index)
        return types.decoded(index)

    def _live_vectors(self) -> np.ndarray:
        view = self._storage_view()
        return view[self._alive] if self._dead else view

    def _rows(self, ids: Iterable[int]) -> np.ndarray:
        """The faiss rows of known ids. Row order always equals id order (ids only grow and
        compaction keeps order), so this is a ``searchsorted``, not a million-entry dict."""
        return np.searchsorted(self._row_ids, np.fromiter(ids, dtype=np.int64))

    def _attach_gpu(self) -> None:
        """Copy the exact index to GPU 0; on any failure keep searching on CPU.

        GPU brute force handles millions of vectors, so there is no HNSW on GPU. The host
        copy stays the source for ``vector()``, saving and re-uploading after a removal.
        """
        faiss = runtime.faiss()
        try:
            if self._gpu_res is None:
                self._gpu_res = faiss.StandardGpuResources()
            if self.kind != "flat":  # GPU search stays exact: bring the vectors back to flat
                self._to_flat()
            gpus = runtime.gpu_count()
            if gpus > 1:  # shard the rows over every GPU faiss sees
                self._gpu = types.to_gpus(self._flat, gpus)
            else:
                self._gpu = faiss.index_cpu_to_gpu(self._gpu_res, 0, self._flat)
        except Exception:
            log.warning("Could not move the index to the GPU; searching on CPU", exc_info=True)
            self._gpu = None

    def _install(self, *, flat: Any = None, hnsw: Any = None) -> None:
        """Switch to a structure just built over the live rows: the tombstones are gone."""
        self._row_ids = self._row_ids[self._alive]
        self._alive = np.ones(len(self._row_ids), dtype=bool)
        self._alive_bits = None
        self._dead = 0
        self._flat, self._hnsw = flat, hnsw

    def _to_flat(self) -> None:
        """Exact index over the live rows (drops the graph and its tombstones)."""
        self._install(flat=kernels.build_flat(self._live_vectors(), self.dim))
        self._recall = (1.0, 0)

    def _target(self, n: int) -> str:
        """The type ``n`` items should have (``types.choose`` with this index's limits)."""
        return types.choose(
            n, self.dim, approx_threshold=self.approx_threshold,
            compact_threshold=self.compact_threshold, ivfpq_threshold=self.ivfpq_threshold,
            memory_budget_bytes=self.memory_budget_bytes,
        )  # fmt: skip

    def _build(self, kind: str) -> None:
        """(Re)build the live rows as ``kind`` and measure its recall@10 vs exact (HNSW, IVF-PQ:
        while their search knob is tuned to ``types.TARGET_RECALL``). A compact type that
        misses ``types.COMPACT_MIN_RECALL`` (and each type after it in ``types.COMPACT_CHAIN``)
        leaves the index flat."""
        exact = self._live_vectors()
        if kind == "flat":
            return self._to_flat()
        if kind in types.COMPACT:
            built, recall = types.build_compact_checked(exact, self.dim, kind)
            if built is not None:
                self._install(flat=built)
                self._recall = recall
            else:
                self._compact_refused_at = len(exact)
                if self.kind != "flat":
                    self._to_flat()
            return None
        if kind == "hnsw":
            built = kernels.build_hnsw(
                exact, self.dim, m=self.HNSW_M,
                ef_construction=self.HNSW_EF_CONSTRUCTION, ef_search=self.HNSW_EF_SEARCH,
            )  # fmt: skip
        else:
            rerank = types.rerank_choice(len(exact), self.dim, self.memory_budget_bytes)
            built = types.build_ivfpq(exact, self.dim, rerank=rerank)
        knob, recall = types.tune_search(built, exact)
        self._install(hnsw=built)
        self._recall = recall
        if kind == "hnsw":
            self._ef_search = knob["ef_search"]
        log.info("%s over %d items: recall@10 %.3f at %s", kind, len(exact), recall[0], knob)
        return None

    def _rebalance(self) -> None:
        """Switch to the type the size asks for (on CPU; exact on GPU at any size); rebuild
        a tombstoned structure once more than ``REBUILD_DEAD_FRACTION`` of its rows are dead."""
        if self.on_gpu:
            return
        n = len(self._metas)
        want, have = self._target(n), self.kind
        if want in types.COMPACT and have == "flat" and 0 < n < 2 * self._compact_refused_at:
            return  # compact storage missed its recall lately: retry when the size doubles
        if want != have and have not in types.COMPACT_CHAIN.get(want, ()):  # not a fallback
            log.info("%d items: switching the index from %s to %s", n, have, want)
            self._build(want)
        elif self._hnsw is not None and self._dead > self.REBUILD_DEAD_FRACTION * len(self._alive):
            log.info("%d of %d rows removed: rebuilding %s", self._dead, len(self._alive), have)
            self._build(have)
        elif self._rerank_over_budget():  # grown past the budget: smaller copies, or none
            log.info("%d rows: IVF-PQ's %s re-rank copies pass the memory budget: rebuilding",
                     len(self._alive), types.rerank_from(self._hnsw))  # fmt: skip
            self._build(have)

    def _rerank_over_budget(self) -> bool:
        """Whether an IVF-PQ index's re-rank copies, grown by adds, no longer fit the budget
        (the build chose them for fewer rows; the codes alone are never re-chosen)."""
        if self.memory_budget_bytes is None or types.rerank_from(self._hnsw) is None:
            return False
        return len(self._alive) * self._bytes_per_row() > self.memory_budget_bytes

    # -- mutations --------------------------------------------------------------------------
    def add(self, vectors: np.ndarray, metas: Sequence[dict]) -> list[int | None]:
        """Add rows; a row whose sha256 is already known (or repeats in the batch) is skipped.

        Everything is validated before anything changes, so a bad row leaves the index as it was.
        """
        x, cleaned = validation.as_batch(vectors, metas, self.dim, self.model_id)
        if not cleaned:
            return []
        with self._lock:
            hashes = [m["sha256"] for m in cleaned]
            result = validation.new_ids(hashes, self._by_hash, self._next_id)
            keep = [i for i, item_id in enumerate(result) if item_id is not None]
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
            added_at = runtime.now()
            for item_id, i in zip(new_ids.tolist(), keep, strict=True):
                meta = cleaned[i]
                meta.setdefault("added_at", added_at)
                self._metas[item_id] = ItemMeta(id=item_id, **meta)
                self._by_hash[meta["sha256"]] = item_id
            self._next_id += len(keep)
            self._rebalance()
            return result

    def remove(self, ids: Iterable[int]) -> int:
        """Remove items by id; unknown ids are ignored. Returns how many were removed.

        HNSW cannot delete nodes, so there a removed row becomes a tombstone: it stays in the
        graph (it still helps navigation) until ``_rebalance`` rebuilds the graph.
        """
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
            rows = self._rows(gone)
            if self._hnsw is not None:
                self._alive[rows] = False
                self._alive_bits = None
                self._dead += len(rows)
            else:
                removed = types.remove_rows(self._flat, rows.astype(np.int64))  # keeps order
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
        cleaned = validation.clean_meta(fields, f"item {id}", partial=True)
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
            return self._storage_view()[self._rows([int(id)])[0]].copy()

    def search(
        self, queries: np.ndarray, k: int, *, exclude_ids: Collection[int] = ()
    ) -> list[list[tuple[int, float]]]:
        """Best ``k`` (id, inner product) per query, best first; ``exclude_ids`` never returned.

        Queries are normalised too, so scores are cosines in [-1, 1].
        """
        q = validation.as_rows(queries, self.dim, "queries", self.model_id)
        k = validation.as_k(k)
        asked = validation.as_ids(exclude_ids)
        with self._lock:
            n = len(self._metas)
            excluded = asked & self._metas.keys()
            want = min(max(1, k), n - len(excluded))  # k clamped to [1, len], minus exclusions
            if n == 0 or want <= 0:
                return [[] for _ in range(len(q))]
            if self._hnsw is not None:
                rows, scores = self._search_hnsw(q, want, excluded)
            elif self._gpu is None and self.kind != "flat":  # compact codes: faiss's scan
                scores, rows = self._flat.search(q, min(want + len(excluded), n))
            else:  # exact: ask for the excluded ids too, then drop them
                rows, scores = kernels.search_flat(
                    self._flat, self._gpu, q, min(want + len(excluded), n),
                    gpu_max_k=self.GPU_MAX_K, blas_min_queries=self.BLAS_MIN_QUERIES,
                    min_rows_per_task=self.SCAN_MIN_ROWS_PER_TASK,
                )  # fmt: skip
            return kernels.hits(
                rows, scores, want, alive=self._alive, row_ids=self._row_ids, excluded=excluded
            )

    def _search_hnsw(self, q: np.ndarray, want: int, excluded: set[int]):
        excluded_rows = self._rows(excluded)
        live_bits = None  # no filter while every row may be returned
        if self._dead or excluded:
            if self._alive_bits is None:  # kept until the rows change
                self._alive_bits = kernels.live_bitmap(self._alive)
            bits = self._alive_bits
            live_bits = kernels.without_rows(bits, excluded_rows) if excluded else bits
        return kernels.search_hnsw(
            self._hnsw, q, want, alive=self._alive, dead=self._dead, live_bits=live_bits,
            excluded_rows=excluded_rows, ef_search=self._ef_search,
        )  # fmt: skip

    def _bytes_per_row(self) -> int:
        """RAM a row of the current structure takes (IVF-PQ: with its re-rank copy, if any)."""
        return types.bytes_per_vector(self.kind, self.dim, rerank=types.rerank_from(self._hnsw))

    def _search_path(self, nq: int) -> str:
        """Which kernel a batch of ``nq`` queries takes (logged, and printed by the benchmark)."""
        if self._hnsw is not None and types.reranked(self._hnsw):
            k_factor, copies = self._hnsw.k_factor, types.rerank_from(self._hnsw)
            return f"faiss {self.kind} (approximate), k x {k_factor:g} re-ranked from {copies}"
        if self._hnsw is not None:
            return f"faiss {self.kind} (approximate)"
        if self._gpu is None and self.kind == "fastscan":
            k_factor = self._flat.k_factor
            return f"faiss 4-bit fast-scan, k x {k_factor:g} re-ranked from fp16 (compact exact)"
        if self._gpu is None and self.kind != "flat":
            return f"faiss {self.kind} scalar-quantizer scan (compact exact)"
        return kernels.flat_search_path(
            nq, int(self._flat.ntotal), self.dim, on_gpu=self._gpu is not None,
            blas_min_queries=self.BLAS_MIN_QUERIES, min_rows_per_task=self.SCAN_MIN_ROWS_PER_TASK,
        )  # fmt: skip

    def stats(self, directory: str = "") -> IndexStats:
        with self._lock:
            extra = {
                "next_id": self._next_id,
                "approx_threshold": self.approx_threshold,
                "tombstones": self._dead,
                "vector_bytes": len(self._alive) * self._bytes_per_row(),
                "index_type": self.kind,
                "recall_at_10": self._recall[0],
                "recall_measured_on": self._recall[1],
                "faiss_version": runtime.faiss().__version__,
                "search_threads": runtime.cpu_count(),
            }
            if self.kind == "hnsw":
                extra.update(hnsw_m=self.HNSW_M, ef_search=self._ef_search)
            elif self.kind == "ivfpq":
                extra.update(types.search_knob(self._hnsw))
                extra.update(rerank_from=types.rerank_from(self._hnsw))
            return IndexStats(
                count=len(self._metas), dim=self.dim, kind=self.kind, model_id=self.model_id,
                on_gpu=self.on_gpu, directory=str(directory), extra=extra,
            )  # fmt: skip

    # -- persistence (the files themselves: ``storage``) ---------------------------------------
    @staticmethod
    def exists(directory: str | Path) -> bool:
        return storage.exists(directory)

    @staticmethod
    def read_manifest(directory: str | Path) -> dict:
        """The checked manifest; IndexCorruptError if it is missing, unreadable or malformed."""
        return storage.read_manifest(directory)

    def save(self, directory: str | Path) -> None:
        """Write a new generation of files, then atomically point the manifest at it."""
        with self._lock:
            storage.save(
                Path(directory), model_id=self.model_id, dim=self.dim, next_id=self._next_id,
                created_at=self._created_at, metas=self._metas, vectors=self._storage_view(),
                live_rows=self._alive if self._dead else None,
                graph=self._hnsw if self.kind == "flat" or self._hnsw is not None else self._flat,
                graph_rows=self._row_ids, recall=self._recall,
                hnsw_params={"M": self.HNSW_M, "ef_construction": self.HNSW_EF_CONSTRUCTION},
                search_knob=types.search_knob(self._hnsw) if self._hnsw is not None else None,
            )  # fmt: skip

    @classmethod
    def load(
        cls, directory: str | Path, *, expected_model_id: str | None = None,
        expected_dim: int | None = None, approx_threshold: int = 50_000, use_gpu: bool = True,
        compact_threshold: int | None = None, ivfpq_threshold: int | None = None,
        memory_budget_bytes: int | None = None,
    ) -> VectorIndex:  # fmt: skip
        """Load a saved index, refusing one built by another model or dimension. The saved
        structure is reused when its type is the one this size asks for (none on GPU)."""
        directory = Path(directory)
        wants_gpu = use_gpu and runtime.gpu_count() > 0
        limits = dict(
            approx_threshold=approx_threshold, compact_threshold=compact_threshold,
            ivfpq_threshold=ivfpq_threshold, memory_budget_bytes=memory_budget_bytes,
        )  # fmt: skip
        manifest = storage.read_manifest(directory)
        index = cls(manifest["dim"], manifest["model_id"], use_gpu=False, **limits)
        saved = storage.load(
            directory, expected_model_id=expected_model_id, expected_dim=expected_dim,
            graph_above=None, want_type=(lambda n: "flat") if wants_gpu else index._target,
        )  # fmt: skip
        manifest = saved.manifest
        index._created_at = str(manifest.get("created_at") or index._created_at)
        index._next_id = manifest["next_id"]
        index._metas = {m.id: m for m in saved.metas}
        index._by_hash = {m.sha256: m.id for m in saved.metas}
        index._flat, index._hnsw = saved.flat, saved.graph
        index._row_ids, index._alive = saved.row_ids, saved.alive
        index._dead = int(len(saved.alive) - saved.alive.sum())
        if saved.graph is not None and types.type_of(saved.graph) in types.COMPACT:
            index._flat, index._hnsw = saved.graph, None
        if saved.graph is not None:
            recall = manifest.get("recall_at_10")
            index._recall = (recall, int(manifest.get("recall_measured_on") or 0))
        if index._hnsw is not None:  # the knob tuned at build; an older manifest: the defaults
            if index.kind == "hnsw":
                index._hnsw.hnsw.efSearch = cls.HNSW_EF_SEARCH
            types.apply_knob(index._hnsw, manifest.get("search_knob"))
            if index.kind == "hnsw":
                index._ef_search = int(index._hnsw.hnsw.efSearch)
        index.use_gpu = use_gpu
        if wants_gpu:
            index._attach_gpu()
        else:
            index._rebalance()
        log.info("Loaded %r from %s", index, directory)
        return index
