"""Time to build the Explore tab's embedding map: PCA against UMAP, 1k and 100k vectors.

Run: ``python -m bench.bench_map [--sizes 1000 100000] [--dim 512] [--rounds 2] [--uncapped]``

What is timed is what ``services.embedding_map.EmbeddingMaps`` does for a gallery of n
random unit vectors (a real ``VectorIndex``; the speed does not depend on the values):

- **PCA map** (what a request gets at once): ``EmbeddingMaps.layout()`` - sample at most
  ``MAX_DRAWN`` rows, read their vectors, PCA, k-means, name the clusters (the naming
  vocabulary's text vectors are random stand-ins here, embedded before the clock starts).
- **UMAP map** (what the background thread adds): the PCA map plus ``umap_layout`` on the
  same drawn rows, after one warm-up UMAP in the process so numba's JIT is not counted;
  the JIT itself (the first UMAP of a process) is printed on its own line.
- ``--uncapped`` also times PCA on *every* vector (``max_drawn=n``), the cost the cap avoids.

Each configuration runs ``--rounds`` times on a fresh service (nothing cached); medians, and
the fastest round (on a shared machine the least disturbed one).
Ratios: UMAP map / PCA map at each size, and each method's 100k / 1k.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from types import SimpleNamespace

import numpy as np

from bench._machine import cpu_count, cpu_model
from mmdemo.index import VectorIndex
from mmdemo.services import embedding_map
from mmdemo.services.embedding_map import MAX_DRAWN, EmbeddingMaps, umap_layout
from mmdemo.services.map_labels import LABELS


def random_gallery(n: int, dim: int, seed: int = 0) -> SimpleNamespace:
    """What ``EmbeddingMaps`` reads of a gallery: a filled index and an embedder's texts."""
    rng = np.random.default_rng(seed)
    index = VectorIndex(dim, "bench-map", approx_threshold=10**12, use_gpu=False)
    chunk = 50_000
    for lo in range(0, n, chunk):
        m = min(chunk, n - lo)
        vectors = rng.standard_normal((m, dim), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        metas = [
            {"path": f"img{i}.jpg", "sha256": f"{i:064x}", "size_bytes": 1, "width": 1, "height": 1}
            for i in range(lo, lo + m)
        ]
        index.add(vectors, metas)

    def embed_texts(texts):
        found = rng.standard_normal((len(texts), dim)).astype(np.float32)
        return found / np.linalg.norm(found, axis=1, keepdims=True)

    return SimpleNamespace(
        index=index, embedder=SimpleNamespace(model_id="bench", embed_texts=embed_texts)
    )


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def pca_map(gallery, max_drawn: int):
    maps = EmbeddingMaps(SimpleNamespace(gallery=gallery), max_drawn=max_drawn, umap_min=10**12)
    layout, pending = maps.layout()
    assert layout.method == "pca" and not pending
    maps.close()
    return layout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--uncapped", action="store_true", help="also PCA on every vector")
    args = parser.parse_args()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"machine: {cpu_model()}, {cpu_count()} cores, {platform.python_version()}")
    print(f"load average at the start: {load} (a shared machine: read the ratios, not the seconds)")
    print(f"dim {args.dim}, at most {MAX_DRAWN} points drawn, {args.rounds} round(s), medians")
    jit, _ = timed(lambda: umap_layout(np.random.default_rng(1).normal(size=(60, 8))))
    print(f"first UMAP in this process (import + numba JIT, 60 points): {jit:.1f} s")
    rows = {}
    for n in args.sizes:
        gallery = random_gallery(n, args.dim)
        embedding_map._LABEL_VECTORS["bench"] = gallery.embedder.embed_texts([e for e, _ in LABELS])
        pca, umap = [], []
        for _ in range(args.rounds):
            seconds, layout = timed(lambda g=gallery: pca_map(g, MAX_DRAWN))
            pca.append(seconds)
            umap_s, xy = timed(lambda v=layout.vectors: umap_layout(v))
            assert xy.shape == (len(layout.ids), 2)
            umap.append(seconds + umap_s)
        row = {
            "drawn": len(layout.ids),
            "pca": statistics.median(pca),
            "umap": statistics.median(umap),
            "pca_min": min(pca),
            "umap_min": min(umap),
        }
        if args.uncapped:
            row["pca_all"] = statistics.median(
                timed(lambda g=gallery, m=n: pca_map(g, m))[0] for _ in range(args.rounds)
            )
        rows[n] = row
        extra = f", PCA on all {n}: {row['pca_all']:.2f} s" if "pca_all" in row else ""
        print(
            f"n={n:>7}: {row['drawn']} drawn; PCA map {row['pca']:.2f} s, UMAP map "
            f"{row['umap']:.2f} s, UMAP/PCA = {row['umap'] / row['pca']:.1f}x{extra}"
        )
        print(
            f"           fastest round: PCA map {row['pca_min']:.2f} s, UMAP map "
            f"{row['umap_min']:.2f} s, UMAP/PCA = {row['umap_min'] / row['pca_min']:.1f}x"
        )
    sizes = sorted(rows)
    if len(sizes) > 1:
        small, large = rows[sizes[0]], rows[sizes[-1]]
        print(
            f"{sizes[-1]} vs {sizes[0]}: PCA map {large['pca'] / small['pca']:.1f}x, "
            f"UMAP map {large['umap'] / small['umap']:.1f}x (the cap bounds both)"
        )
    print(f"load average at the end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
