"""Embedding many image files: decoding overlapped with the model forward.

Why threads: reading, hashing, decoding and resizing images is I/O and C code that
releases the GIL, so worker threads prepare batch N+1 while the main thread runs the
model on batch N - no process pool, no pickling of tensors. Unreadable files are
skipped and reported by name; files already in the index (same content hash) are
skipped before any model work. The report names each skipped file by the name its user
gave it, and a duplicate by the image it repeats ("x.jpg is already in the gallery as
y.jpg").
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path

import numpy as np

from mmdemo.core.errors import BadImageError
from mmdemo.core.imaging import load_image
from mmdemo.core.results import Duplicate, Unreadable

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total); may raise to stop the job
MAX_NAME = 200  # characters of an original file name kept in the index


@dataclass
class Prepared:
    """One decoded file ready for the model, or the reason it was skipped."""

    path: str
    meta: dict | None = None
    tensor: object | None = None
    skipped: Unreadable | None = None
    duplicate: bool = False
    name: str = ""  # the name the user knows the file by
    sha256: str | None = None


@dataclass
class EmbedOutcome:
    vectors: np.ndarray
    metas: list[dict]
    unreadable: list[Unreadable] = field(default_factory=list)
    duplicates: int = 0
    duplicate_of: list[Duplicate] = field(default_factory=list)


def model_input_side(embedder) -> int | None:
    """The short side the embedder's transform resizes images to (its first ``Resize``), so
    indexing need not decode more pixels than that; None when it has no such step.

    Why read it from the transform: it is the truth for every backend (224 px for CLIP,
    the tiny twin's 64 px, the lite embedder's own size) without a second setting.
    """
    for step in getattr(getattr(embedder, "transform", None), "transforms", ()):
        if type(step).__name__ == "Resize":
            size = step.size
            side = size if isinstance(size, int) else max(size)  # (h, w): the larger one
            return int(side) if side else None
    return None


def prepare_file(
    path: str | Path,
    embedder,
    max_pixels: int,
    is_known: Callable[[str], bool],
    display_name: str | None = None,
) -> Prepared:
    """Read once, hash, decode and preprocess one file (runs in a worker thread)."""
    path = str(path)
    name = Path(display_name or path).name[:MAX_NAME] or Path(path).name
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        reason = f"cannot be read ({err.strerror or err})"
        return Prepared(path, skipped=Unreadable(name, reason), name=name)
    sha = hashlib.sha256(data).hexdigest()
    if is_known(sha):
        return Prepared(path, duplicate=True, name=name, sha256=sha)
    try:  # decoded no larger than the model looks at (JPEG draft, box reduction)
        image = load_image(
            data, name=name, max_pixels=max_pixels, min_side=model_input_side(embedder)
        )
    except BadImageError as err:
        return Prepared(path, skipped=Unreadable(name, err.problem), name=name, sha256=sha)
    width, height = image.info.get("source_size", image.size)  # the file's, not the reduced
    meta = {
        "path": path,
        "name": name,
        "sha256": sha,
        "size_bytes": len(data),
        "width": width,
        "height": height,
        "added_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return Prepared(path, meta=meta, tensor=embedder.preprocess_image(image), name=name, sha256=sha)


def embed_files(
    embedder,
    paths: Sequence[str | Path],
    *,
    batch_size: int = 32,
    num_workers: int = 2,
    max_pixels: int = 64_000_000,
    is_known: Callable[[str], bool] = lambda sha: False,
    progress: Progress | None = None,
    display_names: Sequence[str] | None = None,
    known_as: Callable[[str], str | None] = lambda sha: None,
) -> EmbedOutcome:
    """Embed ``paths`` in batches; returns vectors aligned with ``metas`` (duplicates dropped).

    Hashes repeated within ``paths`` count as duplicates too, so a folder holding the
    same photo twice is embedded once. ``known_as(sha)`` names the image already holding
    a known hash, for the report.
    """
    import torch

    total = len(paths)
    names = list(display_names) if display_names else [None] * total
    seen: dict[str, str] = {}  # hash -> name accepted in this call, to drop repeats within it
    vectors: list[np.ndarray] = []
    metas: list[dict] = []
    unreadable: list[Unreadable] = []
    duplicate_of: list[Duplicate] = []
    batch: list[Prepared] = []

    def prepare(path, name) -> Prepared:
        return prepare_file(path, embedder, max_pixels, is_known, name)

    def flush() -> None:
        if batch:
            stacked = torch.stack([item.tensor for item in batch])
            vectors.append(embedder.embed_image_tensors(stacked))
            metas.extend(item.meta for item in batch)
            batch.clear()

    stream = _prepared_stream(paths, names, prepare, num_workers, lookahead=batch_size * 2)
    for done, prepared in enumerate(stream, start=1):
        if prepared.duplicate:
            duplicate_of.append(Duplicate(prepared.name, known_as(prepared.sha256)))
        elif prepared.sha256 in seen:
            duplicate_of.append(Duplicate(prepared.name, seen[prepared.sha256], in_upload=True))
        elif prepared.skipped is not None:
            log.warning("Skipping %s: %s", prepared.skipped.path, prepared.skipped.reason)
            unreadable.append(prepared.skipped)
        else:
            seen[prepared.sha256] = prepared.name
            batch.append(prepared)
            if len(batch) >= batch_size:
                flush()
        if progress is not None:
            progress(done, total)
    flush()
    stacked = np.concatenate(vectors) if vectors else np.zeros((0, embedder.dim), np.float32)
    return EmbedOutcome(stacked, metas, unreadable, len(duplicate_of), duplicate_of)


def _one_torch_thread() -> None:
    """Decode threads run their small tensor ops (ToTensor, Normalize) on one thread each.

    Why: with torch's default, each decode thread's 224 px conversion starts its own team
    of intra-op threads, which then fight the forward's threads for the same cores (on
    the 2-core VM a 224 px conversion measured several times slower that way). The
    setting is per thread (OpenMP), so the main thread's forward keeps all of its threads.
    """
    import torch

    torch.set_num_threads(1)


def _prepared_stream(paths, names, prepare, workers: int, lookahead: int):
    """Yield ``Prepared`` items in input order while up to ``lookahead`` are being decoded."""
    if workers == 0:
        for path, name in zip(paths, names, strict=True):
            yield prepare(path, name)
        return
    with ThreadPoolExecutor(
        max_workers=workers, thread_name_prefix="mmdemo-decode", initializer=_one_torch_thread
    ) as pool:
        jobs = iter(zip(paths, names, strict=True))
        pending: deque[Future] = deque(
            pool.submit(prepare, path, name) for path, name in islice(jobs, lookahead)
        )
        while pending:
            result = pending.popleft().result()
            for path, name in islice(jobs, 1):
                pending.append(pool.submit(prepare, path, name))
            yield result
