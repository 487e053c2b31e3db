"""Ray engine images/s / local engine images/s, end to end as a user runs them (issue 16).

Run: ``python -m bench.bench_ray_ingest [--n 2000] [--rounds 3] [--preset lite]
[--ray-actors N] [--also-actors N] [--before DIR]``

Like for like: each run is a fresh ``python -m mmdemo index DIR --index-dir NEW`` process
(``--engine ray`` for Ray), so both load the model themselves, and Ray's run includes
starting its local Ray (``ray.init``, reported apart as well: a running cluster would not
pay it). The images are the default gallery's photos, augmented (crop, flip, rotation,
colour, size) into ``--n`` distinct JPEGs, so none is skipped as a duplicate. One untimed
warm-up pair on a few images first (page cache, compiled kernels), then ``--rounds``
pairs in alternating order; the ratio is the median of the per-pair ratios (the machine is
shared and noisy) and the load average is printed with every run. After each pair both
index folders are loaded and must hold the same ids, metadata and (1e-5) vectors.

``--also-actors N``: also time ``--engine ray --ray-actors N`` (model actors instead of the
default, where on one machine without GPUs the driver embeds). ``--before DIR``: also time
the Ray engine of another checkout of the project (e.g. ``git archive <commit> | tar -x -C
DIR``), in the same rounds: before/after, side by side. Each Ray run's own log line ("Ray
stages: ...", with ``-v``) says where its time went.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from bench._machine import cpu_count, cpu_model
from mmdemo.core.config import PROJECT_ROOT
from mmdemo.core.imaging import find_images
from mmdemo.index import VectorIndex

GOAL = 0.9


def make_images(folder: Path, n: int, seed: int = 0) -> list[Path]:
    """``n`` distinct JPEGs: gallery photos cropped, flipped, rotated, recoloured, resized."""
    rng = random.Random(seed)
    sources = [Image.open(p).convert("RGB") for p in find_images(PROJECT_ROOT / "assets/gallery")]
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        image = rng.choice(sources)
        w, h = image.size
        cw, ch = int(w * rng.uniform(0.6, 1.0)), int(h * rng.uniform(0.6, 1.0))
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        image = image.crop((x, y, x + cw, y + ch))
        if rng.random() < 0.5:
            image = ImageOps.mirror(image)
        image = image.rotate(rng.uniform(-15, 15), expand=False)
        image = ImageEnhance.Color(image).enhance(rng.uniform(0.6, 1.4))
        image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.8, 1.2))
        side = rng.randint(320, 640)
        image = image.resize((side, int(side * ch / cw)))
        path = folder / f"sub{i % 8}" / f"aug_{i:04d}.jpg"
        path.parent.mkdir(exist_ok=True)
        image.save(path, quality=88)
        out.append(path)
    return out


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def run_index(root: Path, engine: str, images: Path, index_dir: Path, args) -> dict:
    """One ``python -m mmdemo index`` process from the project at ``root``; its wall time."""
    command = [sys.executable, "-m", "mmdemo", "index", str(images), "--preset", args.preset]
    command += ["--index-dir", str(index_dir), "-v"]
    if engine != "local":
        command += ["--engine", "ray"]
        actors = args.also_actors if engine.startswith("ray-actors") else args.ray_actors
        if actors:
            command += ["--ray-actors", str(actors)]
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("MMDEMO_INDEX_DIR", None)
    load_before = load_average()
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=args.timeout
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{engine} run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    init = re.search(r"ray\.init (\d+(?:\.\d+)?) s", done.stdout)
    stages = re.search(r"Ray stages: (.*)", done.stderr)
    return {
        "seconds": seconds,
        "init": float(init.group(1)) if init else 0.0,
        "stages": stages.group(1) if stages else "",
        "summary": done.stdout.strip().splitlines()[0],
        "load": f"{load_before} -> {load_average()}",
    }


def same_contents(a: Path, b: Path) -> bool:
    """Both index folders hold the same ids, names, paths, hashes, sizes and vectors."""
    x, y = VectorIndex.load(a, use_gpu=False), VectorIndex.load(b, use_gpu=False)
    keys = [(m.id, m.sha256, m.name, m.path, m.width, m.height, m.size_bytes) for m in x.items()]
    if keys != [
        (m.id, m.sha256, m.name, m.path, m.width, m.height, m.size_bytes) for m in y.items()
    ]:
        return False
    return all(np.allclose(x.vector(m.id), y.vector(m.id), atol=1e-5) for m in x.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--preset", default="lite")
    parser.add_argument("--ray-actors", type=int, default=None)
    parser.add_argument("--also-actors", type=int, help="also time --ray-actors N")
    parser.add_argument("--before", type=Path, help="another checkout whose Ray engine to time")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per index run")
    args = parser.parse_args()
    import ray

    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    engines = {"local": PROJECT_ROOT, "ray": PROJECT_ROOT}
    if args.also_actors:
        engines[f"ray-actors{args.also_actors}"] = PROJECT_ROOT
    if args.before:
        engines["ray-before"] = args.before.resolve()
    try:
        paths = make_images(work / "images", args.n)
        print(f"machine: {cpu_model()}, {cpu_count()} cores, {platform.python_version()}")
        print(f"ray {ray.__version__}, preset {args.preset}, {len(paths)} JPEGs")
        print(f"load average at the start: {load_average()}")
        for engine, root in engines.items():  # warm-up, untimed: page cache, kernels
            run_index(root, engine, work / "images" / "sub0", work / f"warm-{engine}", args)
        rows: dict[str, list[dict]] = {engine: [] for engine in engines}
        ratios: dict[str, list[float]] = {engine: [] for engine in engines if engine != "local"}
        without_init: dict[str, list[float]] = {engine: [] for engine in ratios}
        for round_ in range(args.rounds):
            order = list(engines) if round_ % 2 == 0 else list(engines)[::-1]
            got = {}
            for engine in order:
                got[engine] = run_index(
                    engines[engine], engine, work / "images", work / f"{engine}{round_}", args
                )
                assert f"added {len(paths)}," in got[engine]["summary"], got[engine]["summary"]
                rows[engine].append(got[engine])
            local = got["local"]["seconds"]
            line = [f"round {round_} (order {', '.join(order)}): local {local:.1f} s "
                    f"({len(paths) / local:.1f} img/s, load {got['local']['load']})"]  # fmt: skip
            for engine in ratios:
                run = got[engine]
                ratios[engine].append(local / run["seconds"])
                without_init[engine].append(local / (run["seconds"] - run["init"]))
                same = same_contents(work / f"local{round_}", work / f"{engine}{round_}")
                line.append(
                    f"  {engine}: {run['seconds']:.1f} s ({len(paths) / run['seconds']:.1f} img/s, "
                    f"ray.init {run['init']:.1f} s, load {run['load']}), ratio "
                    f"{ratios[engine][-1]:.2f} ({without_init[engine][-1]:.2f} without ray.init), "
                    f"same contents: {same}\n    stages: {run['stages']}"
                )
            print("\n".join(line), flush=True)
            for engine in engines:
                shutil.rmtree(work / f"{engine}{round_}")
        local_rate = statistics.median(len(paths) / r["seconds"] for r in rows["local"])
        print(f"local: {local_rate:.1f} img/s (median of {args.rounds})")
        for engine in ratios:
            rate = statistics.median(len(paths) / r["seconds"] for r in rows[engine])
            ratio, bare = statistics.median(ratios[engine]), statistics.median(without_init[engine])
            verdict = "met" if ratio >= GOAL else "missed"
            print(
                f"{engine}: {rate:.1f} img/s; Ray / local = {ratio:.2f} end to end, ray.init "
                f"included (goal >= {GOAL}: {verdict}); {bare:.2f} without ray.init; "
                f"load at the end {load_average()}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
