"""Ray engine images/s / local engine images/s, same images, same model, same machine.

Run: ``python -m bench.bench_ray_ingest [--n 300] [--rounds 3] [--preset lite]
[--actors 1] [--batch-size 32] [--prepare-cpus 0.5] [--variants]``

The images are the default gallery's photos, augmented (crop, flip, rotation, colour,
size) into ``--n`` distinct JPEGs, so no file is skipped as a duplicate. Each round indexes
them into a fresh index folder with each engine, in alternating order: the local engine
(``Gallery.add_directory``: decode threads overlapped with the forward, model already
loaded in this process) and the Ray engine (``services.ray_ingest.ray_add_directory``:
CPU tasks + one model actor per run, which starts and loads the model each run - a cost
every real run pays). ``ray.init`` is timed once, apart. The ratio is the median of the
per-round ratios (the machine is shared and noisy). Both indexes are then checked to hold
the same ids, metadata and (allclose) vectors.
"""

from __future__ import annotations

import argparse
import platform
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from bench._machine import cpu_count, cpu_model
from mmdemo.core.config import PROJECT_ROOT, Settings
from mmdemo.core.imaging import find_images
from mmdemo.services import ray_ingest
from mmdemo.services.gallery import Gallery
from mmdemo.serving import ModelServer

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


def gallery(preset: str, index_dir: Path) -> Gallery:
    settings = Settings(preset=preset, index_dir=index_dir, index_default_gallery=False)
    return Gallery(ModelServer(settings), settings)


def same_contents(a: Gallery, b: Gallery) -> bool:
    x, y = a.index.items(), b.index.items()
    if [(m.id, m.sha256, m.name, m.path) for m in x] != [
        (m.id, m.sha256, m.name, m.path) for m in y
    ]:
        return False
    return all(np.allclose(a.index.vector(m.id), b.index.vector(m.id), atol=1e-5) for m in x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--preset", default="lite")
    parser.add_argument("--actors", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--prepare-cpus", type=float, default=0.5)
    parser.add_argument("--actor-threads", type=int, default=None)
    parser.add_argument(
        "--variants", action="store_true", help="also try other actor/batch/decode-CPU settings"
    )
    args = parser.parse_args()
    import ray

    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    try:
        paths = make_images(work / "images", args.n)
        print(f"machine: {cpu_model()}, {cpu_count()} cores, {platform.python_version()}")
        print(f"ray {ray.__version__}, preset {args.preset}, {len(paths)} JPEGs")
        init_s = ray_ingest.start_ray(num_cpus=cpu_count())
        print(f"ray.init (local, once): {init_s:.1f} s")
        local_model = gallery(args.preset, work / "warm")  # load the model once, here
        _ = local_model.embedder
        configs = [(args.actors, args.batch_size, args.prepare_cpus)]
        if args.variants:
            configs += [
                (1, 64, args.prepare_cpus),
                (1, args.batch_size, 1.0),
                (2, args.batch_size, 0.5),
            ]
        for actors, batch, prep in configs:
            ratios, local_rates, ray_rates = [], [], []
            for round_ in range(args.rounds):
                loc = gallery(args.preset, work / f"local{round_}")
                loc.server = local_model.server  # warm model, like a second command run
                on_ray = gallery(args.preset, work / f"ray{round_}")
                on_ray.server = local_model.server
                order = ("local", "ray") if round_ % 2 == 0 else ("ray", "local")
                rate = {}
                for side in order:
                    started = time.perf_counter()
                    if side == "local":
                        loc.add_directory(work / "images")
                        rate[side] = len(paths) / (time.perf_counter() - started)
                    else:
                        result = ray_ingest.ray_add_directory(
                            on_ray, work / "images", actors=actors, batch_size=batch,
                            prepare_cpus=prep, actor_threads=args.actor_threads,
                        )  # fmt: skip
                        rate[side] = len(paths) / (time.perf_counter() - started)
                assert result.report.added == len(paths), result.summary()
                ratios.append(rate["ray"] / rate["local"])
                local_rates.append(rate["local"])
                ray_rates.append(rate["ray"])
                same = same_contents(loc, on_ray)
                print(
                    f"  round {round_}: local {rate['local']:.1f} img/s, ray {rate['ray']:.1f} "
                    f"img/s, ratio {ratios[-1]:.2f}, same contents: {same}"
                )
                shutil.rmtree(work / f"local{round_}")
                shutil.rmtree(work / f"ray{round_}")
            ratio = statistics.median(ratios)
            local_rate, ray_rate = statistics.median(local_rates), statistics.median(ray_rates)
            fused = " (Ray fuses decode into the actor)" if prep == 1.0 else ""
            verdict = "met" if ratio >= GOAL else "missed"
            print(
                f"actors={actors} batch={batch} decode-cpus={prep}{fused}: local "
                f"{local_rate:.1f} img/s, ray {ray_rate:.1f} img/s, ratio {ratio:.2f} "
                f"(goal >= {GOAL}: {verdict})"
            )
    finally:
        ray.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
