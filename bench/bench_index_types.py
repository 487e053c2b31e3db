"""Every index type the app can choose, at 1 M x 512: build, memory, query time, recall@10.

Run: ``flock /tmp/mmdemo-bench.lock python -m bench.bench_index_types [--n 1000000]``
(``--n 20000 --hnsw-n 20000`` to try it in seconds; ``--calibrate-lite`` measures the
embedding statistics the synthetic data copies, see below).

Data: clustered synthetic unit vectors (no real CLIP weights can be fetched here). Each
vector is ``normalize(sqrt(1 - s_j) * (sqrt(a) * mean + sqrt(b) * centre_j) / sqrt(a + b)
+ sqrt(s_j) * noise)``: one shared mean direction (embeddings sit in a narrow cone, so
unrelated images still score > 0), ~n/100 Zipf-sized clusters (a few big topics, many small
ones), each with its own spread ``s_j`` (x1/3 .. x3 of the mean: near-duplicate bursts to
loose topics) along ``--rank`` directions of its own. The constants come from real
embeddings of augmented photos: the ``lite`` embedder (EfficientNet + sentence encoders,
real weights; 896-d, not CLIP) on the 22 photos of ``assets/gallery`` and
``assets/quality/heldout``, 12 augmentations each (crops, flips, rotations, colour,
brightness, blur): ``a`` = mean cosine of two different photos, ``a + b`` = mean cosine of
two augmentations of one photo, the rank from how the cosines of a member's 11 siblings
fall off (``--calibrate-lite`` prints lite's and the generator's figures). Queries are
drawn from the same clusters but are not in the database (held out).

Per type, built by the functions the app uses (``mmdemo.index.types`` / ``kernels``, without
the per-item metadata): build time (for the compact types including the recall check that
decides whether the app keeps them), RSS growth and bytes per vector, single-query p50 and
per-query time in a batch of 64 (k = 10; both through the app's own search call for that
type), recall@10 of the held-out queries vs exact fp32 search. HNSW and IVF-PQ: at the
search knob ``types.tune_search`` chooses at build (efSearch / nprobe, timed as ``tune_s``)
and, on the same structure, at the old fixed one (efSearch 128 / nprobe 32), side by side.
Single queries of the exact and compact types are timed interleaved (flat, then each other
type, per query), so the ratio to fp32 flat is side by side. HNSW builds at ``--hnsw-n``
(its build on 2 cores is long); its line says at what n.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from bench._machine import cpu_count, cpu_model
from mmdemo.index import VectorIndex, kernels, runtime, types

log = logging.getLogger("bench_index_types")

GOAL_RATIO = 0.5  # compact exact single query / fp32 flat single query
GOAL_RECALL = 0.99
K = 10
# from --calibrate-lite (lite embedder, 22 photos x 12 augmentations; see the docstring)
BETWEEN_COS = 0.63  # a: two different photos (lite: 0.632)
WITHIN_COS = 0.94  # a + b: two augmentations of one photo (lite: 0.939)
# directions of the spread inside a cluster: lite's nearest / farthest of 11 siblings are
# 0.993 / 0.912 (medians); the generator gives 0.989 / 0.903 at rank 4, 0.984 / 0.913 at 6,
# 0.970 / 0.931 at 24 (--calibrate-lite)
RANK = 6
ASSETS = Path(__file__).resolve().parents[1] / "assets"


# -- data -------------------------------------------------------------------------------------


class Clusters:
    """The synthetic mixture: draws database rows and held-out queries from one set of
    clusters, in chunks (no 1 M-row temporary beyond the output).

    Within a cluster the spread lies in ``rank`` directions of its own (picked from a pool
    of ``POOL`` orthonormal ones): real embeddings vary along few directions locally, so
    neighbours' cosines fall off gradually; isotropic 512-d noise would make every member
    of a cluster equally far from a query (a worst case no real collection looks like)."""

    POOL = 256

    def __init__(self, n: int, dim: int, seed: int, between: float, within: float,
                 rank: int = RANK):  # fmt: skip
        rng = np.random.default_rng(seed)
        self.dim, self.rank = dim, rank
        count = max(10, n // 100)  # ~100 per cluster on average, Zipf-sized
        sizes = 1.0 / np.arange(1, count + 1) ** 0.8
        self.weights = sizes / sizes.sum()
        mean = rng.standard_normal(dim)
        self.mean = mean / np.linalg.norm(mean)
        centres = rng.standard_normal((count, dim))
        self.centres = centres / np.linalg.norm(centres, axis=1, keepdims=True)
        self.pool = np.linalg.qr(rng.standard_normal((dim, min(self.POOL, dim))))[0].T
        pool = len(self.pool)
        self.directions = np.argsort(rng.random((count, pool)), axis=1)[:, :rank]
        spread = 1.0 - within  # the noise share of a unit vector's energy, on average
        # per-cluster spread, log-uniform over x1/3 .. x3 of the mean (duplicates .. topics)
        factor = np.exp(rng.uniform(-1.1, 1.1, count))
        self.spread = np.clip(spread * factor / (np.sinh(1.1) / 1.1), 1e-4, 0.95)  # mean 1
        self.a, self.b = between, max(within - between, 1e-3)
        self.rng = rng

    def draw(self, m: int) -> np.ndarray:
        """``m`` unit vectors (float32) from the mixture."""
        rng = self.rng
        which = rng.choice(len(self.weights), m, p=self.weights)
        s = self.spread[which, None]
        z = np.zeros((m, len(self.pool)), dtype=np.float32)
        coords = rng.standard_normal((m, self.rank)).astype(np.float32) / np.sqrt(self.rank)
        np.put_along_axis(z, self.directions[which], coords, axis=1)
        noise = z @ self.pool.astype(np.float32)
        scale = np.sqrt(1.0 - s)  # keep a : b as calibrated, inside 1 - s
        total = self.a + self.b
        x = (scale * np.sqrt(self.a / total)) * self.mean + (
            scale * np.sqrt(self.b / total)
        ) * self.centres[which]
        x = (x + np.sqrt(s) * noise).astype(np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return x

    def groups(self, count: int, size: int) -> list[np.ndarray]:
        """``count`` groups of ``size`` members of one cluster each (for the calibration)."""
        out = []
        for j in self.rng.choice(len(self.weights), count, replace=False):
            keep_w = self.weights
            self.weights = np.eye(len(keep_w))[j]
            out.append(self.draw(size))
            self.weights = keep_w
        return out


def group_stats(groups: list[np.ndarray]) -> dict:
    """Cosines inside groups (one photo's augmentations, or one synthetic cluster): the
    mean, and each member's nearest / farthest sibling (how neighbour cosines fall off)."""
    within, nearest, farthest = [], [], []
    for g in groups:
        sims = g @ g.T
        np.fill_diagonal(sims, np.nan)
        within.append(np.nanmean(sims))
        nearest.extend(np.nanmax(sims, axis=1))
        farthest.extend(np.nanmin(sims, axis=1))
    return {
        "within_cos_mean": float(np.mean(within)),
        "nearest_sibling_median": float(np.median(nearest)),
        "farthest_sibling_median": float(np.median(farthest)),
    }


def neighbour_stats(view: np.ndarray, queries: np.ndarray, truth_scores: np.ndarray) -> dict:
    """What the data looks like to a search: cosines of the 1st / 10th / 11th neighbour of
    held-out queries and of random pairs (to compare with real embeddings)."""
    rng = np.random.default_rng(1)
    a = view[rng.integers(0, len(view), 2000)]
    b = view[rng.integers(0, len(view), 2000)]
    return {
        "random_pair_cos_mean": float(np.mean(np.sum(a * b, axis=1))),
        "nn1_cos_median": float(np.median(truth_scores[:, 0])),
        "nn10_cos_median": float(np.median(truth_scores[:, 9])),
        "gap_10_11_median": float(np.median(truth_scores[:, 9] - truth_scores[:, 10])),
    }


def calibrate_lite(augmentations: int = 12) -> dict:
    """Mean cosines of real ``lite`` embeddings: two different photos, and two augmented
    copies of one photo (what ``BETWEEN_COS`` / ``WITHIN_COS`` are)."""
    from PIL import Image, ImageEnhance, ImageFilter, ImageOps

    from mmdemo.core.config import Settings
    from mmdemo.serving import ModelServer

    model = ModelServer(Settings(preset="lite")).get("embed")
    photos = sorted(p for p in [*ASSETS.glob("gallery/*"), *ASSETS.glob("quality/heldout/*")]
                    if p.suffix.lower() in {".jpg", ".jpeg", ".png"})  # fmt: skip
    rng = np.random.default_rng(0)

    def augment(img: Image.Image) -> Image.Image:
        w, h = img.size
        f = rng.uniform(0.6, 0.95)
        x0, y0 = rng.uniform(0, 1 - f) * w, rng.uniform(0, 1 - f) * h
        out = img.crop((int(x0), int(y0), int(x0 + f * w), int(y0 + f * h)))
        if rng.random() < 0.5:
            out = ImageOps.mirror(out)
        out = out.rotate(rng.uniform(-15, 15), expand=False)
        out = ImageEnhance.Color(out).enhance(rng.uniform(0.5, 1.5))
        out = ImageEnhance.Brightness(out).enhance(rng.uniform(0.7, 1.3))
        if rng.random() < 0.3:
            out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2)))
        return out

    groups = []
    for path in photos:
        img = Image.open(path).convert("RGB")
        img.thumbnail((512, 512))
        groups.append(model.embed_images([augment(img) for _ in range(augmentations)]))
    cross = [float(np.mean(groups[i] @ groups[j].T)) for i in range(len(groups))
             for j in range(i + 1, len(groups))]  # fmt: skip
    lite = {"photos": len(photos), "augmentations": augmentations,
            "dim": int(groups[0].shape[1]), "between_cos_mean": float(np.mean(cross)),
            **group_stats(groups)}  # fmt: skip
    synthetic = {}  # the same statistics of the generator, at the calibrated cosines
    for rank in (4, 6, 8, 12, 16, 24, 32):
        mixture = Clusters(100_000, 512, 0, lite["between_cos_mean"], lite["within_cos_mean"],
                           rank=rank)  # fmt: skip
        synthetic[rank] = group_stats(mixture.groups(300, augmentations))
    return {"lite": lite, "synthetic_by_rank": synthetic}


# -- measuring ----------------------------------------------------------------------------------


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth, strict=True)]))


class Flat:
    """fp32 flat through the app's kernels (our parallel scan for one query, sgemm batches)."""

    name = "flat"

    def __init__(self, index):
        self.index = index

    def search(self, q: np.ndarray) -> np.ndarray:
        rows, _ = kernels.search_flat(
            self.index, None, q, K, gpu_max_k=VectorIndex.GPU_MAX_K,
            blas_min_queries=VectorIndex.BLAS_MIN_QUERIES,
            min_rows_per_task=VectorIndex.SCAN_MIN_ROWS_PER_TASK,
        )  # fmt: skip
        return rows


class Faiss:
    """A compact type, IVF-PQ or HNSW, searched as ``VectorIndex.search`` does for it;
    ``knob``: the efSearch / nprobe to search HNSW / IVF-PQ with (set before each search, so
    two searchers can share one structure)."""

    def __init__(self, name: str, index, tombstoned: bool = False, knob: dict | None = None):
        self.name, self.index, self.tombstoned, self.knob = name, index, tombstoned, knob

    def search(self, q: np.ndarray) -> np.ndarray:
        if self.tombstoned:  # HNSW / IVF-PQ: the app's call, with nothing hidden
            n = int(self.index.ntotal)
            types.apply_knob(self.index, self.knob)
            ef_search = (self.knob or {}).get("ef_search", VectorIndex.HNSW_EF_SEARCH)
            rows, _ = kernels.search_hnsw(
                self.index, q, K, alive=np.ones(n, bool), dead=0, live_bits=None,
                excluded_rows=np.empty(0, np.int64), ef_search=ef_search,
            )  # fmt: skip
            return rows
        return self.index.search(q, K)[1]


def add_tuned(searchers: list, results: dict, name: str, built, exact: np.ndarray,
              old_knob: dict) -> None:  # fmt: skip
    """Tune ``built``'s search knob as the app does at build, then search it both at that
    knob (``name``) and at the old fixed one (``name@old``; IVF-PQ: nprobe 32 at the largest
    re-rank k_factor), side by side."""
    start = time.perf_counter()
    knob, measured = types.tune_search(built, exact)
    results[name].update(tune_s=time.perf_counter() - start, knob=knob,
                         build_recall=measured[0])  # fmt: skip
    old = f"{name}@old"
    results[old] = {key: results[name][key] for key in ("n", "truth") if key in results[name]}
    results[old]["knob"] = old_knob
    searchers.append(Faiss(name, built, tombstoned=True, knob=knob))
    searchers.append(Faiss(old, built, tombstoned=True, knob=old_knob))


def time_single(searchers: list, queries: np.ndarray) -> dict[str, list[float]]:
    """Per-query seconds, one query at a time, the types interleaved per query."""
    out: dict[str, list[float]] = {s.name: [] for s in searchers}
    for s in searchers:  # warm-up: page the codes in, start the pools
        s.search(queries[:1])
    for i in range(len(queries)):
        q = queries[i : i + 1]
        for s in searchers:
            start = time.perf_counter()
            s.search(q)
            out[s.name].append(time.perf_counter() - start)
    return out


def time_batch(searcher, queries: np.ndarray, batch: int = 64, rounds: int = 3) -> float:
    """Median seconds per query of a batch of ``batch`` queries."""
    times = []
    for r in range(rounds):
        q = queries[r * batch : (r + 1) * batch]
        start = time.perf_counter()
        searcher.search(q)
        times.append((time.perf_counter() - start) / len(q))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=1000, help="held-out, for recall")
    parser.add_argument("--single", type=int, default=100, help="single queries timed")
    parser.add_argument("--hnsw-n", type=int, default=200_000, help="rows HNSW is built on")
    parser.add_argument("--types", default="flat,fastscan,sq8,fp16,hnsw,ivfpq")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rank", type=int, default=RANK, help="spread directions per cluster")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--calibrate-lite", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.calibrate_lite:
        print(json.dumps(calibrate_lite(), indent=2))
        return
    wanted = args.types.split(",")
    faiss = runtime.faiss()
    n, dim = args.n, args.dim

    # the database goes straight into the flat index: its storage is the one fp32 copy
    mixture = Clusters(n, dim, args.seed, BETWEEN_COS, WITHIN_COS, rank=args.rank)
    before = rss_bytes()
    start = time.perf_counter()
    flat = faiss.IndexFlatIP(dim)
    for lo in range(0, n, 65_536):
        flat.add(mixture.draw(min(65_536, n - lo)))
    flat_build = time.perf_counter() - start  # includes drawing the data
    flat_rss = rss_bytes() - before
    view = kernels.vectors_view(flat)
    queries = mixture.draw(max(args.queries, args.single, 192))
    start = time.perf_counter()
    truth_scores, truth = faiss.knn(queries, view, K + 1, faiss.METRIC_INNER_PRODUCT)
    truth_s = time.perf_counter() - start
    data = neighbour_stats(view, queries, truth_scores)
    truth = truth[:, :K]
    log.info("data %s; exact truth in %.1f s", data, truth_s)

    results: dict[str, dict] = {}
    searchers: list = [Flat(flat)]
    results["flat"] = {"n": n, "build_s": flat_build, "rss_bytes": flat_rss,
                       "bytes_per_vector": 4 * dim}  # fmt: skip
    for name in [t for t in wanted if t in types.COMPACT]:
        before = rss_bytes()
        start = time.perf_counter()
        if name == "fastscan":  # what the app runs: fastscan at the smallest k_factor kept
            built, measured = types.build_compact_checked(view, dim, "fastscan")
            if built is None or types.type_of(built) != "fastscan":
                log.info("fastscan missed %.3f at every k_factor", measured[0])
                built = types.build_compact(view, dim, "fastscan")
                built.k_factor = float(types.FASTSCAN_K_FACTORS[-1])
        else:  # forced, to show what each costs and reaches (held-out recall below)
            built = types.build_compact(view, dim, name)
            measured = (float("nan"), 0)
        build_s = time.perf_counter() - start
        results[name] = {
            "n": n, "build_s": build_s, "rss_bytes": rss_bytes() - before,
            "bytes_per_vector": types.bytes_per_vector(name, dim),
            "build_recall": measured[0],
        }  # fmt: skip
        if name == "fastscan":
            results[name]["k_factor"] = built.k_factor
        searchers.append(Faiss(name, built))
        log.info("%s built in %.1f s", name, build_s)

    for s in searchers:
        found = s.search(queries[: args.queries])
        results[s.name]["recall_at_10"] = recall(found, truth[: args.queries])
        results[s.name]["batch64_ms"] = time_batch(s, queries) * 1000
    single = time_single(searchers, queries[: args.single])
    for name, times in single.items():
        results[name]["single_p50_ms"] = statistics.median(times) * 1000
    fastscan = next((s for s in searchers if s.name == "fastscan"), None)
    if fastscan is not None:  # what each k_factor buys, held-out queries
        sweep = {}
        keep = fastscan.index.k_factor
        for k_factor in types.FASTSCAN_K_FACTORS:
            fastscan.index.k_factor = float(k_factor)
            found = fastscan.search(queries[: args.queries])
            t = time_single([fastscan], queries[: min(args.single, 50)])["fastscan"]
            sweep[k_factor] = {"recall_at_10": recall(found, truth[: args.queries]),
                               "single_p50_ms": statistics.median(t) * 1000}  # fmt: skip
        fastscan.index.k_factor = keep
        results["fastscan"]["k_factor_sweep"] = sweep
    for s in searchers[1:]:
        s.index = None
    searchers = searchers[:1]

    if "ivfpq" in wanted:
        before = rss_bytes()
        start = time.perf_counter()
        built = types.build_ivfpq(view, dim)  # re-ranked from fp16, as the app builds it
        build_s = time.perf_counter() - start
        results["ivfpq"] = {
            "n": n,
            "build_s": build_s,
            "rss_bytes": rss_bytes() - before,
            "bytes_per_vector": types.bytes_per_vector("ivfpq", dim, rerank="fp16"),
        }
        add_tuned(searchers, results, "ivfpq", built, view, {"nprobe": types.IVF_NPROBE})
        # its first stage alone, at the tuned nprobe: what a budget with no room for the
        # re-rank copies gets (``types.rerank_choice``), on the same structure
        codes = faiss.downcast_index(built.base_index)
        results["ivfpq codes only"] = {
            "n": n,
            "knob": {"nprobe": results["ivfpq"]["knob"]["nprobe"]},
            "bytes_per_vector": types.bytes_per_vector("ivfpq", dim),
        }
        searchers.append(Faiss("ivfpq codes only", codes, tombstoned=True,
                               knob=results["ivfpq codes only"]["knob"]))  # fmt: skip
    if "hnsw" in wanted:
        m = min(n, args.hnsw_n)
        before = rss_bytes()
        start = time.perf_counter()
        built = kernels.build_hnsw(
            view[:m], dim, m=VectorIndex.HNSW_M,
            ef_construction=VectorIndex.HNSW_EF_CONSTRUCTION, ef_search=VectorIndex.HNSW_EF_SEARCH,
        )  # fmt: skip
        build_s = time.perf_counter() - start
        results["hnsw"] = {"n": m, "build_s": build_s, "rss_bytes": rss_bytes() - before,
                           "bytes_per_vector": types.bytes_per_vector("hnsw", dim)}  # fmt: skip
        old_knob = {"ef_search": VectorIndex.HNSW_EF_SEARCH}
        if m < n:  # its own truth over the rows it holds
            _, sub_truth = faiss.knn(queries, view[:m], K, faiss.METRIC_INNER_PRODUCT)
            results["hnsw"]["truth"] = sub_truth
            sub_flat = Flat(faiss.IndexFlatIP(dim))
            sub_flat.name = "flat@hnsw_n"
            sub_flat.index.add(view[:m])
            results["flat@hnsw_n"] = {"n": m}
            searchers.append(sub_flat)
        add_tuned(searchers, results, "hnsw", built, view[:m], old_knob)
    for s in searchers[1:]:
        want_truth = results[s.name].get("truth", truth)
        if s.name != "flat@hnsw_n":
            found = s.search(queries[: args.queries])
            results[s.name]["recall_at_10"] = recall(found, want_truth[: args.queries])
            results[s.name]["batch64_ms"] = time_batch(s, queries) * 1000
    for r in results.values():
        r.pop("truth", None)
    if len(searchers) > 1:
        single = time_single(searchers, queries[: args.single])
        flat_again = statistics.median(single.pop("flat")) * 1000
        for name, times in single.items():
            results[name]["single_p50_ms"] = statistics.median(times) * 1000
            results[name]["flat_single_same_run_ms"] = flat_again

    load = os.getloadavg()
    report = {
        "machine": f"{cpu_model()}, {cpu_count()} cores, {platform.python_version()}, "
        f"faiss {faiss.__version__}",
        "load_average": [round(x, 2) for x in load],
        "n": n, "dim": dim, "queries": args.queries, "single_queries": args.single,
        "data": {"generator": "Clusters", "between_cos": BETWEEN_COS, "within_cos": WITHIN_COS,
                 "rank": args.rank, **data},
        "results": results,
    }  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=float))
    flat_ms = results["flat"]["single_p50_ms"]
    print(f"\n{report['machine']}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{n:,} x {dim} clustered synthetic vectors; data: {json.dumps(data)}")
    print("| type | n | build s | RSS MiB | bytes/vector | single p50 ms | ÷ fp32 flat | "
          "batch-64 ms/query | recall@10 |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    nan = float("nan")
    for name, r in results.items():
        if "single_p50_ms" not in r:
            continue
        ref = r.get("flat_single_same_run_ms", flat_ms)
        label = name + (f" (k_factor {r['k_factor']:g})" if "k_factor" in r else "")
        if "knob" in r:
            label += " (" + ", ".join(f"{k} {v}" for k, v in r["knob"].items()) + ")"
            if "tune_s" in r:
                label += f", tuned in {r['tune_s']:.1f} s to build recall {r['build_recall']:.3f}"

        print(f"| {label} | {r['n']:,} | {r.get('build_s', nan):.1f} | "
              f"{r.get('rss_bytes', 0) / 2**20:.0f} | {r.get('bytes_per_vector', '')} | "
              f"{r['single_p50_ms']:.2f} | {r['single_p50_ms'] / ref:.3f} | "
              f"{r.get('batch64_ms', nan):.2f} | {r.get('recall_at_10', nan):.4f} |")  # fmt: skip
    if "fastscan" in results:
        r = results["fastscan"]
        ratio = r["single_p50_ms"] / flat_ms
        ok = ratio <= GOAL_RATIO and r["recall_at_10"] >= GOAL_RECALL
        verdict = "PASS" if ok else "MISS"
        print(f"goal: fastscan single ÷ fp32 flat {ratio:.3f} (<= {GOAL_RATIO}) at recall@10 "
              f"{r['recall_at_10']:.4f} (>= {GOAL_RECALL}): {verdict}")  # fmt: skip
        for k_factor, row in r.get("k_factor_sweep", {}).items():
            print(f"  k_factor {k_factor}: recall@10 {row['recall_at_10']:.4f}, "
                  f"single p50 {row['single_p50_ms']:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
