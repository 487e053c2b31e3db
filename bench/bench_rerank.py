"""What re-ranking search hits with BLIP's ITM head costs, beside the plain search.

Run: ``python -m bench.bench_rerank [--rounds 3] [--reps 3] [--cache DIR] [--notes FILE]``

Re-ranking (``services.rerank``) is opt-in because it runs BLIP base's ViT-B/16 at 384 px
plus a 12-layer text encoder with cross-attention once per hit, where the search itself is
one text embedding and a dot product. Measured here, per preset, in a fresh child process
through ``ModelServer`` (the app's loading code), on CPU: a text search of the bundled
gallery (k = 20, thumbnails made once before timing), then re-ranking its first 10 and 20
hits (the gallery has fewer than 20 photos, so its hits are repeated up to 20: each hit is
read and scored on its own either way). ``tiny`` is the random twin the tests use; ``full``
uses random full-size weights (``bench/_random_full.py``): time and memory depend on the
shapes, not the values. Also: the ITM model's load time and the RSS it adds to a ``full``
server whose embedder is already loaded (the preset's extra memory). The children alternate
for ``--rounds`` rounds (the machine is shared and noisy); medians from the same run.
``--notes`` writes the table as text for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench._machine import cpu_count, cpu_model
from bench._random_full import ensure_full_cache, run_offline_child
from bench._stats import median_seconds
from mmdemo.core.config import PROJECT_ROOT

PRESETS = ("tiny", "full")
QUERIES = ("a cat sitting on a sofa", "a cup of coffee on a table", "an astronaut in a suit")
GALLERY = PROJECT_ROOT / "assets" / "gallery"
TOPS = (10, 20)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(preset: str, cache: Path | None, reps: int) -> dict:
    """One preset in this (fresh) process: index the gallery, time search and re-rank."""
    import torch

    from mmdemo.core.config import Settings
    from mmdemo.services.gallery import Gallery
    from mmdemo.services.rerank import rerank
    from mmdemo.services.search import GallerySearch
    from mmdemo.serving import ModelServer

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            preset=preset,
            cache_dir=cache if preset == "full" else Path(tmp) / "tiny-cache",
            index_dir=Path(tmp) / "index",
            index_default_gallery=False,
        )
        server = ModelServer(settings)
        gallery = Gallery(server, settings)
        gallery.add_directory(GALLERY)
        search = GallerySearch(gallery)
        hits = {q: list(search.text(q, k=20).hits) for q in QUERIES}  # thumbnails made here
        count = len(next(iter(hits.values())))
        padded = {q: (found * (20 // len(found) + 1))[:20] for q, found in hits.items()}

        def timed(call) -> float:
            return median_seconds(call, reps)

        search_s = statistics.median(timed(lambda q=q: search.text(q, k=20)) for q in QUERIES)
        before = rss_mib()
        start = time.perf_counter()
        matcher = server.get("match")
        load_s = time.perf_counter() - start
        loaded = rss_mib()
        rerank(server, QUERIES[0], padded[QUERIES[0]], top=2)  # first call: lazy work
        result: dict = {
            "search_ms": search_s * 1000,
            "hits": count,
            "itm_load_s": load_s,
            "itm_rss_mib": loaded - before,
            "itm_params_m": matcher.info().parameters / 1e6,
            "rss_total_mib": rss_mib(),
        }
        for top in TOPS:
            walls, reads = [], []
            for query in QUERIES:
                for _ in range(reps):
                    start = time.perf_counter()
                    done = rerank(server, query, padded[query], top=top)
                    walls.append(time.perf_counter() - start)
                    reads.append(done.read_seconds)
            result[f"rerank{top}_s"] = statistics.median(walls)
            result[f"read{top}_s"] = statistics.median(reads)
        result["rss_after_mib"] = rss_mib() - before
    return result


def run_child(preset: str, cache: Path, reps: int) -> dict:
    return run_offline_child("bench.bench_rerank", preset, cache, reps)


def table(medians: dict[str, dict], rounds: int) -> list[str]:
    rows = [
        ("plain text search, k = 20 (ms)", "search_ms", "{:.0f}"),
        ("re-rank 10 hits (s)", "rerank10_s", "{:.2f}"),
        ("re-rank 20 hits (s)", "rerank20_s", "{:.2f}"),
        ("of which reading the 10 / 20 images (s)", "read", "{:.2f} / {:.2f}"),
        ("re-rank 10 ÷ plain search", None, "{:.0f}x"),
        ("ITM model parameters (M)", "itm_params_m", "{:.1f}"),
        ("ITM model load (s)", "itm_load_s", "{:.1f}"),
        ("RSS added by loading the ITM model (MiB)", "itm_rss_mib", "{:.0f}"),
        ("RSS added after re-ranking (MiB)", "rss_after_mib", "{:.0f}"),
    ]
    lines = [f"| medians of {rounds} rounds | {' | '.join(PRESETS)} |", "|---|---|---|"]
    for label, key, form in rows:
        cells = []
        for preset in PRESETS:
            found = medians[preset]
            if key is None:
                cells.append(form.format(found["rerank10_s"] * 1000 / found["search_ms"]))
            elif key == "read":
                cells.append(form.format(found["read10_s"], found["read20_s"]))
            else:
                cells.append(form.format(found[key]))
        lines.append(f"| {label} | {' | '.join(cells)} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=3, help="calls per timing, median taken")
    parser.add_argument("--cache", type=Path, help="HF cache for the random full models")
    parser.add_argument("--notes", type=Path, help="write the table (markdown) here too")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.cache, args.reps)))
        return
    import torch

    machine = (
        f"{cpu_model()}, {cpu_count()} cores; torch {torch.__version__}; CPU, fp32; full with "
        "random full-size weights"
    )
    print(f"machine: {machine}", flush=True)
    cache = ensure_full_cache(args.cache)
    runs: dict[str, list[dict]] = {preset: [] for preset in PRESETS}
    for round_ in range(args.rounds):
        for preset in PRESETS:
            runs[preset].append(run_child(preset, cache, args.reps))
        print(f"round {round_ + 1}/{args.rounds} done", flush=True)
    medians = {
        preset: {key: statistics.median(r[key] for r in found) for key in found[0]}
        for preset, found in runs.items()
    }
    lines = table(medians, args.rounds)
    print("\n" + "\n".join(lines))
    print("\nraw:", json.dumps(runs))
    if args.notes:
        header = [
            f"Machine: {machine}.",
            f"Gallery: the bundled {int(medians['full']['hits'])} photos (hits repeated up to "
            f"20); {len(QUERIES)} English queries, {args.reps} calls each, median.",
            "",
        ]
        args.notes.write_text("\n".join(header + lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
