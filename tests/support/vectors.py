"""Synthetic vectors and metadata for index tests, and a numpy brute force to check against.

Expected results come from the brute force, never from the index itself.
"""

from __future__ import annotations

import numpy as np

MODEL = "open_clip:ViT-B-32/laion2b_s34b_b79k"
OTHER_MODEL = "open_clip:ViT-L-14/openai"
DIM = 32


def make_metas(n: int, start: int = 0, prefix: str = "img") -> list[dict]:
    return [
        {
            "path": f"/photos/{prefix}{i}.jpg",
            "sha256": f"{prefix}-{i:08d}",
            "size_bytes": 1000 + i,
            "width": 640,
            "height": 480,
        }
        for i in range(start, start + n)
    ]


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def brute_force(vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int):
    """Exact top-k (ids, scores) per query by numpy, best first."""
    scores = unit(queries) @ unit(vectors).T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return ids[order], np.take_along_axis(scores, order, axis=1)


def clustered(rng: np.random.Generator, n: int, dim: int, clusters: int = 200) -> np.ndarray:
    centres = rng.standard_normal((clusters, dim))
    x = centres[rng.integers(0, clusters, n)] + 0.35 * rng.standard_normal((n, dim))
    return unit(x)


def hit_ids(result: list[tuple[int, float]]) -> list[int]:
    return [item_id for item_id, _ in result]
