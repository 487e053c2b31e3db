"""Sentence embeddings of fixed prompt lists (the 1000 ImageNet classes), cached on disk.

Why: embedding 1000 prompts takes ~8 s on a 2-core CPU with MiniLM, and the same prompts
are needed on every start (label bridge) or first question (photo VQA). The cache key
covers the prompts and the model, so a change to either simply makes a new entry.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def cached_text_vectors(
    encode: Callable[[list[str]], np.ndarray],
    prompts: Sequence[str],
    model_key: str,
    cache_dir: Path | None,
) -> np.ndarray:
    """``encode(prompts)`` as float32 (n, dim), read from / written to the disk cache."""
    key = hashlib.sha256(("\n".join(prompts) + "\0" + model_key).encode()).hexdigest()[:16]
    folder = (cache_dir or Path.home() / ".cache") / "mmdemo" / "text_vectors"
    path = folder / f"{key}.npy"
    if path.is_file():
        try:
            cached = np.load(path)
            if cached.ndim == 2 and cached.shape[0] == len(prompts):
                return cached.astype(np.float32, copy=False)
        except (OSError, ValueError) as err:
            log.warning("Ignoring unreadable text-vector cache %s: %s", path, err)
    vectors = np.asarray(encode(list(prompts)), dtype=np.float32)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)  # atomic: a concurrent reader never sees half a file
    except OSError as err:  # a read-only home is fine: we just recompute next time
        log.info("Could not cache text vectors at %s: %s", path, err)
    return vectors
