"""Text-to-image: seconds per 512x512 image at 1, 2 and 4 steps, app vs bare diffusers.

Run (holds ~7 GB): ``flock /tmp/mmdemo-bench.lock python -m bench.bench_generate
[--steps 1,2,4] [--rounds 4] [--size 512] [--device cpu|cuda] [--quiet-load 3.0]``

App: ``services.generation.generate(server, prompt, options)``, the path the Generate tab
and the CLI take (the preset and prompt checks, the long-job slot, the worker thread feeding
a queue with each step, the backend's pipeline lock, the seeded per-call generator, the
per-step callback). Bare: the same loaded ``StableDiffusionPipeline`` called directly as a
diffusers user would (``pipe(prompt, num_inference_steps=n, guidance_scale=0, width, height,
generator)``), so both sides run the identical weights and the ratio is the app's own
overhead. Each round is a pair, app and bare back to back, the order alternating (a drift
in the machine's load is shared); the ratio reported is the median of the per-pair ratios,
beside the ratio of the fastest calls, the median over "quiet" pairs (1-minute load
average at the pair's start at most ``--quiet-load``: on this shared 2-core VM a pair run
beside someone else's job measures them, not us), and the same ratios in CPU seconds of this
process (``time.process_time``, every thread: the work each side does, which another
process's load barely changes, where wall seconds swing by 2x from one call to the next).

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


def load_1min() -> float:
    return os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="1,2,4")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quiet-load", type=float, default=3.0)
    args = parser.parse_args()
    cache = ensure_sd_turbo_cache()
    os.environ["HF_HUB_OFFLINE"] = "1"

    import torch

    from mmdemo.core.config import Settings
    from mmdemo.services import generation
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
    print(f"load average at the start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")

    def app(steps: int) -> tuple[float, float]:
        options = {"steps": steps, "seed": 0, "width": args.size, "height": args.size}
        start, cpu = time.perf_counter(), time.process_time()
        result = generation.generate(server, PROMPT, options)
        assert result.stopped == "done" and result.image.size == (args.size, args.size)
        return time.perf_counter() - start, time.process_time() - cpu

    def bare(steps: int) -> tuple[float, float]:
        start, cpu = time.perf_counter(), time.process_time()
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
        return time.perf_counter() - start, time.process_time() - cpu

    print(f"warm-up: bare {bare(1)[0]:.2f} s, app {app(1)[0]:.2f} s (1 step)", flush=True)
    rows = []
    for steps in (int(s) for s in args.steps.split(",")):
        pairs = []  # (app s, bare s, load average at the pair's start)
        cpu_pairs = []  # (app CPU s, bare CPU s)
        for i in range(args.rounds):
            load = load_1min()
            first, second = (app, bare) if i % 2 == 0 else (bare, app)
            seconds = {side.__name__: side(steps) for side in (first, second)}
            (a, a_cpu), (b, b_cpu) = seconds["app"], seconds["bare"]
            pairs.append((a, b, load))
            cpu_pairs.append((a_cpu, b_cpu))
            print(
                f"  {steps} step(s) pair {i + 1} ({first.__name__} first, load {load:.2f}): "
                f"app {a:.2f} s ({a_cpu:.1f} CPU s), bare {b:.2f} s ({b_cpu:.1f} CPU s), "
                f"ratio {a / b:.3f} (CPU {a_cpu / b_cpu:.3f})",
                flush=True,
            )
        ratios = [a / b for a, b, _ in pairs]
        cpu_ratio = statistics.median(a / b for a, b in cpu_pairs)
        quiet = [a / b for a, b, load in pairs if load <= args.quiet_load]
        fastest = min(a for a, _, _ in pairs) / min(b for _, b, _ in pairs)
        row = {
            "steps": steps,
            "app": statistics.median(a for a, _, _ in pairs),
            "bare": statistics.median(b for _, b, _ in pairs),
            "pair_ratio": statistics.median(ratios),
            "fastest_ratio": fastest,
            "quiet_ratio": statistics.median(quiet) if quiet else None,
            "quiet_pairs": len(quiet),
            "loads": [round(load, 2) for _, _, load in pairs],
            "cpu_ratio": cpu_ratio,
            "cpu_app": statistics.median(a for a, _ in cpu_pairs),
            "cpu_bare": statistics.median(b for _, b in cpu_pairs),
        }
        rows.append(row)
        quiet_text = (
            f"{row['quiet_ratio']:.3f} over {len(quiet)} quiet pairs" if quiet else "no quiet pair"
        )
        print(
            f"{steps} step(s) {args.size}x{args.size}: app {row['app']:.2f} s, bare "
            f"{row['bare']:.2f} s; median pair ratio {row['pair_ratio']:.3f}, fastest "
            f"{fastest:.3f}, {quiet_text}; CPU s app {row['cpu_app']:.1f}, bare "
            f"{row['cpu_bare']:.1f}, median pair ratio {cpu_ratio:.3f} (goal <= {GOAL})",
            flush=True,
        )
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        "| steps | app s/image (median) | bare s/image | median pair ratio | fastest ÷ fastest "
        "| quiet pairs: median ratio | CPU s app / bare: pair ratio | load averages |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        quiet = f"{row['quiet_ratio']:.3f} ({row['quiet_pairs']})" if row["quiet_pairs"] else "none"
        print(
            f"| {row['steps']} | {row['app']:.2f} | {row['bare']:.2f} | {row['pair_ratio']:.3f} "
            f"| {row['fastest_ratio']:.3f} | {quiet} | {row['cpu_app']:.1f} / "
            f"{row['cpu_bare']:.1f}: {row['cpu_ratio']:.3f} | {row['loads']} |"
        )


if __name__ == "__main__":
    main()
