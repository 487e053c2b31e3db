"""Exact-search speed of ``VectorIndex`` against the machine's memory bandwidth.

Run: ``python -m bench.bench_search [--n 1000000] [--dim 512] [--gpu]``

1. Single query: time per query / (bytes scanned / memory bandwidth). Goal <= 1.25.
   Bytes scanned = the whole vector store (n * dim * 4). Bandwidth is measured in the
   same process on the same array (the index's own faiss storage, through a zero-copy
   view): one thread per core, each reducing (``np.max`` / ``np.sum``) its contiguous
   slice; the faster kernel is the reference. On GPU: ``max`` / ``sum`` of a device
   tensor of the same size (torch or cupy).
2. Batch: time per query in a batch of 64 / single-query time. Goal <= 0.15.

Every round measures the bandwidth kernels and both searches back to back, and the
ratios use medians over rounds, because the machine is shared and noisy. The vectors
are random (brute-force speed does not depend on their values). The faiss section
shows which kernel faiss itself picks for one query and for a batch, and its speed.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from bench._machine import cpu_count, cpu_model
from mmdemo.index import VectorIndex

GOAL_SINGLE = 1.25
GOAL_BATCH = 0.15


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def fill(index: VectorIndex, n: int, dim: int, seed: int) -> float:
    """Add n random vectors in chunks (no full-size copy outside the index)."""
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    chunk = 65_536
    for lo in range(0, n, chunk):
        m = min(chunk, n - lo)
        vectors = rng.standard_normal((m, dim), dtype=np.float32)
        metas = [
            {"path": f"img{i}.jpg", "sha256": f"{i:064x}", "size_bytes": 1, "width": 1, "height": 1}
            for i in range(lo, lo + m)
        ]
        index.add(vectors, metas)
    return time.perf_counter() - start


def faiss_path(nq: int, ny: int, dim: int) -> str:
    """The kernel faiss 1.15's knn_inner_product picks (rules of faiss/utils/distances.cpp)."""
    import faiss

    nt = faiss.omp_get_max_threads()
    db_bs = faiss.cvar.distance_compute_blas_database_bs
    if nt > 1 and nq < nt and ny >= max(10_000, nt * db_bs):
        return f"database-parallel sgemm (nq {nq} < {nt} OpenMP threads)"
    threshold = faiss.cvar.distance_compute_blas_threshold
    if nq * dim < threshold:
        return f"sequential, one thread per query (nq*d={nq * dim} < blas_threshold={threshold})"
    return f"BLAS sgemm tiles (nq*d={nq * dim} >= blas_threshold={threshold})"


class CpuBandwidth:
    """Streaming reads of the same array: one contiguous slice per thread."""

    def __init__(self, array: np.ndarray):
        flat = array.reshape(-1)
        self.threads = cpu_count()
        step = -(-flat.size // self.threads)
        self.parts = [flat[i : i + step] for i in range(0, flat.size, step)]
        self.pool = ThreadPoolExecutor(self.threads)
        self.kernels = {"np.max": np.max, "np.sum": np.sum}

    def run(self, name: str) -> float:
        fn = self.kernels[name]
        return timed(lambda: list(self.pool.map(fn, self.parts)))

    def describe(self) -> str:
        return f"{self.threads} thread(s), each np.max / np.sum over a contiguous slice"


class GpuBandwidth:
    """max / sum over a device array of the same size (torch, else cupy)."""

    def __init__(self, n_floats: int):
        try:
            import torch

            self.data = torch.empty(n_floats, dtype=torch.float32, device="cuda").normal_()
            sync = torch.cuda.synchronize
            self.kernels = {"max": lambda: self.data.max(), "sum": lambda: self.data.sum()}
            self.lib = "torch"
        except Exception:
            import cupy

            self.data = cupy.random.standard_normal(n_floats, dtype=cupy.float32)
            sync = cupy.cuda.Device().synchronize
            self.kernels = {"max": lambda: self.data.max(), "sum": lambda: self.data.sum()}
            self.lib = "cupy"
        self.sync = sync

    def run(self, name: str) -> float:
        self.sync()
        start = time.perf_counter()
        self.kernels[name]()
        self.sync()
        return time.perf_counter() - start

    def describe(self) -> str:
        return f"{self.lib} max / sum over a device array of the same size"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--reps", type=int, default=9, help="measured rounds (after 1 warm-up)")
    parser.add_argument("--gpu", action="store_true", help="search on the GPU faiss sees")
    parser.add_argument("--skip-faiss", action="store_true", help="skip the raw faiss section")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import faiss

    n, dim, k = args.n, args.dim, args.k
    default_threshold = faiss.cvar.distance_compute_blas_threshold  # before we lower it
    nbytes = n * dim * 4
    print(f"machine: {platform.machine()}, {cpu_count()} core(s), {cpu_model()}")
    print(
        f"faiss {faiss.__version__} (GPUs seen: {faiss.get_num_gpus()}), numpy {np.__version__}, "
        f"Python {platform.python_version()}"
    )
    print(f"data: {n:,} x {dim} float32 = {nbytes / 2**30:.2f} GiB, k={k}, batch={args.batch}")

    # approx_threshold=n keeps the index exact: this benchmark is about brute force
    index = VectorIndex(dim, "bench:random-normal", approx_threshold=n, use_gpu=args.gpu)
    if args.gpu and not index.on_gpu:
        print("--gpu: faiss sees no usable GPU here; nothing to measure.")
        return 2
    print(f"filled the index in {fill(index, n, dim, args.seed):.1f} s; {index!r}")

    rng = np.random.default_rng(args.seed + 1)
    singles = rng.standard_normal((args.reps + 1, dim), dtype=np.float32)
    batch = rng.standard_normal((args.batch, dim), dtype=np.float32)
    # on CPU: the index's own faiss storage through a zero-copy view (the same bytes)
    bandwidth = GpuBandwidth(n * dim) if index.on_gpu else CpuBandwidth(index._storage_view())
    kernels = list(bandwidth.kernels)

    times: dict[str, list[float]] = {name: [] for name in [*kernels, "single", "batch"]}
    for r in range(args.reps + 1):  # round 0 warms up caches, pools and page tables
        row = {name: bandwidth.run(name) for name in kernels}
        row["single"] = timed(lambda r=r: index.search(singles[r], k))
        row["batch"] = timed(lambda: index.search(batch, k))
        if r:
            for name, value in row.items():
                times[name].append(value)
    med = {name: statistics.median(values) for name, values in times.items()}
    best = min(kernels, key=lambda name: med[name])
    gbps = nbytes / med[best] / 1e9
    bound = nbytes / (gbps * 1e9)
    ratio_single = med["single"] / bound
    ratio_batch = med["batch"] / args.batch / med["single"]

    print(f"\nbandwidth: {bandwidth.describe()}; median of {args.reps} rounds")
    for name in kernels:
        print(f"  {name:8s} {nbytes / med[name] / 1e9:6.1f} GB/s  ({med[name] * 1e3:.1f} ms)")
    print(f"  reference: {best}, {gbps:.1f} GB/s -> bandwidth-bound scan {bound * 1e3:.1f} ms")
    print("VectorIndex.search paths:")
    print(f"  1 query : {index._search_path(1)}")
    print(f"  {args.batch} queries: {index._search_path(args.batch)}")
    print(f"  single query  {med['single'] * 1e3:8.1f} ms (min {min(times['single']) * 1e3:.1f})")
    print(
        f"  batch of {args.batch}   {med['batch'] * 1e3:8.1f} ms = "
        f"{med['batch'] / args.batch * 1e3:.2f} ms per query"
    )

    if not index.on_gpu and not args.skip_faiss:
        raw_faiss_section(index, singles, batch, k, dim, n, default_threshold)

    check = index.search(singles[:1], k)[0]
    exact = exact_top(index._storage_view(), singles[0], k) if not index.on_gpu else None
    if exact is not None:
        print(f"results equal a numpy brute force: {[i for i, _ in check] == exact}")

    print(f"\n{'benchmark':44s} {'ratio':>7s} {'goal':>7s}  result")
    for label, value, goal in (
        ("1 single query / bandwidth-bound time", ratio_single, GOAL_SINGLE),
        (f"2 per query in batch of {args.batch} / single query", ratio_batch, GOAL_BATCH),
    ):
        verdict = "PASS" if value <= goal else "MISS"
        print(f"{label:44s} {value:7.3f} {'<=' + str(goal):>7s}  {verdict}")
    return 0


def exact_top(view: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    q = query / np.linalg.norm(query)
    scores = view @ q
    best = np.argsort(-scores, kind="stable")[:k]
    return best.tolist()  # ids equal rows here: nothing was removed


def raw_faiss_section(index, singles, batch, k, dim, n, default_threshold) -> None:
    """faiss's own IndexFlatIP.search on the same storage: which kernel it picks, how fast."""
    import faiss

    flat = index._flat
    saved = faiss.cvar.distance_compute_blas_threshold
    threads = faiss.omp_get_max_threads()
    q1 = singles[:1] / np.linalg.norm(singles[:1])
    qb = batch / np.linalg.norm(batch, axis=1, keepdims=True)
    print("faiss IndexFlatIP.search on the same storage (median of 3 after 1 warm-up):")

    def run(queries: np.ndarray, omp: int, threshold: int) -> None:
        faiss.omp_set_num_threads(omp)
        faiss.cvar.distance_compute_blas_threshold = threshold
        try:
            path = faiss_path(len(queries), n, dim)
            flat.search(queries, k)
            per = statistics.median(timed(lambda: flat.search(queries, k)) for _ in range(3))
        finally:
            faiss.omp_set_num_threads(threads)
            faiss.cvar.distance_compute_blas_threshold = saved
        label = f"{len(queries)} quer{'y' if len(queries) == 1 else 'ies'}, {omp} thread(s)"
        print(f"  {label:24s} {per / len(queries) * 1e3:8.1f} ms per query  [{path}]")

    run(q1, threads, default_threshold)
    if threads > 1:
        run(q1, 1, default_threshold)
    run(qb, threads, default_threshold)
    run(qb, threads, index.BLAS_MIN_QUERIES * dim)


if __name__ == "__main__":
    sys.exit(main())
