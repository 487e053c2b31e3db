"""Index-pipeline throughput against the raw model on the same batches.

Run: ``python -m bench.bench_pipeline [--n 64] [--batch-size 32] [--workers 2] [--rounds 5]
[--variants]``

Ratio: images/s of ``mmdemo.services.ingest.embed_files`` (read, hash, decode and preprocess in
worker threads, overlapped with the model) / images/s of ``embed_image_tensors`` alone over
the same images, already decoded and preprocessed, in the same batches. Goal >= 0.95.
The pipeline decodes at the model's size (JPEG ``draft``, box ``reduce``: ``load_image(
min_side=...)``); the side "pipeline, full-size decode" runs the same pipeline decoding
every file in full (as before that change), in the same rounds, for the before/after.

The model is the full-size open_clip ViT-B-32 with random weights (speed does not depend on
the weight values), built through the real code path: a checkpoint saved in a temporary
folder, ``ModelServer(Settings(preset="full", clip_pretrained=...)).get("embed")``. The images
are the default gallery's photos re-saved at slightly different sizes (so every file has
its own hash and none is skipped as a duplicate), in their own formats.

Every round runs every side once, in a rotated order; ratios are medians of the per-round
ratios, because the machine is shared and noisy. Each side also reports how many cores it
kept busy (process CPU time / wall time). ``--variants`` adds monkeypatched variants of the
pipeline that show where the time goes; nothing in ``mmdemo`` is changed on disk.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bench._machine import cpu_count, cpu_model
from mmdemo.core.config import PROJECT_ROOT, Settings
from mmdemo.core.imaging import find_images
from mmdemo.services import ingest
from mmdemo.serving import ModelServer

GOAL = 0.95
ARCH = "ViT-B-32"


def save_random_checkpoint(folder: Path) -> Path:
    """A ViT-B-32 state dict with random weights, as a local open_clip checkpoint file."""
    import open_clip
    import torch

    model = open_clip.create_model(ARCH, pretrained=None)
    path = folder / "vit-b-32-random.pt"
    torch.save(model.state_dict(), path)
    return path


def make_images(folder: Path, n: int, seed: int) -> list[Path]:
    """``n`` files re-saved from the default gallery at 85-115 % of their size, cropped a bit."""
    from PIL import Image

    sources = [p for p in find_images(PROJECT_ROOT / "assets" / "gallery")]
    if not sources:
        raise SystemExit("no images in assets/gallery")
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        src = sources[i % len(sources)]
        with Image.open(src) as im:
            im.load()
            scale = rng.uniform(0.85, 1.15)
            size = (max(32, round(im.width * scale)), max(32, round(im.height * scale)))
            out = im.resize(size, Image.Resampling.BICUBIC)
            dx, dy = (int(v) for v in rng.integers(0, 6, size=2))
            out = out.crop((dx, dy, out.width - dx, out.height - dy))
            target = folder / f"{i:04d}_{src.name}"
            if src.suffix.lower() in (".jpg", ".jpeg"):
                out.save(target, quality=90)
            else:
                out.save(target)
        paths.append(target)
    return paths


@contextmanager
def torch_threads(n: int):
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


@contextmanager
def patched(module, name: str, value):
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, saved)


# -- variants of the preparation step (monkeypatched into mmdemo.services.ingest for one call)


def prepare_single_threaded_torch(original):
    """Worker threads run their tensor ops (ToTensor, Normalize) with 1 intra-op thread.

    ``torch.set_num_threads`` called in a worker thread changes that thread's OpenMP/MKL
    setting only; the main thread's forward keeps its threads (checked in ``main``).
    """
    local = threading.local()

    def prepare(path, embedder, max_pixels, is_known, display_name=None):
        import torch

        if threading.current_thread() is not threading.main_thread() and not getattr(
            local, "done", False
        ):
            torch.set_num_threads(1)
            local.done = True
        return original(path, embedder, max_pixels, is_known, display_name)

    return prepare


# -- the sides --------------------------------------------------------------------------


class Side:
    def __init__(self, name: str, run: Callable[[], int]):
        self.name = name
        self.run = run
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.images = 0

    def measure(self) -> float:
        cpu0, t0 = time.process_time(), time.perf_counter()
        self.images = self.run()
        wall = time.perf_counter() - t0
        self.wall.append(wall)
        self.cpu.append(time.process_time() - cpu0)
        return wall

    def rate(self, i: int) -> float:
        return self.images / self.wall[i]

    def summary(self) -> str:
        rates = [self.images / w for w in self.wall]
        busy = statistics.median(c / w for c, w in zip(self.cpu, self.wall, strict=True))
        return (
            f"  {self.name:38s} {statistics.median(rates):6.2f} img/s "
            f"(min {min(rates):5.2f}, max {max(rates):5.2f})  cores busy {busy:4.2f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=64, help="number of image files")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=Settings().num_workers)
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (after warm-up)")
    parser.add_argument("--variants", action="store_true", help="also time pipeline variants")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.n < 1 or args.batch_size < 1 or args.workers < 0 or args.rounds < 1:
        parser.error("--n, --batch-size and --rounds must be >= 1, --workers >= 0")

    import open_clip
    import torch

    cores = cpu_count()
    print(f"machine: {platform.machine()}, {cores} core(s), {cpu_model()}")
    print(
        f"torch {torch.__version__}, open_clip {open_clip.__version__}, "
        f"Python {platform.python_version()}, load average at start "
        f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    work = Path(tempfile.mkdtemp(prefix="mmdemo-bench-pipeline-"))
    try:
        return run(args, work, cores)
    finally:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


def run(args, work: Path, cores: int) -> int:
    import torch

    started = time.perf_counter()
    checkpoint = save_random_checkpoint(work)
    settings = Settings(
        preset="full", device="cpu", clip_pretrained=str(checkpoint), index_dir=work / "index"
    )
    embedder = ModelServer(settings).get("embed")
    print(
        f"model: {embedder.model_id} on {embedder.device} ({embedder.dtype}), "
        f"built in {time.perf_counter() - started:.1f} s"
    )
    paths = make_images(work / "images", args.n, args.seed)
    sizes = [p.stat().st_size for p in paths]
    kinds = sorted({p.suffix.lower() for p in paths})
    print(
        f"images: {len(paths)} files ({', '.join(kinds)}), "
        f"{sum(sizes) / 2**20:.1f} MiB, median {statistics.median(sizes) / 1024:.0f} KiB"
    )

    # Raw side input: the same images, decoded and preprocessed beforehand, same batches.
    prepared = [
        ingest.prepare_file(p, embedder, settings.max_image_pixels, lambda s: False) for p in paths
    ]
    tensors = [item.tensor for item in prepared]
    batches = [
        torch.stack(tensors[i : i + args.batch_size])
        for i in range(0, len(tensors), args.batch_size)
    ]
    main_threads = torch.get_num_threads()
    print(
        f"batch size {args.batch_size} ({len(batches)} batch(es)), workers {args.workers}, "
        f"torch intra-op threads {main_threads}, inter-op threads "
        f"{torch.get_num_interop_threads()}"
    )

    def raw() -> int:
        for batch in batches:
            embedder.embed_image_tensors(batch)
        return len(paths)

    def pipe(workers: int) -> Callable[[], int]:
        def go() -> int:
            out = ingest.embed_files(
                embedder, paths, batch_size=args.batch_size, num_workers=workers
            )
            if len(out.metas) != len(paths):
                raise RuntimeError(
                    f"pipeline embedded {len(out.metas)} of {len(paths)} files "
                    f"({out.duplicates} duplicates, {len(out.unreadable)} unreadable)"
                )
            return len(out.metas)

        return go

    def decode_only() -> int:
        for p in paths:
            ingest.prepare_file(p, embedder, settings.max_image_pixels, lambda s: False)
        return len(paths)

    def full_decode_only() -> int:
        with patched(ingest, "model_input_side", lambda embedder: None):
            return decode_only()

    def variant(workers: int, *, patch=None, threads: int | None = None) -> Callable[[], int]:
        base = pipe(workers)

        def go() -> int:
            with (
                patched(*patch) if patch else _null(),
                torch_threads(threads) if threads else _null(),
            ):
                return base()

        return go

    w = args.workers
    sides = [
        Side("raw embed_image_tensors", raw),
        Side(f"pipeline num_workers={w}", pipe(w)),
        Side("pipeline num_workers=0 (serial)", pipe(0)),
        Side("decode+preprocess only, serial", decode_only),
        Side(
            f"pipeline w={w}, full-size decode",
            variant(w, patch=(ingest, "model_input_side", lambda embedder: None)),
        ),
        Side("full-size decode+preprocess, serial", full_decode_only),
    ]
    if args.variants:
        single = prepare_single_threaded_torch(ingest.prepare_file)
        if w != 1:
            sides.append(Side("  variant: num_workers=1", pipe(1)))
        sides += [
            Side(
                f"  variant: w={w}, workers' torch threads=1",
                variant(w, patch=(ingest, "prepare_file", single)),
            ),
            Side(
                f"  variant: w={w}, forward threads={max(1, cores - 1)}",
                variant(w, threads=max(1, cores - 1)),
            ),
        ]

    # Correctness: the pipeline's vectors are the raw side's vectors.
    check = ingest.embed_files(embedder, paths, batch_size=args.batch_size, num_workers=w)
    reference = np.concatenate([embedder.embed_image_tensors(b) for b in batches])
    diff = float(np.abs(check.vectors - reference).max())
    print(f"pipeline vectors == raw vectors: max |diff| {diff:.2e}")
    if torch.get_num_threads() != main_threads:
        print(f"WARNING: main thread's torch threads changed to {torch.get_num_threads()}")

    print(f"\n{args.rounds} rounds (+1 warm-up), sides in rotated order each round")
    for r in range(args.rounds + 1):
        order = sides[r % len(sides) :] + sides[: r % len(sides)]
        line = []
        for side in order:
            wall = side.measure()
            line.append(f"{side.name.strip().split(':')[-1].strip()[:18]} {wall:5.1f}s")
        if r == 0:
            for side in sides:
                side.wall.clear()
                side.cpu.clear()
        print(f"  round {r}{' (warm-up)' if r == 0 else ''}: " + " | ".join(line), flush=True)
        if torch.get_num_threads() != main_threads:
            print(f"WARNING: torch threads now {torch.get_num_threads()}")

    raw_side, pipe_side, serial_side, decode_side, before_side, before_decode = sides[:6]
    rounds = range(args.rounds)

    def ratio(side: Side) -> float:
        return statistics.median(side.rate(i) / raw_side.rate(i) for i in rounds)

    # Upper bound for perfect overlap with every core busy: the model's wall time plus the
    # decode time spread over all cores (no core is idle for the decode threads to use).
    raw_wall = statistics.median(raw_side.wall)
    decode_wall = statistics.median(decode_side.wall)
    bound = raw_wall / (raw_wall + decode_wall / cores)
    serial_bound = raw_wall / (raw_wall + decode_wall)

    print(f"\nmedians over {args.rounds} rounds (images/s = {len(paths)} images / wall time)")
    for side in sides:
        print(side.summary())
    print(
        f"per image: model {raw_wall / len(paths) * 1e3:.0f} ms, decode+preprocess "
        f"{decode_wall / len(paths) * 1e3:.1f} ms (serial; full-size decode "
        f"{statistics.median(before_decode.wall) / len(paths) * 1e3:.1f} ms); ratio bounds: "
        f"perfect overlap on {cores} cores {bound:.3f}, no overlap {serial_bound:.3f}"
    )
    print(f"load average at end {' '.join(f'{v:.2f}' for v in os.getloadavg())}")

    print(f"\n{'ratio (pipeline img/s / raw img/s, median of rounds)':58s} {'ratio':>6s}  goal")
    for side in sides[1:]:
        if side in (decode_side, before_decode):
            continue
        value = ratio(side)
        if side is pipe_side:
            verdict = "PASS" if value >= GOAL else "MISS"
            goal = f">={GOAL:.2f}  {verdict}"
        else:
            goal = ""
        print(f"  {side.name:56s} {value:6.3f}  {goal}")
    print(
        f"\nRESULT: index pipeline / raw encode_image at batch {args.batch_size}, "
        f"{w} worker(s), {main_threads} torch threads: {ratio(pipe_side):.3f} "
        f"(goal >= {GOAL:.2f}: {'PASS' if ratio(pipe_side) >= GOAL else 'MISS'}); "
        f"serial decode: {ratio(serial_side):.3f}; full-size decode (before): "
        f"{ratio(before_side):.3f}"
    )
    return 0


@contextmanager
def _null():
    yield


if __name__ == "__main__":
    sys.exit(main())
