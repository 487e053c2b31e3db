"""The worker side of ``index DIR --engine ray`` (``ray_ingest``): what Ray ships to its
decode tasks and model actors.

Why a module of its own: Ray sends task and actor code to workers by module, and a decode
worker imports this one (numpy, PIL through ``ingest``, the ``ray_preprocess`` twin) and
never the driver's side; the driver (``ray_ingest``) owns the plan, the pipeline and the
merge, and this module the row format both agree on: ``numbered_batches`` (one Ray Data
row per batch of files), ``prepare_batch`` (one row per file: status, hash, metadata,
tensor) and the shards ``EmbedActor`` writes. Also here: the weightless stand-in of the
embedder's preprocessing the decode tasks carry, checked bit for bit at start.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mmdemo.core.config import Settings
from mmdemo.services.ingest import model_input_side, prepare_file

log = logging.getLogger(__name__)

OK, KNOWN, BAD = "ok", "known", "bad"  # what the CPU step made of a file
_KNOWN_CACHE: dict[str, frozenset] = {}  # per worker process: the known hashes, fetched once


class _PreprocessOnly:
    """The embedder's ``preprocess_image`` without its weights: what the CPU tasks carry.

    ``prepare_file`` needs ``transform`` (the decode size) and ``preprocess_image``; both
    backends' ``preprocess_image`` read only ``self.transform``, and ``_stand_in`` checks on
    a test image that this stand-in gives the very tensor the embedder gives.
    """

    def __init__(self, embedder_class: type, transform):
        self.embedder_class = embedder_class
        self.transform = transform

    def preprocess_image(self, image):
        return self.embedder_class.preprocess_image(self, image)


def _stand_in(embedder):
    """A weightless stand-in for ``embedder``'s preprocessing, and its tensor shape.

    First choice: the PIL + numpy twin of its transform (``ray_preprocess``: decode workers
    then never import torch), used only if it gives the embedder's own tensor bit for bit
    on probe images of several shapes; else the embedder's ``preprocess_image`` on its
    transform alone (workers import torch).
    """
    import torch
    from PIL import Image

    from mmdemo.services.ray_preprocess import TwinPreprocess, numpy_twin

    side = model_input_side(embedder) or 224
    sizes = [(side + 17, side + 5), (side // 2 + 3, side * 2 + 1), (side * 3, side - 7)]
    probes = [_probe(Image, size, seed) for seed, size in enumerate(sizes)]
    expected = [embedder.preprocess_image(probe) for probe in probes]
    transform = getattr(embedder, "transform", None)
    twin = numpy_twin(transform)
    if twin is not None:
        stand_in = TwinPreprocess(twin)
        try:
            same = all(
                np.array_equal(stand_in.preprocess_image(probe), want.numpy())
                for probe, want in zip(probes, expected, strict=True)
            )
        except (ValueError, TypeError):
            same = False
        if same:
            return stand_in, tuple(expected[0].shape)
        log.info("%s: the numpy preprocessing differs; decode tasks use torch", type(embedder))
    stand_in = _PreprocessOnly(type(embedder), transform)
    try:
        got = [stand_in.preprocess_image(probe) for probe in probes]
    except Exception as err:  # a backend whose preprocessing needs more than its transform
        raise RuntimeError(
            f"{type(embedder).__name__}.preprocess_image needs more than its transform; "
            "the Ray engine cannot run it on CPU tasks (use --engine local)."
        ) from err
    if not all(torch.equal(a, b) for a, b in zip(got, expected, strict=True)):
        raise RuntimeError(f"{type(embedder).__name__}: stand-in preprocessing differs")
    return stand_in, tuple(expected[0].shape)


def _probe(image_module, size: tuple[int, int], seed: int):
    """A noisy RGB test image (every pixel differs, so any resampling difference shows)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), np.uint8)
    return image_module.fromarray(pixels, "RGB")


def _known(ref_box: list) -> frozenset:
    """The index's known hashes, fetched from the object store once per worker process.

    Why boxed in a list: Ray resolves a top-level ``ObjectRef`` argument (deserialising the
    whole set) for every task; inside a list it stays a reference, fetched here once.
    """
    import ray

    key = ref_box[0].hex()
    if key not in _KNOWN_CACHE:
        _KNOWN_CACHE.clear()
        _KNOWN_CACHE[key] = ray.get(ref_box[0])
    return _KNOWN_CACHE[key]


def warm_worker() -> float:
    """Decode worker warm-up, run while the driver loads the model: the imports of every
    ``prepare_batch`` with a numpy stand-in (PIL, the twin) and of Ray Data's map tasks
    (``ray.data``, pyarrow: ~2 s before the first block otherwise), once per process."""
    started = time.perf_counter()
    import ray.data  # noqa: F401
    from PIL import Image  # noqa: F401
    from ray.data._internal.execution.operators import map_operator  # noqa: F401

    from mmdemo.services import ray_preprocess  # noqa: F401

    return time.perf_counter() - started


def _one_torch_thread() -> None:
    """Small tensor ops in a decode task: one thread each (``ingest._one_torch_thread``);
    nothing to do (and nothing imported) when the stand-in is torch-free."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def numbered_batches(paths: Sequence, batch_size: int) -> list[dict]:
    """The files as Ray Data rows, one per batch: its ``path`` list and their ``order``
    (each file's place in the listing)."""
    return [
        {"path": [str(p) for p in paths[i : i + batch_size]],
         "order": list(range(i, min(i + batch_size, len(paths))))}
        for i in range(0, len(paths), batch_size)
    ]  # fmt: skip


def prepare_batch(batch: dict, *, stand_in, shape, max_pixels: int, known_ref: list) -> dict:
    """CPU task: read, hash, decode, preprocess a batch of files (``ingest.prepare_file``).

    ``batch`` holds rows of ``numbered_batches`` (one, with ``batch_size=1``): lists of
    ``path`` and ``order``; the result holds one row per file: its status, reason, hash,
    name, metadata, float32 tensor and a share of the task's seconds.
    """
    started = time.perf_counter()
    _one_torch_thread()
    known = _known(known_ref)
    paths = [str(path) for row in batch["path"] for path in row]
    order = [int(i) for row in batch["order"] for i in row]
    n = len(paths)
    tensors = np.zeros((n, *shape), np.float32)
    status, reason, sha, name, meta = [], [], [], [], []
    for row, path in enumerate(paths):
        item = prepare_file(path, stand_in, max_pixels, known.__contains__)
        name.append(item.name)
        sha.append(item.sha256 or "")
        if item.duplicate:
            status.append(KNOWN)
        elif item.skipped is not None:
            status.append(BAD)
            reason.append(item.skipped.reason)
        else:
            status.append(OK)
            tensors[row] = np.asarray(item.tensor)  # numpy twin or torch tensor
        reason += [""] * (len(status) - len(reason))
        meta.append(json.dumps(item.meta) if item.meta else "")
    return {
        "order": np.asarray(order, np.int64),
        "status": np.array(status),
        "reason": np.array(reason),
        "sha256": np.array(sha),
        "name": np.array(name),
        "meta": np.array(meta),
        "tensor": tensors,
        "seconds": np.full(n, (time.perf_counter() - started) / max(n, 1)),
    }


class EmbedActor:
    """Model actor (a Ray Data actor-pool UDF): the embedder built once through
    ``ModelServer``; each call embeds one prepared batch and writes it as one shard."""

    def __init__(self, settings: Settings, scratch: str, threads: int | None, device: str):
        self.started_at = time.time()  # wall clock: the driver compares it with its own
        import torch

        from mmdemo.serving import ModelServer

        if threads:
            torch.set_num_threads(threads)
        self.embedder = ModelServer(settings.replace(device=device)).get("embed")
        self.scratch = Path(scratch)
        self.ready_at = time.time()

    @classmethod
    def around(cls, embedder, scratch: str | Path) -> EmbedActor:
        """The same ``embed`` on a model already loaded (the driver's): nothing loads."""
        self = cls.__new__(cls)
        self.started_at = self.ready_at = time.time()
        self.embedder, self.scratch = embedder, Path(scratch)
        return self

    def embed(self, batch: dict) -> dict:
        """One decoded batch -> one shard on disk; returns its path, rows and seconds."""
        import torch

        started = time.perf_counter()
        ok = batch["status"] == OK
        vectors = np.zeros((len(ok), self.embedder.dim), np.float32)
        if ok.any():
            tensors = torch.from_numpy(np.ascontiguousarray(batch["tensor"][ok]))
            vectors[ok] = self.embedder.embed_image_tensors(tensors)
        shard = self.scratch / f"shard-{uuid.uuid4().hex}.npz"
        text = {
            key: batch[key].astype(str) for key in ("status", "reason", "sha256", "name", "meta")
        }
        np.savez(shard, vectors=vectors, order=batch["order"], **text)  # no pickled objects
        return {
            "shard": str(shard),
            "rows": len(ok),
            "decode_s": float(np.sum(batch["seconds"])),
            "embed_s": time.perf_counter() - started,
            "started_at": self.started_at,
            "ready_at": self.ready_at,
        }

    def __call__(self, batch: dict) -> dict:
        """Ray Data's call: the batch's shard as a one-row block."""
        return {key: np.array([value]) for key, value in self.embed(batch).items()}
