"""Text-to-image: seconds per 512x512 image at 1, 2 and 4 steps, app vs bare diffusers.

Run (holds ~6 GB): ``flock /tmp/mmdemo-bigmem.lock python -m bench.bench_generate
[--steps 1,2,4] [--rounds 2] [--size 512] [--device cpu|cuda]``

App: ``ModelServer(full, offline).get("generate").generate(prompt, GenerateOptions(...))``,
the path the Generate service takes (prompt and option checks, the pipeline lock, the seeded
per-call generator, the per-step callback). Bare: the same loaded ``StableDiffusionPipeline``
called directly as a diffusers user would (``pipe(prompt, num_inference_steps=n,
guidance_scale=0, width, height, generator)``), so both sides run the identical weights and
the ratio is the app's own overhead. Calls alternate app, bare, app, bare ... after one
warm-up each, because the machine is shared and noisy; the ratio is of the medians.

Model: full-size SD-Turbo architecture with random weights (``bench/_random_diffusion.py``),
fetched from a fake hub by the real download code and loaded offline by ``sd_turbo.load``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from bench._machine import cpu_count, cpu_model
from bench._random_diffusion import ensure_sd_turbo_cache

GOAL = 1.10
PROMPT = "a lighthouse on a rocky coast at sunset, oil painting"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="1,2,4")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    cache = ensure_sd_turbo_cache()
    os.environ["HF_HUB_OFFLINE"] = "1"

    import torch

    from mmdemo.core.config import Settings
    from mmdemo.core.generate_results import GenerateOptions
    from mmdemo.serving import ModelServer

    settings = Settings(preset="full", cache_dir=cache, device=args.device)
    server = ModelServer(settings)
    started = time.perf_counter()
    backend = server.get("generate")
    load_s = time.perf_counter() - started
    pipe = backend.pipe
    print(f"machine: {cpu_model()} ({cpu_count()} CPUs), torch threads {torch.get_num_threads()}")
    where = f"{backend.device} ({backend.dtype})"
    print(f"model: {backend.model_label} on {where}; load {load_s:.1f} s")

    def app(steps: int) -> float:
        options = GenerateOptions(steps=steps, seed=0, width=args.size, height=args.size)
        start = time.perf_counter()
        result = backend.generate(PROMPT, options)
        assert result.stopped == "done" and result.image.size == (args.size, args.size)
        return time.perf_counter() - start

    def bare(steps: int) -> float:
        start = time.perf_counter()
        with torch.inference_mode():
            out = pipe(
                PROMPT,
                num_inference_steps=steps,
                guidance_scale=0.0,
                width=args.size,
                height=args.size,
                generator=torch.Generator("cpu").manual_seed(0),
            )
        assert out.images[0].size == (args.size, args.size)
        return time.perf_counter() - start

    print(f"warm-up (bare, 1 step): {bare(1):.2f} s", flush=True)  # first-call allocations
    rows = []
    for steps in (int(s) for s in args.steps.split(",")):
        app_s, bare_s = [], []
        for i in range(args.rounds):
            # alternate which side goes first, so a drift in the machine's load is shared
            first, second = (app, bare) if i % 2 == 0 else (bare, app)
            for side in (first, second):
                seconds = side(steps)
                (app_s if side is app else bare_s).append(seconds)
                print(f"  {side.__name__} {steps} step(s): {seconds:.2f} s", flush=True)
        a, b = statistics.median(app_s), statistics.median(bare_s)
        rows.append((steps, a, b, a / b))
        print(
            f"{steps} step(s) {args.size}x{args.size}: app {a:.2f} s, bare {b:.2f} s, "
            f"ratio {a / b:.3f} (goal <= {GOAL}); app {[round(x, 2) for x in app_s]}, "
            f"bare {[round(x, 2) for x in bare_s]}",
            flush=True,
        )
    print("| steps | app s/image | bare s/image | app / bare |")
    print("|---|---|---|---|")
    for steps, a, b, ratio in rows:
        print(f"| {steps} | {a:.2f} | {b:.2f} | {ratio:.3f} |")


if __name__ == "__main__":
    main()
