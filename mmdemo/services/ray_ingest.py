"""``index DIR --engine ray``: the local engine's indexing, as a Ray Data pipeline.

Why Ray Data (issue 16: an existing distributed engine, no home-made scheduler): it streams
blocks from CPU tasks to the model with backpressure, retries lost workers, sizes actor
pools and runs unchanged on one machine (``ray.init()``) or a cluster (``ray.init(address=
...)``). What made the Ray core version of this engine fast is kept (docs/scale.md §1):
start-up overlapped with the model load, torch-free decode workers, and on one machine
without GPUs the driver's own model. Ray Data's own start-up is trimmed: no progress bars,
no execution banner or stats log, ``import ray.data`` and its stats actor started while
the driver's model loads.

The pipeline, and why each step runs where it does:

1. The driver lists the files exactly as the local engine does (``find_images``: same filter,
   same order) and cuts them into numbered batches of ``batch_size``, one Ray Data row
   (and block) per batch (``from_items``; ``map_batches(batch_size=1)``): one decode task
   per batch, as the local engine batches, and the merge can restore the order. Why not
   one row per file: Ray Data then bundles its ~31-row blocks up to the batch size, i.e.
   1,000 files into 20 tasks of 32 or 62 files - fewer, later blocks to overlap with the
   model (docs/scale.md §1).
2. Start-up is overlapped: while ``ray.init`` and Ray Data's set-up run in the main thread, a
   driver thread loads the model and opens the index (the gallery needs both: dim, model
   id, known hashes); the decode workers warm up meanwhile.
3. ``map_batches`` CPU tasks read, hash, decode and preprocess each batch of files with the
   local engine's own ``ingest.prepare_file``, on a weightless stand-in of the embedder's
   preprocessing: the PIL + numpy twin of its transform (``ray_preprocess``, checked bit for
   bit at start, so a decode worker never imports torch - ~3 s of CPU per worker
   otherwise), else its ``preprocess_image`` on its transform alone. Files already in the
   index (by content hash) are marked there, before any model work: a re-run embeds
   nothing it has. At most ``decode_slots`` decode tasks run at once (``concurrency``).
4. The model. On one machine without GPUs, ``iter_batches`` streams the decoded batches to
   the driver, whose model (loaded once, as the local engine does) embeds each as it
   arrives: an actor there would load a second copy in another process and give nothing
   back (measured: docs/scale.md §1). With GPUs, a ``map_batches`` actor pool of one model
   actor per GPU (fp16 there as ``ModelServer`` decides); on a cluster without GPUs, or with
   ``--ray-actors N``, N CPU actors - each built through ``ModelServer`` with the driver's
   ``Settings``. Each batch becomes one ``.npz`` shard in a scratch folder (on a cluster, a
   shared filesystem); an actor returns only its name. Ray Data ends the pool when the
   dataset is done (a long-lived Ray gets its CPUs and GPUs back).
5. The driver merges the shards in file order, drops repeats within the folder (the first
   file wins, as locally), and adds them through ``Gallery.add_outcome``: the writer lock,
   the same validation, dedup and atomic save as the local engine.

So the index (ids, metadata, vectors) is the one the local engine would have built. Each
run logs where its time went ("Ray stages: ..."): the benchmark's per-stage breakdown.
``import ray`` happens only inside these functions: the app never needs it.

The worker side (the stand-in, ``prepare_batch``, ``EmbedActor``: what Ray ships to its
workers by module) lives in ``ray_workers``, the pure PIL + numpy preprocessing in
``ray_preprocess``; this module is the driver: start-up, plan, pipeline, merge.
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mmdemo.core.config import PROJECT_ROOT, Settings
from mmdemo.core.errors import BadInputError, MissingPackageError
from mmdemo.core.imaging import find_images
from mmdemo.core.results import Duplicate, Unreadable
from mmdemo.core.scale_results import RayIndexReport
from mmdemo.services.ingest import EmbedOutcome, Progress
from mmdemo.services.ray_workers import (
    BAD,
    KNOWN,
    EmbedActor,
    _stand_in,
    numbered_batches,
    prepare_batch,
    warm_worker,
)

log = logging.getLogger(__name__)

REQUIREMENTS = "requirements-scale.txt"
ENGINE = "the Ray indexing engine"


def import_ray():
    """``ray``, or a MissingPackageError that names the requirements file."""
    try:
        import ray
    except ImportError as err:
        raise MissingPackageError(ENGINE, "ray", f"-r {REQUIREMENTS}") from err
    return ray


def start_ray(address: str | None = None, num_cpus: int | None = None) -> float:
    """Connect to ``address`` (a cluster) or start Ray on this machine; returns the seconds.

    Already running (a test module, a notebook): reused as it is, 0.0 seconds. Workers need
    the project on their ``PYTHONPATH``: a local Ray inherits it from this process's
    environment (so its prestarted workers serve our tasks; a job ``runtime_env`` would make
    Ray start fresh ones), a cluster gets it through the job's ``runtime_env`` (every node
    needs the same path). No dashboard, no usage-stats report (unless asked for).
    """
    ray = import_ray()
    if ray.is_initialized():
        return 0.0
    started = time.perf_counter()
    root = str(PROJECT_ROOT)
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    options: dict = {"include_dashboard": False, "log_to_driver": False}
    if address:
        options["runtime_env"] = {"env_vars": {"PYTHONPATH": path}}
    else:
        if root not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
            os.environ["PYTHONPATH"] = path
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        options["num_cpus"] = num_cpus
    ray.init(address=address, **options)
    seconds = time.perf_counter() - started
    log.info("ray.init(%s) took %.1f s", address or "local", seconds)
    return seconds


def import_ray_data():
    """``ray.data`` (the Data library is a separate extra), or a MissingPackageError."""
    import_ray()
    try:
        import ray.data
    except ImportError as err:
        raise MissingPackageError(ENGINE, "ray[data]", f"-r {REQUIREMENTS}") from err
    return ray.data


def prepare_data(ray) -> float:
    """Ray Data's start-up, done while the driver's model loads; returns the seconds.

    ``import ray.data`` (pyarrow, pandas), its quiet settings (no progress bars - ours is
    the one tqdm bar, as locally - no execution banner, no stats log at the end) and its
    stats actor, which every execution needs: created now, its process starts beside the
    model load instead of before the first block.
    """
    started = time.perf_counter()
    data = import_ray_data()
    from ray.data._internal.stats import get_or_create_stats_actor

    context = data.DataContext.get_current()
    context.enable_progress_bars = False
    context.enable_operator_progress_bars = False
    context.print_on_execution_start = False
    context.enable_auto_log_stats = False
    context.execution_options.verbose_progress = False
    get_or_create_stats_actor()  # asynchronous: only the actor's creation is sent
    return time.perf_counter() - started


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


@dataclass
class _Plan:
    """How the cluster is used: model actors, what each reserves, decode tasks at once."""

    actors: int
    gpu_per_actor: int
    actor_cpus: float
    decode_cpus: float
    decode_slots: int


def plan(
    cpus: float, gpus: int, actors: int | None, prepare_cpus: float, actor_cpus: float,
    *, here: bool = False,
) -> _Plan:  # fmt: skip
    """Model actors and decode slots for a cluster of ``cpus`` CPUs and ``gpus`` GPUs.

    ``actors`` None: one actor per GPU; without GPUs, none when Ray was started ``here``
    (one machine: the driver embeds with the model it has already loaded, as the local
    engine does - an actor would load a second copy and buy nothing), else one. 0: the
    driver embeds. CPU actors shrink their Ray CPUs when they would leave no room for one
    decode task (else no decode task ever starts); GPU actors reserve no CPU; a driver that
    embeds is counted as ``actor_cpus`` so decode tasks do not crowd its forward (Ray Data
    does not see the driver's work: the decode ``concurrency`` leaves its room).
    """
    if gpus and actors != 0:
        n = min(actors, gpus) if actors else gpus
        return _Plan(n, 1, 0.0, prepare_cpus, _slots(cpus, prepare_cpus))
    n = (0 if here else 1) if actors is None else actors
    room = cpus - prepare_cpus
    if n * actor_cpus > room:
        actor_cpus = max(room / max(n, 1), 0.01)
        log.info("%d CPU model(s) on this cluster: %.2f Ray CPUs each", max(n, 1), actor_cpus)
    slots = _slots(cpus - max(n, 1) * actor_cpus, prepare_cpus)
    return _Plan(n, 0, actor_cpus, prepare_cpus, slots)


def _slots(cpus: float, prepare_cpus: float) -> int:
    return max(1, math.floor(cpus / prepare_cpus + 1e-9))


@dataclass
class _Clock:
    """Where one run's time went (seconds from the start of ``ray_add_directory``)."""

    origin: float = field(default_factory=time.perf_counter)
    origin_wall: float = field(default_factory=time.time)  # to place the actors' clocks
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        self.marks[name] = time.perf_counter() - self.origin

    def at(self, name: str) -> float:
        return self.marks.get(name, float("nan"))


def _driver_side(gallery):
    """The driver's model, index, stand-in and known hashes (run in a thread beside ray.init)."""
    index = gallery.index  # loads the model (dim, model id) and opens or creates the index
    stand_in, shape = _stand_in(gallery.embedder)
    items = index.items()
    return stand_in, shape, frozenset(item.sha256 for item in items), items


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

    ``actors``: model actors (default: see ``plan``; 0: the driver embeds); ``batch_size``:
    images per decode task, model call and shard (default ``settings.batch_size``);
    ``prepare_cpus``: Ray CPUs one decode task reserves (0.5: two decode beside one model
    on 2 cores); ``actor_threads``: torch threads per CPU actor (default all cores, as the
    local engine's forward uses); ``scratch_dir``: where shards go (default inside the index
    folder; on a cluster, a folder every node sees at the same path).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise BadInputError(f"{directory} is not a folder.")
    paths = find_images(directory)
    if not paths:
        raise BadInputError(f"No images (jpg, jpeg, png, webp, bmp, gif) found in {directory}.")
    ray = import_ray()
    clock = _Clock()
    settings = gallery.settings
    batch_size = batch_size or settings.batch_size
    scratch = Path(scratch_dir or gallery.index_dir) / f".ray-shards-{uuid.uuid4().hex[:12]}"
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="mmdemo-ray-driver") as pool:
            loading = pool.submit(_driver_side, gallery)  # beside ray.init and Ray Data's set-up
            init_seconds = start_ray(address, num_cpus)
            clock.mark("ray_up")
            resources = ray.cluster_resources()
            layout = plan(
                float(resources.get("CPU", 1)), int(resources.get("GPU", 0)), actors,
                prepare_cpus, actor_cpus, here=address is None,
            )  # fmt: skip
            warm = ray.remote(warm_worker).options(num_cpus=layout.decode_cpus)
            warming = [warm.remote() for _ in range(layout.decode_slots)]
            data_seconds = prepare_data(ray)
            clock.mark("data_ready")
            scratch.mkdir(parents=True)
            stand_in, shape, known, items = loading.result()
            clock.mark("driver_ready")
        report, shards, stats = _run_pipeline(
            ray, gallery, paths, layout, clock, scratch, settings,
            stand_in=stand_in, shape=shape, known=known, items=items, batch_size=batch_size,
            actor_threads=actor_threads, progress=progress,
        )  # fmt: skip
        stats["warm_s"] = max(ray.get(warming), default=0.0)
        stats["data_s"] = data_seconds
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    seconds = clock.at("end") - clock.at("ray_up")
    result = RayIndexReport(
        report=report, images=len(paths), seconds=seconds, init_seconds=init_seconds,
        actors=layout.actors, gpus=layout.actors * layout.gpu_per_actor, shards=shards,
    )  # fmt: skip
    log.info("Ray index add: %s", result.summary())
    log.info("Ray stages: %s", stage_line(clock, stats, init_seconds))
    return result


def _run_pipeline(
    ray, gallery, paths, layout: _Plan, clock: _Clock, scratch: Path, settings: Settings, *,
    stand_in, shape, known, items, batch_size: int, actor_threads: int | None, progress,
):  # fmt: skip
    """The Ray Data pipeline (numbered files -> decode tasks -> the model), then the merge.

    No model actor: ``iter_batches`` hands each decoded block to the driver's model (read
    zero-copy from the object store on this node). Else an actor pool writes the shards and
    the driver iterates over their names.
    """
    data = import_ray_data()
    numbered = numbered_batches(paths, batch_size)
    dataset = data.from_items(numbered, override_num_blocks=len(numbered)).map_batches(
        prepare_batch, batch_size=1, batch_format="numpy",
        num_cpus=layout.decode_cpus, concurrency=layout.decode_slots,
        fn_kwargs={"stand_in": stand_in, "shape": shape, "known_ref": [ray.put(known)],
                   "max_pixels": settings.max_image_pixels},
    )  # fmt: skip
    driver = None
    if layout.actors:
        on_gpu = bool(layout.gpu_per_actor)
        dataset = dataset.map_batches(
            EmbedActor, batch_size=batch_size, batch_format="numpy", concurrency=layout.actors,
            num_gpus=layout.gpu_per_actor, num_cpus=layout.actor_cpus,
            fn_constructor_kwargs={
                "settings": settings, "scratch": str(scratch),
                "threads": None if on_gpu else (actor_threads or os.cpu_count()),
                "device": "cuda" if on_gpu else "cpu",
            },
        )  # fmt: skip
    else:
        driver = EmbedActor.around(gallery.embedder, scratch)
    shards: list[str] = []
    stats: dict = {"decode_s": 0.0, "embed_s": 0.0, "batches": 0, "actor_ready": set()}
    done = 0
    for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
        outs = [driver.embed(batch)] if driver is not None else _rows(batch)
        for out in outs:
            if not shards:
                clock.mark("first_shard")
            shards.append(str(out["shard"]))
            stats["batches"] += 1
            stats["decode_s"] += float(out["decode_s"])
            stats["embed_s"] += float(out["embed_s"])
            if driver is None:
                stats["actor_ready"].add((float(out["started_at"]), float(out["ready_at"])))
            done += int(out["rows"])
        if progress is not None:
            progress(done, len(paths))
    clock.mark("embedded")
    shown = {item.sha256: item.display_name for item in items}
    outcome, merged = _merge(shards, shown.get)
    report = gallery_add_outcome(gallery, outcome)
    clock.mark("end")
    return report, merged, stats


def _rows(block: dict) -> list[dict]:
    """The actors' one-row-per-shard block (Ray Data may join several) as one dict per shard."""
    return [{key: column[i] for key, column in block.items()} for i in range(len(block["shard"]))]


def stage_line(clock: _Clock, stats: dict, init_seconds: float) -> str:
    """One line saying where a run's time went, for the log and the benchmark.

    Times "at" are seconds since the call started; actor times come from the actors' own
    clocks (the same machine here; a cluster's clocks may differ by their skew).
    """
    ready = sorted(stats.get("actor_ready", ()))
    loads = [(a - clock.origin_wall, b - a) for a, b in ready]
    actor = ", ".join(f"started at {s:.1f} s, model loaded in {d:.1f} s" for s, d in loads)
    pipeline = clock.at("embedded") - clock.at("driver_ready")
    return (
        f"ray.init {init_seconds:.1f} s (up at {clock.at('ray_up'):.1f} s); Ray Data set-up "
        f"{stats.get('data_s', 0.0):.1f} s (ready at {clock.at('data_ready'):.1f} s); driver "
        f"model + index ready at {clock.at('driver_ready'):.1f} s; actor(s): {actor or 'none'}; "
        f"decode workers warm in {stats.get('warm_s', 0.0):.1f} s; first shard at "
        f"{clock.at('first_shard'):.1f} s; pipeline {pipeline:.1f} s for "
        f"{stats.get('batches', 0)} batch(es) (decode {stats.get('decode_s', 0.0):.1f} task-s, "
        f"embed {stats.get('embed_s', 0.0):.1f} model-s); merge + save "
        f"{clock.at('end') - clock.at('embedded'):.1f} s; total {clock.at('end'):.1f} s"
    )


def gallery_add_outcome(gallery, outcome: EmbedOutcome):
    """Add the merged outcome exactly as a local add does: ``Gallery.add_outcome`` (the
    writer lock, the index current then, the atomic save, the same report)."""
    return gallery.add_outcome(outcome)
