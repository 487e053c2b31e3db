"""Resident memory (RSS) with every ``full`` model loaded: does it fit a 16 GB CPU Space?

Run: ``python -m bench.bench_memory [--device cpu|cuda] [--skip-app] [--skip-process]``

Two measurements, both fp32 on the CPU (the dtype ``full`` uses without a GPU):

1. **The app** (what a Space runs): ``python app.py`` with the ``full`` preset, indexing the
   default gallery at start-up as a fresh Space does; RSS of its process after start-up and
   after one request per task through ``gradio_client`` (search, classify, caption, BLIP VQA,
   ViLT when ``/vqa`` offers a model choice, sentiment). Models load on first use, so each
   request's line includes that model.
2. **One process holding everything** (the worst case, whatever the UI offers): a fresh
   child process loads CLIP ViT-B-32, BLIP caption, BLIP VQA, ViLT and the preset's
   sentiment backend through ``ModelServer``, then runs one request on each.

RSS is read from ``/proc/PID/status``: VmRSS (now), VmHWM (peak), and its split into
anonymous memory (RssAnon: weights copied into tensors, activations) and file pages (RssFile:
mmapped weight files and libraries, which the kernel can drop and re-read). Weights are
random full-size stand-ins (``bench/_random_full.py``): memory depends on shapes, not values.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._loopback import bypass_proxies
from bench._machine import cpu_count, cpu_model
from bench._random_full import OFFLINE, ensure_full_cache, hub_env
from mmdemo.core.config import PROJECT_ROOT
from tests.support.app_process import REPO_ROOT, AppProcess, endpoint_parameters

SPACE_GB = 16
IMAGE = PROJECT_ROOT / "assets" / "gallery" / "coffee_cup.png"
QUESTION = "What is on the table next to the cup?"
TEXT = "I love this place, the coffee is wonderful!"
CAPTION_TOKENS = 20
_FIELDS = ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem")


def status(pid: int | str = "self") -> dict[str, float]:
    """VmRSS, VmHWM, RssAnon, RssFile, RssShmem of a process, in MiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in _FIELDS:
            found[key] = int(value.split()[0]) / 1024  # kB -> MiB
    return found


def tree_rss(pid: int) -> float:
    """RSS of a process plus its children (MiB); Gradio normally runs in one process."""
    import psutil

    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


def line(label: str, stats: dict[str, float], extra: str = "") -> str:
    return (
        f"  {label:46s} RSS {stats['VmRSS'] / 1024:6.2f} GiB  peak {stats['VmHWM'] / 1024:6.2f} "
        f"GiB  (anon {stats['RssAnon'] / 1024:5.2f}, file {stats['RssFile'] / 1024:5.2f}){extra}"
    )


# -- 1. the app --------------------------------------------------------------------------
def measure_app(cache: Path, device: str) -> list[tuple[str, dict]]:
    from gradio_client import handle_file

    stages: list[tuple[str, dict]] = []
    bypass_proxies()
    env = dict(
        OFFLINE,  # the app must find everything in the cache
        MMDEMO_PRESET="full",
        MMDEMO_CACHE_DIR=str(cache),
        MMDEMO_DEVICE=device,
        MMDEMO_BACKENDS="",
    )
    with (
        tempfile.TemporaryDirectory(prefix="bench_mem_") as work,
        AppProcess(Path(work), timeout=600, **env) as app,
    ):
        client = app.client()

        def record(label: str) -> None:
            stats = status(app.pid)
            stages.append((label, stats))
            children = tree_rss(app.pid) - stats["VmRSS"]
            extra = f"  (+{children:.0f} MiB in children)" if children > 1 else ""
            print(line(label, stats, extra), flush=True)

        print(f"app.py answered after {app.started_s:.0f} s")
        record("started: CLIP loaded, gallery indexed")
        image = lambda: handle_file(str(IMAGE))  # noqa: E731
        client.predict("a cup of coffee", 10, api_name="/search_text")
        client.predict(image(), "", 0.0, 10, api_name="/search_image")
        record("+ text search, image search")
        client.predict(image(), "cat, dog, cup", "a photo of {}.", api_name="/classify")
        record("+ classify")
        caption_params = endpoint_parameters(client, "/caption")
        extra = ["blip-caption"] if len(caption_params) > 4 else []
        client.predict(image(), "beam", CAPTION_TOKENS, "", *extra, api_name="/caption")
        record(f"+ BLIP caption (beam 3, {CAPTION_TOKENS} tokens)")
        vqa_params = endpoint_parameters(client, "/vqa")
        if len(vqa_params) > 3:  # the VQA tab offers a model choice
            client.predict(image(), QUESTION, "product", "blip-vqa", api_name="/vqa")
            record("+ BLIP VQA")
            client.predict(image(), QUESTION, "product", "vilt-vqa", api_name="/vqa")
            record("+ ViLT VQA")
        else:
            client.predict(image(), QUESTION, api_name="/vqa")
            record("+ BLIP VQA (no ViLT: /vqa has no model choice)")
        client.predict(TEXT, api_name="/sentiment")
        record("+ sentiment")
    return stages


# -- 2. one process, everything ----------------------------------------------------------
def worker(cache: Path, device: str) -> None:
    """Runs in a fresh child process; prints one JSON object per stage."""
    import torch

    from mmdemo.core.config import Settings
    from mmdemo.core.imaging import load_image
    from mmdemo.serving import ModelServer

    def record(label: str, backend=None) -> None:
        info = backend.info() if backend is not None else None
        payload = {"label": label, **status()}
        if server.device.type == "cuda":  # weights live on the GPU there, not in RSS
            payload["cuda_mib"] = torch.cuda.max_memory_allocated(server.device) / 2**20
        if info is not None:
            payload.update(model=info.model, parameters=info.parameters, bytes=info.memory_bytes)
        print(json.dumps(payload), flush=True)

    settings = Settings(preset="full", cache_dir=cache, device=device, index_default_gallery=False)
    server = ModelServer(settings)
    image = load_image(IMAGE)
    record(f"python, torch {torch.__version__}, mmdemo imported")
    loaded = {}
    for label, task, name in (
        ("CLIP ViT-B-32", "embed", None),
        ("BLIP caption", "caption", None),
        ("BLIP VQA", "vqa", None),
        ("ViLT VQA", "vqa", "vilt-vqa"),
        ("sentiment", "sentiment", None),
    ):
        backend = server.get(task, name)  # name None: the preset's default backend
        loaded[label] = backend
        record(f"+ {label} loaded", backend)
    loaded["CLIP ViT-B-32"].embed_images([image])
    loaded["CLIP ViT-B-32"].embed_texts(["a cup of coffee"])
    record("+ one CLIP image and text embedding")
    loaded["BLIP caption"].caption(image, max_length=CAPTION_TOKENS)
    record(f"+ one BLIP caption (beam 3, {CAPTION_TOKENS} tokens)")
    loaded["BLIP VQA"].answer(image, QUESTION)
    record("+ one BLIP VQA answer")
    loaded["ViLT VQA"].answer(image, QUESTION)
    record("+ one ViLT VQA answer")
    loaded["sentiment"].analyze(TEXT)
    record("+ one sentiment")


def measure_process(cache: Path, device: str) -> list[tuple[str, dict]]:
    env = hub_env(None)
    command = [sys.executable, "-m", "bench.bench_memory", "--worker", "--cache", str(cache)]
    result = subprocess.run(
        [*command, "--device", device],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if result.returncode != 0:
        raise SystemExit(f"worker failed:\n{result.stderr[-3000:]}")
    stages = []
    for text in result.stdout.splitlines():
        if not text.startswith("{"):
            continue
        stats = json.loads(text)
        extra = ""
        if "parameters" in stats:
            extra = (
                f"  {stats['parameters'] / 1e6:.0f} M params, "
                f"{stats['bytes'] / 2**30:.2f} GiB of tensors ({stats['model']})"
            )
        if "cuda_mib" in stats:
            extra += f"  CUDA peak {stats['cuda_mib'] / 1024:.2f} GiB"
        print(line(stats["label"], stats, extra), flush=True)
        stages.append((stats["label"], stats))
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]")
    parser.add_argument("--cache", type=Path, help="HF cache for the random models")
    parser.add_argument("--skip-app", action="store_true", help="only the one-process numbers")
    parser.add_argument("--skip-process", action="store_true", help="only the app's numbers")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.cache, args.device)
        return

    import torch

    print(
        f"machine: {cpu_model()}, {cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM; "
        f"torch {torch.__version__}; device {args.device}"
    )
    cache = ensure_full_cache(args.cache)
    started = time.perf_counter()
    peaks = {}
    if not args.skip_process:
        print("\nOne process, every full model (ModelServer in a fresh child process):")
        stages = measure_process(cache, args.device)
        peaks["one process, all models"] = stages[-1][1]
    if not args.skip_app:
        print("\npython app.py, full preset, one request per task (gradio_client):")
        stages = measure_app(cache, args.device)
        peaks["app.py"] = stages[-1][1]
    print(f"\n({time.perf_counter() - started:.0f} s)")
    for name, stats in peaks.items():
        peak = stats["VmHWM"] * 2**20 / 1e9  # GB, as Spaces count them
        print(
            f"{name}: final RSS {stats['VmRSS'] / 1024:.2f} GiB, peak {peak:.2f} GB = "
            f"{100 * peak / SPACE_GB:.0f}% of a {SPACE_GB} GB Space ({SPACE_GB - peak:.1f} GB left)"
        )


if __name__ == "__main__":
    main()
