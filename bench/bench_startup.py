"""Start-up: seconds from ``python app.py`` to the page answering and to the models ready.

Run: ``python -m bench.bench_startup [--rounds 3] [--before REV] [--presets tiny,lite]``

Two sides, alternated in each round: ``after`` is the working tree's ``app.py`` (the page
is served first, the models warm up in the background: ready when the log says
``Warm-up done``); ``before`` is ``app.py`` as it was at ``--before`` (default: the commit
before "UI first"), run against the same package, which loaded the model and indexed the
gallery before launching (ready = answered). Every start is a first start: a fresh index
folder, so the default gallery is indexed each time. ``lite`` runs the way a fresh offline
machine does: no preset set, an empty hub cache and an unreachable hub (``auto`` -> lite).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._machine import cpu_count, cpu_model
from tests.support.app_process import REPO_ROOT, WARM_DONE_MARKERS, answers_200, free_port
from tests.support.environment import scrub, subprocess_env

BEFORE = "b7e6d91~1"  # app.py before the page was served first
TIMEOUT_S = 300


def preset_env(preset: str, work: Path) -> dict[str, str]:
    if preset == "lite":  # auto on an offline machine with nothing cached
        (work / "hf-cache").mkdir()
        return {"MMDEMO_CACHE_DIR": str(work / "hf-cache"), "HF_ENDPOINT": "http://127.0.0.1:9"}
    return {"MMDEMO_PRESET": preset}


def start_once(script: Path, preset: str, waits_for_warm_up: bool) -> tuple[float, float]:
    """(seconds to HTTP 200, seconds to models ready) for one first start of ``script``."""
    work = Path(tempfile.mkdtemp(prefix="mmdemo-bench-startup-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = subprocess_env(
        MMDEMO_INDEX_DIR=str(work / "index"),
        GRADIO_SERVER_NAME="127.0.0.1",
        GRADIO_SERVER_PORT=str(port),
        PYTHONPATH=str(REPO_ROOT),
        **preset_env(preset, work),
    )
    log_path = work / "app.log"
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(script)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        answered = ready = 0.0
        while time.perf_counter() - started < TIMEOUT_S:
            if process.poll() is not None:
                raise RuntimeError(f"{script} exited:\n{log_path.read_text()[-3000:]}")
            if not answered and answers_200(url, timeout=1):
                answered = time.perf_counter() - started
                if not waits_for_warm_up:
                    return answered, answered  # it warmed up before serving
            if answered and any(m in log_path.read_text() for m in WARM_DONE_MARKERS):
                ready = time.perf_counter() - started
                return answered, ready
            time.sleep(0.05)
        raise RuntimeError(f"{script} not ready in {TIMEOUT_S} s:\n{log_path.read_text()[-3000:]}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", default=BEFORE, help="git revision of the 'before' app.py")
    parser.add_argument("--presets", default="tiny,lite")
    args = parser.parse_args()
    scrub(os.environ, hf_home=tempfile.mkdtemp(prefix="mmdemo-bench-hf-"))

    old = subprocess.run(
        ["git", "show", f"{args.before}:app.py"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    if old.returncode != 0:
        raise SystemExit(f"cannot read app.py at {args.before}: {old.stderr.strip()}")
    before_dir = Path(tempfile.mkdtemp(prefix="mmdemo-bench-before-"))
    before_script = before_dir / "app_before.py"
    before_script.write_text(old.stdout)
    sides = {"before": (before_script, False), "after": (REPO_ROOT / "app.py", True)}

    print(f"machine: {platform.machine()}, {cpu_count()} core(s), {cpu_model()}")
    print(f"load average at start {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for preset in args.presets.split(","):
        for r in range(args.rounds):
            order = list(sides) if r % 2 == 0 else list(reversed(sides))
            for side in order:
                script, warms = sides[side]
                answered, ready = start_once(script, preset, warms)
                results.setdefault((preset, side), []).append((answered, ready))
                print(
                    f"  {preset:5s} round {r} {side:6s}: page {answered:5.1f} s, "
                    f"models ready {ready:5.1f} s",
                    flush=True,
                )
    print(f"load average at end {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"\nmedians over {args.rounds} rounds (s from Popen)")
    print(f"  {'preset':6s} {'side':6s} {'page answers':>13s} {'models ready':>13s}")
    for (preset, side), runs in results.items():
        page = statistics.median(a for a, _ in runs)
        ready = statistics.median(b for _, b in runs)
        print(f"  {preset:6s} {side:6s} {page:13.1f} {ready:13.1f}")
    for preset in args.presets.split(","):
        before = statistics.median(a for a, _ in results[(preset, "before")])
        after = statistics.median(a for a, _ in results[(preset, "after")])
        print(f"RESULT {preset}: page answers after {after:.1f} s (before: {before:.1f} s)")
    shutil.rmtree(before_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
