"""lite's label bridge before and after the USE-multilingual half (issue 13): what it costs.

Run: ``python -m bench.bench_lite_bridge [--before REV] [--rounds 5]``

``after`` is the working tree's bridge, loaded through ``ModelServer`` (the app's code);
``before`` is ``mmdemo/models/backends/label_bridge.py`` as it was at ``--before`` (default:
the last commit before the multilingual bridge), loaded from git into this process with the
same settings. Measured per side: load time with the class-prompt caches warm (what every
start after the first costs), one-query text latency (English and Chinese, one at a time as
Search sends them) and 16 gallery photos in one call. The two sides alternate per round;
medians. The first start of the new bridge also embeds the 1000 class prompts with USE once
(then cached on disk): timed separately with ``--cold``.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from bench._machine import cpu_count, cpu_model
from mmdemo.core.config import PROJECT_ROOT, Settings
from mmdemo.core.imaging import load_image
from mmdemo.models.base import LoadContext

QUERIES_EN = ["a cup of coffee", "a cat sleeping on a sofa", "a rocket launching at night"]
QUERIES_ZH = ["一杯咖啡", "一只睡在沙发上的猫", "夜里发射的火箭"]
GALLERY = PROJECT_ROOT / "assets" / "gallery"
BEFORE = "3d72eea"  # main just before the multilingual bridge


def old_module(rev: str):
    source = subprocess.run(
        ["git", "show", f"{rev}:mmdemo/models/backends/label_bridge.py"],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "label_bridge_before.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("label_bridge_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(side: str, rev: str, settings: Settings):
    from mmdemo.models.backends import label_bridge

    module = old_module(rev) if side == "before" else label_bridge
    ctx = LoadContext(settings, torch.device("cpu"), torch.float32, lambda *_: None)
    start = time.perf_counter()
    embedder = module.load(module.SPECS[0], ctx)
    return embedder, time.perf_counter() - start


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_lite_bridge")
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cold", action="store_true", help="also time a first start")
    args = parser.parse_args(argv)
    settings = Settings(preset="lite", index_default_gallery=False)
    photos = [load_image(p, name=p.name) for p in sorted(GALLERY.glob("*.[pj][np]g"))][:16]
    results: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    if args.cold:
        with tempfile.TemporaryDirectory() as cache:
            cold = Settings(preset="lite", index_default_gallery=False, cache_dir=Path(cache))
            for side in ("before", "after"):
                results[side]["first start, empty cache (s)"] = [load(side, args.before, cold)[1]]
    for side in ("before", "after"):
        load(side, args.before, settings)  # fill the caches
    for _ in range(args.rounds):
        for side in ("before", "after"):
            embedder, seconds = load(side, args.before, settings)
            row = results[side]
            row.setdefault("load, warm cache (s)", []).append(seconds)
            for name, queries in (("English", QUERIES_EN), ("Chinese", QUERIES_ZH)):
                per = [timed(lambda q=q, e=embedder: e.embed_texts([q])) for q in queries]
                row.setdefault(f"one {name} query (ms)", []).append(1000 * statistics.median(per))
            row.setdefault("16 photos (s)", []).append(
                timed(lambda e=embedder: e.embed_images(photos))
            )
    print(f"Machine: {cpu_model()}, {cpu_count()} cores, torch threads {torch.get_num_threads()}.")
    print(f"Medians of {args.rounds} rounds (before = {args.before}).\n")
    print("| measure | before | after |\n|---|---|---|")
    for key in results["after"]:
        before = results["before"].get(key)
        cells = [
            f"{statistics.median(v):.2f}" if v else "-" for v in (before, results["after"][key])
        ]
        print(f"| {key} | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
