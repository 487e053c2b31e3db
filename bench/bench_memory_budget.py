"""RSS with every ``full`` model loaded, versus with ``MMDEMO_MEMORY_BUDGET_GB=8``, and what
unloading costs the next request (a reload) against a warm call.

Run (it holds ~16 GB): ``flock /tmp/mmdemo-bench.lock python -m bench.bench_memory_budget``

Each measurement runs in a fresh offline child process (RSS is per process) that loads,
through ``ModelServer``, every backend ``full`` offers (each task's default and its
choices), in the order of the tabs, then times a BLIP caption warm and after an unload.
Weights are full-size random stand-ins served by the fake hub and fetched by the real
download code (``bench/_random_full.py``, ``bench/_random_diffusion.py`` for SD-Turbo).
Chat: SmolVLM-256M/500M and Qwen2-VL-2B (bfloat16 on a CPU with native bf16, ~4.4 GB) are
included when ``bench/_random_chat.py`` has built them into the cache (``--build-chat``
builds the missing ones first, under the same lock). Without any, chat is pinned to its
tiny twin only so that the cache check passes, and not loaded.

Each row prints the models' bytes as the budget counts them (each tensor storage once,
``memory_state()["loaded_gb"]``) beside the old count (each backend's ``info()`` summed),
so the two can be compared with the RSS.

In the budget run, after the last load: what a request for a model the budget unloaded
waits (the default embedder, which every search needs, reloaded), then the biggest model is
unloaded twice over: first with ``gc.collect()`` only, then glibc's ``malloc_trim`` is
called, to show what each returns to the OS. The app fixes glibc's mmap threshold at
start-up (serving/allocator.py); the children do the same, as the app would.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench._machine import cpu_count, cpu_model
from bench._random_full import FULL_CHOICES, ensure_full_cache, hub_env
from mmdemo.core.config import PROJECT_ROOT
from tests.support.app_process import REPO_ROOT

IMAGE = PROJECT_ROOT / "assets" / "gallery" / "coffee_cup.png"
BUDGET_GB = 8.0
CHAT_PIN = "chat=smolvlm-tiny"  # no cached full-size random chat model: see the docstring
CHAT_BACKENDS = ("smolvlm-256m", "smolvlm-500m", "qwen2-vl-2b")


def cached_chat(cache: Path) -> tuple[str, ...]:
    """The chat backends of CHAT_BACKENDS whose random stand-ins are in ``cache``."""
    try:
        from bench._random_chat import BACKENDS, _weights
    except ImportError:
        return ()
    from mmdemo.models.hub.files import is_cached

    names = {name: repo for repo, name in BACKENDS.items()}
    return tuple(
        name
        for name in CHAT_BACKENDS
        if name in names and all(is_cached(w, cache) for w in _weights(names[name]))
    )


def rss() -> dict[str, float]:
    """VmRSS, RssAnon, RssFile of this process in GiB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            found[key] = round(int(value.split()[0]) / 2**20, 3)
    return found


def child(cache: Path, budget: float | None, chat: tuple[str, ...]) -> dict:
    """Load every full backend (chat: those in ``chat``) through one ModelServer; RSS after
    each."""
    import gc

    from PIL import Image

    from mmdemo.core.config import Settings
    from mmdemo.core.errors import MMDemoError
    from mmdemo.models.presets import get_preset
    from mmdemo.serving import ModelServer
    from mmdemo.serving import server as server_module
    from mmdemo.serving.allocator import fix_mmap_threshold
    from mmdemo.serving.memory_budget import malloc_trim

    settings = Settings(
        preset="full",
        cache_dir=cache,
        device="cpu",
        memory_budget_gb=budget,
        backends=None if chat else CHAT_PIN,
        index_default_gallery=False,
    )
    fix_mmap_threshold(settings.malloc_mmap_threshold_kb)
    server = ModelServer(settings)
    rows = [{"step": "start", **rss()}]
    for task in get_preset("full"):
        backends = chat if task == "chat" else server.choices(task)
        for backend in backends:
            started = time.perf_counter()
            try:
                server.get(task, backend)
            except MMDemoError as err:  # e.g. the early-fusion head, trained on demand only
                rows.append({"step": f"{task}/{backend}", "skipped": str(err)[:120]})
                continue
            state = server.memory_state()
            rows.append(
                {
                    "step": f"{task}/{backend}",
                    "load_s": round(time.perf_counter() - started, 2),
                    "loaded_gb": state["loaded_gb"],
                    "old_count_gb": round(sum(i.memory_bytes for i in server.loaded()) / 2**30, 3),
                    "unloads": len(state["unloaded"]),
                    **rss(),
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    result = {"rows": rows, "state": server.memory_state()}

    image = Image.open(IMAGE).convert("RGB")

    def caption_s() -> float:
        started = time.perf_counter()
        server.run("caption", "caption", image)
        return time.perf_counter() - started

    caption_s()  # loads it if the budget had unloaded it, and warms it
    warm = min(caption_s() for _ in range(3))
    server.unload("caption", reason="bench")
    cold = caption_s()
    result["caption"] = {
        "warm_s": round(warm, 2),
        "after_unload_s": round(cold, 2),
        "reload_s": round(server.last_load_seconds("caption") or 0.0, 2),
    }
    if budget is not None and not server.is_loaded("embed"):  # the budget unloaded it
        started = time.perf_counter()
        server.get("embed")
        result["embed_reload_s"] = round(time.perf_counter() - started, 2)
    if budget is not None:  # what an unload gives back: gc alone, then malloc_trim
        biggest = max(result["state"]["loaded"], key=lambda row: row["gb"])
        released = server_module.release_memory
        server_module.release_memory = lambda on_cuda: gc.collect()
        before = rss()
        server.unload(biggest["task"], reason="bench")
        after_gc = rss()
        malloc_trim()
        after_trim = rss()
        server_module.release_memory = released
        result["unload"] = {
            "model": f"{biggest['task']}/{biggest['backend']}",
            "model_gb": biggest["gb"],
            "before": before,
            "after_gc": after_gc,
            "after_trim": after_trim,
        }
    return result


def run_child(cache: Path, budget: float | None, chat: tuple[str, ...]) -> dict:
    command = [sys.executable, "-m", "bench.bench_memory_budget", "--child", "--cache", str(cache)]
    command += ["--chat", ",".join(chat)]
    if budget is not None:
        command += ["--budget", str(budget)]
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=hub_env(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(label: str, result: dict) -> None:
    print(f"\n## {label}")
    for row in result["rows"]:
        if "skipped" in row:
            print(f"  {row['step']:48s} not loaded: {row['skipped']}")
            continue
        extra = (
            f" load {row['load_s']:5.1f} s, models {row['loaded_gb']:5.2f} GB "
            f"(old count {row['old_count_gb']:5.2f}), "
            if ("load_s" in row)
            else " "
        )
        unloads = f"unloads {row['unloads']}" if "unloads" in row else ""
        print(
            f"  {row['step']:48s}{extra}RSS {row['VmRSS']:5.2f} GiB (anon {row['RssAnon']:5.2f},"
            f" file {row['RssFile']:5.2f}), peak {row['VmHWM']:5.2f} {unloads}"
        )
    caption = result["caption"]
    print(
        f"  caption: warm {caption['warm_s']:.2f} s; after an unload "
        f"{caption['after_unload_s']:.2f} s (reload {caption['reload_s']:.2f} s)"
    )
    if "embed_reload_s" in result:
        print(
            f"  the embedder, unloaded by the budget, reloads in {result['embed_reload_s']:.2f} s"
        )
    for event in result["state"]["unloaded"]:
        print(
            f"  unloaded {event['task']}/{event['backend']} ({event['reason']}), {event['gb']} GB"
        )
    if "unload" in result:
        unload = result["unload"]
        print(
            f"  unload {unload['model']} ({unload['model_gb']} GB): RSS {unload['before']['VmRSS']}"
            f" -> {unload['after_gc']['VmRSS']} (gc) -> {unload['after_trim']['VmRSS']} GiB "
            "(malloc_trim)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--budget", type=float, default=None)
    parser.add_argument("--chat", default="", help=argparse.SUPPRESS)
    parser.add_argument(
        "--build-chat", action="store_true", help="build missing random chat models first"
    )
    args = parser.parse_args()
    if args.child:
        chat = tuple(filter(None, args.chat.split(",")))
        print(json.dumps(child(args.cache, args.budget, chat)))
        return
    from bench._random_diffusion import ensure_sd_turbo_cache

    pinned = tuple(",".join(filter(None, (CHAT_PIN, b))) for b in FULL_CHOICES)
    cache = ensure_full_cache(args.cache, pinned)
    ensure_sd_turbo_cache(cache)
    if args.build_chat:
        from bench._random_chat import BACKENDS, ensure_chat_cache

        ensure_chat_cache(tuple(r for r, n in BACKENDS.items() if n in CHAT_BACKENDS), cache)
    chat = cached_chat(cache)
    print(
        f"machine: {cpu_model()}, {cpu_count()} cores; fp32 on CPU; chat models: "
        f"{', '.join(chat) or 'none (no random chat model cached)'}; load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    results = {"all": run_child(cache, None, chat), "budget": run_child(cache, BUDGET_GB, chat)}
    report("every full model loaded (no budget)", results["all"])
    report(f"MMDEMO_MEMORY_BUDGET_GB={BUDGET_GB:g}", results["budget"])
    print(json.dumps(results))


if __name__ == "__main__":
    main()
