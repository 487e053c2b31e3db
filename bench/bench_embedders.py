"""The two `full` embedders side by side: what does the multilingual default cost?

Run: ``python -m bench.bench_embedders [--rounds 5] [--cache DIR]``

``full`` embeds with open_clip ``xlm-roberta-base-ViT-B-32`` (reads Chinese) by default since
issue 13; ``ViT-B-32`` (English only) stays a choice. Both have the same image tower, so the
difference is the text tower: XLM-RoBERTa-base (278 M parameters, 192 M of them its
250,002-token embedding table) against CLIP's 12-layer text transformer (38 M). Each model
runs in a fresh child process through ``ModelServer`` (the app's loading code) with random
full-size weights (``bench/_random_full.py``): memory and latency depend on shapes, not
values. Measured per model: load time, RSS after load and after the first calls, parameters,
one-query text latency (English and Chinese queries, one at a time as Search sends them) and
an 8-image batch. The two children alternate for ``--rounds`` rounds (the machine is shared
and noisy); medians and ratios (multilingual ÷ English-only) from the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from bench._machine import cpu_count, cpu_model
from bench._random_full import ensure_full_cache, run_offline_child
from bench._stats import median_seconds
from mmdemo.core.config import PROJECT_ROOT

MODELS = {
    "multilingual (default)": "openclip-xlm-roberta-base-vit-b-32",
    "English-only": "openclip-vit-b-32",
}
QUERIES_EN = ["a cup of coffee", "a cat sleeping on a sofa", "a rocket launching at night"]
QUERIES_ZH = ["一杯咖啡", "一只睡在沙发上的猫", "夜里发射的火箭"]
GALLERY = PROJECT_ROOT / "assets" / "gallery"


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(backend: str, cache: Path, reps: int) -> dict:
    """One model in this (fresh) process: load, then time text and image calls."""
    import torch
    from PIL import Image

    from mmdemo.core.config import Settings
    from mmdemo.serving import ModelServer

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    before = rss_mib()
    server = ModelServer(Settings(preset="full", cache_dir=cache, backends=f"embed={backend}"))
    start = time.perf_counter()
    model = server.get("embed")
    load_s = time.perf_counter() - start
    loaded = rss_mib()
    params = sum(p.numel() for m in model.modules() for p in m.parameters())
    photos = sorted(p for p in GALLERY.iterdir() if p.suffix.lower() in {".png", ".jpg"})
    images = [Image.open(p).convert("RGB") for p in photos[:8]]
    model.embed_texts(QUERIES_EN[:1])  # first call: lazy work out of the timings
    model.embed_images(images[:1])

    def timed(call) -> float:
        return median_seconds(call, reps)

    text_en = statistics.median(timed(lambda q=q: model.embed_texts([q])) for q in QUERIES_EN)
    text_zh = statistics.median(timed(lambda q=q: model.embed_texts([q])) for q in QUERIES_ZH)
    batch = timed(lambda: model.embed_images(images))
    return {
        "load_s": load_s,
        "rss_loaded_mib": loaded - before,
        "rss_after_mib": rss_mib() - before,
        "rss_total_mib": rss_mib(),
        "params_m": params / 1e6,
        "text_en_ms": text_en * 1000,
        "text_zh_ms": text_zh * 1000,
        "images8_ms": batch * 1000,
    }


def run_child(backend: str, cache: Path, reps: int) -> dict:
    return run_offline_child("bench.bench_embedders", backend, cache, reps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=5, help="calls per timing, median taken")
    parser.add_argument("--cache", type=Path, help="HF cache for the random models")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.cache, args.reps)))
        return
    import torch

    print(
        f"machine: {cpu_model()}, {cpu_count()} cores; torch {torch.__version__}; CPU, fp32, "
        "random full-size weights"
    )
    sets = ("", "vqa=vilt-vqa", "embed=openclip-vit-b-32")  # download fetches every choice
    cache = ensure_full_cache(args.cache, backend_sets=sets)
    runs: dict[str, list[dict]] = {name: [] for name in MODELS}
    for round_ in range(args.rounds):
        for name, backend in MODELS.items():
            runs[name].append(run_child(backend, cache, args.reps))
        print(f"round {round_ + 1}/{args.rounds} done", flush=True)
    medians = {
        name: {key: statistics.median(r[key] for r in found) for key in found[0]}
        for name, found in runs.items()
    }
    multi, english = (medians[name] for name in MODELS)
    rows = [
        ("parameters (M)", "params_m", "{:.0f}"),
        ("load time (s)", "load_s", "{:.1f}"),
        ("RSS added by loading (MiB)", "rss_loaded_mib", "{:.0f}"),
        ("RSS added after the first calls (MiB)", "rss_after_mib", "{:.0f}"),
        ("one English query (ms)", "text_en_ms", "{:.1f}"),
        ("one Chinese query (ms)", "text_zh_ms", "{:.1f}"),
        ("8 images (ms)", "images8_ms", "{:.0f}"),
    ]
    print(f"\n| medians of {args.rounds} rounds | {' | '.join(MODELS)} | ratio |")
    print("|---|---|---|---|")
    for label, key, form in rows:
        ratio = multi[key] / english[key] if english[key] else float("nan")
        cells = f"{form.format(multi[key])} | {form.format(english[key])}"
        print(f"| {label} | {cells} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
