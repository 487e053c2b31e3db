"""``index DIR --engine ray``: the local engine's indexing, spread over a Ray Data pipeline.

Why Ray Data and not a home-made scheduler: it already streams blocks between CPU tasks and
GPU actors with backpressure, retries lost workers and runs unchanged on one machine
(``ray.init()``) or a cluster (``ray.init(address=...)``).

The pipeline, and why each step runs where it does:

1. The driver lists the files exactly as the local engine does (``find_images``: same filter,
   same order) and numbers them, so the merge can restore that order.
2. CPU tasks read, hash, decode and preprocess each file with the local engine's own
   ``ingest.prepare_file`` and the embedder's own ``preprocess_image`` - run on a stand-in
   that carries only the embedder's transform, so no task has to load the model's weights.
   Files already in the index (by content hash) are marked there, before any model work:
   a re-run embeds nothing it has.
3. Model actors (one per GPU, fp16 there as ``ModelServer`` decides; CPU otherwise), each
   built through ``ModelServer`` with the driver's ``Settings``, embed whole batches and
   write each batch as one ``.npz`` shard into a scratch folder (on a cluster, a shared
   filesystem), returning only the shard's name - vectors never queue in the driver.
4. The driver merges the shards in file order, drops repeats within the folder (the first
   file wins, as locally), and adds them to the gallery's index under its writer lock with
   the same validation, dedup and atomic save as the local engine.

So the index (ids, metadata, vectors) is the one the local engine would have built.
``import ray`` happens only inside these functions: the app never needs it.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mmdemo.core.config import PROJECT_ROOT, Settings
from mmdemo.core.errors import BadInputError, MissingPackageError
from mmdemo.core.imaging import find_images
from mmdemo.core.results import Duplicate, Unreadable
from mmdemo.core.scale_results import RayIndexReport
from mmdemo.services.ingest import EmbedOutcome, Progress, model_input_side, prepare_file

log = logging.getLogger(__name__)

REQUIREMENTS = "requirements-scale.txt"
ENGINE = "the Ray indexing engine"
OK, KNOWN, BAD = "ok", "known", "bad"  # what the CPU step made of a file
_KNOWN_CACHE: dict[str, frozenset] = {}  # per worker process: the known hashes, fetched once


def import_ray():
    """``ray`` and ``ray.data``, or a MissingPackageError that names the requirements file."""
    try:
        import ray
        import ray.data  # the Data library is a separate extra
    except ImportError as err:
        raise MissingPackageError(ENGINE, "ray[data]", f"-r {REQUIREMENTS}") from err
    return ray


def start_ray(address: str | None = None, num_cpus: int | None = None) -> float:
    """Connect to ``address`` (a cluster) or start Ray on this machine; returns the seconds.

    Already running (a test module, a notebook): reused as it is, 0.0 seconds. Workers get
    the project on their ``PYTHONPATH``, so on a cluster every node needs the same path.
    """
    ray = import_ray()
    if ray.is_initialized():
        return 0.0
    started = time.perf_counter()
    path = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH")) if p)
    ray.init(
        address=address,
        num_cpus=None if address else num_cpus,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": path}},
    )
    seconds = time.perf_counter() - started
    log.info("ray.init(%s) took %.1f s", address or "local", seconds)
    return seconds


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


def _stand_in(embedder) -> tuple[_PreprocessOnly, tuple[int, ...]]:
    """A weightless stand-in for ``embedder``'s preprocessing, and its tensor shape."""
    import torch
    from PIL import Image

    side = model_input_side(embedder) or 224
    probe = Image.new("RGB", (side + 17, side + 5), (120, 80, 40))
    expected = embedder.preprocess_image(probe)
    stand_in = _PreprocessOnly(type(embedder), getattr(embedder, "transform", None))
    try:
        got = stand_in.preprocess_image(probe)
    except Exception as err:  # a backend whose preprocessing needs more than its transform
        raise RuntimeError(
            f"{type(embedder).__name__}.preprocess_image needs more than its transform; "
            "the Ray engine cannot run it on CPU tasks (use --engine local)."
        ) from err
    if not torch.equal(got, expected):
        raise RuntimeError(f"{type(embedder).__name__}: stand-in preprocessing differs")
    return stand_in, tuple(expected.shape)


def _known(ref_box: list) -> frozenset:
    """The index's known hashes, fetched from the object store once per worker process."""
    ray = import_ray()
    key = ref_box[0].hex()
    if key not in _KNOWN_CACHE:
        _KNOWN_CACHE.clear()
        _KNOWN_CACHE[key] = ray.get(ref_box[0])
    return _KNOWN_CACHE[key]


def prepare_batch(batch: dict, *, stand_in, shape, max_pixels: int, known_ref: list) -> dict:
    """CPU task: read, hash, decode, preprocess a batch of files (``ingest.prepare_file``)."""
    import torch

    torch.set_num_threads(1)  # small tensor ops: one thread each (``ingest._one_torch_thread``)
    known = _known(known_ref)
    n = len(batch["path"])
    tensors = np.zeros((n, *shape), np.float32)
    status, reason, sha, name, meta = [], [], [], [], []
    for row, path in enumerate(batch["path"]):
        item = prepare_file(str(path), stand_in, max_pixels, known.__contains__)
        name.append(item.name)
        sha.append(item.sha256 or "")
        if item.duplicate:
            status.append(KNOWN)
        elif item.skipped is not None:
            status.append(BAD)
            reason.append(item.skipped.reason)
        else:
            status.append(OK)
            tensors[row] = item.tensor.numpy()
        reason += [""] * (len(status) - len(reason))
        meta.append(json.dumps(item.meta) if item.meta else "")
    return {
        "order": batch["order"],
        "status": np.array(status),
        "reason": np.array(reason),
        "sha256": np.array(sha),
        "name": np.array(name),
        "meta": np.array(meta),
        "tensor": tensors,
    }


class EmbedActor:
    """Model actor: the embedder built once through ``ModelServer``; each call embeds one
    batch and writes it as one shard, returning the shard's path and row count."""

    def __init__(self, settings: Settings, scratch: str, threads: int | None, device: str):
        import torch

        from mmdemo.serving import ModelServer

        if threads:
            torch.set_num_threads(threads)
        self.embedder = ModelServer(settings.replace(device=device)).get("embed")
        self.scratch = Path(scratch)

    def __call__(self, batch: dict) -> dict:
        import torch

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
        return {"shard": np.array([str(shard)]), "rows": np.array([len(ok)])}


def _merge(shards: Sequence[str], known_as) -> tuple[EmbedOutcome, int]:
    """All shards in file order -> the outcome the local ``embed_files`` would have returned.

    Repeats within the folder are dropped here, the first file in order winning, with the
    local engine's wording; unreadable files are reported by name.
    """
    parts = [np.load(path, allow_pickle=False) for path in shards]
    column = {key: np.concatenate([p[key] for p in parts]) for key in parts[0].files}
    seen: dict[str, str] = {}
    keep: list[int] = []
    unreadable: list[Unreadable] = []
    duplicate_of: list[Duplicate] = []
    for row in np.argsort(column["order"], kind="stable"):
        status, sha, name = column["status"][row], column["sha256"][row], column["name"][row]
        if status == KNOWN:
            duplicate_of.append(Duplicate(str(name), known_as(sha)))
        elif sha and sha in seen:
            duplicate_of.append(Duplicate(str(name), seen[sha], in_upload=True))
        elif status == BAD:
            log.warning("Skipping %s: %s", name, column["reason"][row])
            unreadable.append(Unreadable(str(name), str(column["reason"][row])))
        else:
            seen[str(sha)] = str(name)
            keep.append(int(row))
    dim = column["vectors"].shape[1]
    vectors = column["vectors"][keep] if keep else np.zeros((0, dim), np.float32)
    metas = [json.loads(str(column["meta"][row])) for row in keep]
    return EmbedOutcome(vectors, metas, unreadable, len(duplicate_of), duplicate_of), len(parts)


def _actors_and_gpus(ray, actors: int | None) -> tuple[int, int]:
    gpus = int(ray.cluster_resources().get("GPU", 0))
    if gpus:
        return (min(actors, gpus) if actors else gpus), 1
    return actors or 1, 0


def ray_add_directory(
    gallery,
    directory: str | Path,
    *,
    address: str | None = None,
    progress: Progress | None = None,
    actors: int | None = None,
    batch_size: int | None = None,
    prepare_cpus: float = 0.5,
    actor_cpus: float = 1.0,
    actor_threads: int | None = None,
    num_cpus: int | None = None,
    scratch_dir: str | Path | None = None,
) -> RayIndexReport:
    """Index every image under ``directory`` into ``gallery`` on Ray Data (module docstring).

    ``actors``: model actors (default one per GPU, else 1); ``batch_size``: images per
    model call and per shard (default ``settings.batch_size``); ``prepare_cpus``: Ray CPUs
    one decode task reserves (0.5 lets two decode beside each CPU actor); ``actor_threads``:
    torch threads per CPU actor (default all cores, as the local engine's forward uses);
    ``scratch_dir``: where shards go (default inside the index folder; on a cluster, a
    folder every node sees at the same path).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise BadInputError(f"{directory} is not a folder.")
    paths = find_images(directory)
    if not paths:
        raise BadInputError(f"No images (jpg, jpeg, png, webp, bmp, gif) found in {directory}.")
    ray = import_ray()
    init_seconds = start_ray(address, num_cpus)
    started = time.perf_counter()
    settings = gallery.settings
    batch_size = batch_size or settings.batch_size
    index = gallery.index
    stand_in, shape = _stand_in(gallery.embedder)
    known_ref = [ray.put(frozenset(item.sha256 for item in index.items()))]
    n_actors, gpu_per_actor = _actors_and_gpus(ray, actors)
    room = float(ray.cluster_resources().get("CPU", 1)) - prepare_cpus
    if not gpu_per_actor and n_actors * actor_cpus > room:  # else decode tasks never start
        actor_cpus = max(room / n_actors, 0.01)
        log.info("%d CPU actors on this cluster: %.2f Ray CPUs each", n_actors, actor_cpus)
    scratch = Path(scratch_dir or gallery.index_dir) / f".ray-shards-{uuid.uuid4().hex[:12]}"
    scratch.mkdir(parents=True)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # ours is the one tqdm bar, as locally
        items = [{"path": str(p), "order": i} for i, p in enumerate(paths)]
        blocks = max(1, math.ceil(len(items) / batch_size))
        dataset = ray.data.from_items(items, override_num_blocks=blocks)
        dataset = dataset.map_batches(
            prepare_batch, batch_size=batch_size, batch_format="numpy", num_cpus=prepare_cpus,
            fn_kwargs={"stand_in": stand_in, "shape": shape, "known_ref": known_ref,
                       "max_pixels": settings.max_image_pixels},
        )  # fmt: skip
        dataset = dataset.map_batches(
            EmbedActor, batch_size=batch_size, batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=n_actors),
            num_gpus=gpu_per_actor, num_cpus=0 if gpu_per_actor else actor_cpus,
            fn_constructor_kwargs={
                "settings": settings, "scratch": str(scratch),
                "threads": None if gpu_per_actor else (actor_threads or os.cpu_count()),
                "device": "cuda" if gpu_per_actor else "cpu",
            },
        )  # fmt: skip
        shards: list[str] = []
        done = 0
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            shards.extend(str(s) for s in batch["shard"])
            done += int(np.sum(batch["rows"]))
            if progress is not None:
                progress(done, len(paths))
        shown = {item.sha256: item.display_name for item in index.items()}
        outcome, merged = _merge(shards, shown.get)
        report = gallery_add_outcome(gallery, outcome)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    seconds = time.perf_counter() - started
    result = RayIndexReport(
        report=report, images=len(paths), seconds=seconds, init_seconds=init_seconds,
        actors=n_actors, gpus=n_actors * gpu_per_actor, shards=merged,
    )  # fmt: skip
    log.info("Ray index add: %s", result.summary())
    return result


def gallery_add_outcome(gallery, outcome: EmbedOutcome):
    """Add the merged outcome exactly as a local add does: ``Gallery.add_outcome`` (the
    writer lock, the index current then, the atomic save, the same report)."""
    return gallery.add_outcome(outcome)
