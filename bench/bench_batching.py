"""Does micro-batching help? N requests arriving together, one at a time vs. batched.

The server runs concurrent caption / VQA calls through ``mmdemo.serving.batching``: while
the model works on one call, new arrivals queue and run together as the next batch. This
script sends N requests at once from N threads through ``ModelServer.run`` (the call the
UI makes) with ``max_batch=1`` (one at a time: what Gradio's queue does by default) and
``max_batch=N``, alternating the two arms, and prints the time until all N are answered,
the mean latency per request, and the ratios. Models are the ``full`` preset's
architectures at full size with random weights (``bench/_random_full.py``).

    python -m bench.bench_batching [--n 8] [--rounds 2] [--tasks vilt,blip-vqa,caption]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench._machine import cpu_count, cpu_model
from bench._random_full import ensure_full_cache
from mmdemo.core.config import PROJECT_ROOT

QUESTION = "what is on the table?"
# (server task, method, backend, options)
TASKS = {
    "vilt": ("vqa", "answer", "vilt-vqa", {}),
    "blip-vqa": ("vqa", "answer", "blip-vqa", {}),
    "caption": ("caption", "caption", "blip-caption", {"mode": "beam", "max_length": 12}),
}


def pictures(n: int):
    """N different gallery photos (cycled), decoded once."""
    from PIL import Image

    files = sorted((PROJECT_ROOT / "assets" / "gallery").glob("*.[pj][np]g"))
    return [Image.open(files[i % len(files)]).convert("RGB") for i in range(n)]


def burst(server, task: str, images, queue: threading.Lock | None) -> tuple[float, list[float]]:
    """Send all requests at once; (seconds until the last answer, each request's latency).

    ``queue``: a lock held around each call, as Gradio's queue runs an event one at a time
    (``concurrency_limit=1``) when batching is off.
    """
    kind, method, backend, options = TASKS[task]
    start = threading.Barrier(len(images))

    def one(image):
        start.wait()
        began = time.perf_counter()
        args = (image, QUESTION) if kind == "vqa" else (image,)
        with queue or contextlib.nullcontext():
            server.run(kind, method, *args, backend=backend, **options)
        return began, time.perf_counter()

    with ThreadPoolExecutor(len(images)) as pool:
        spans = list(pool.map(one, images))
    first = min(b for b, _ in spans)
    return max(e for _, e in spans) - first, [e - b for b, e in spans]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=8, help="requests arriving together")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tasks", default="vilt,blip-vqa,caption")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    cache = ensure_full_cache(backend_sets=("", "vqa=vilt-vqa"))
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch

    from mmdemo.core.config import Settings
    from mmdemo.serving import ModelServer

    print(f"machine: {cpu_model()}, {cpu_count()} cores, torch {torch.__version__}, {args.device}")
    servers = {
        "one at a time": ModelServer(
            Settings(preset="full", cache_dir=cache, device=args.device, max_batch=1)
        ),
        "batched": ModelServer(
            Settings(preset="full", cache_dir=cache, device=args.device, max_batch=args.n)
        ),
    }
    queues = {"one at a time": threading.Lock(), "batched": None}
    images = pictures(args.n)
    print(f"{args.n} requests sent together; {args.rounds} rounds per arm, arms alternating\n")
    print("| task | arm | all answered (s) | mean latency (s) | batch sizes |")
    print("|---|---|---|---|---|")
    summary = []
    for task in args.tasks.split(","):
        kind, method, backend, options = TASKS[task]
        for server in servers.values():  # load + warm up both outside the timing
            args_ = (images[0], QUESTION) if kind == "vqa" else (images[0],)
            server.run(kind, method, *args_, backend=backend, **options)
        totals = {arm: [] for arm in servers}
        means = {arm: [] for arm in servers}
        for _ in range(args.rounds):
            for arm, server in servers.items():
                total, latencies = burst(server, task, images, queues[arm])
                totals[arm].append(total)
                means[arm].append(statistics.mean(latencies))
        for arm, server in servers.items():
            batcher = server.batcher(kind, method, backend)
            sizes = batcher.batch_sizes[1:] if batcher else "1 each"
            print(
                f"| {task} | {arm} | {statistics.median(totals[arm]):.1f} | "
                f"{statistics.median(means[arm]):.1f} | {sizes} |"
            )
        one, batched = (statistics.median(totals[a]) for a in servers)
        summary.append((task, one / batched))
        for server in servers.values():
            server.unload(kind)
    print("\nthroughput gain (time for all one at a time ÷ batched):")
    for task, ratio in summary:
        print(f"  {task}: {ratio:.2f}x")


if __name__ == "__main__":
    main()
