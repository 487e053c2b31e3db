"""Search latency through the app's HTTP API (gradio_client) vs. the same search in-process.

Starts ``python app.py`` (tiny preset by default; ``--checkpoint`` for a full-size ViT-B-32
checkpoint) on 127.0.0.1, then alternates client and direct calls and prints p50/p90 and
the ratio of the p50s. Bounded loops; the server is always stopped.

    python bench/bench_api.py [--calls 40] [--checkpoint PATH]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUERY = "a cup of coffee"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("app.py exited before serving")
        try:
            with opener.open(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("app.py did not answer in time")


def percentile(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--checkpoint", help="open_clip ViT-B-32 checkpoint (full preset)")
    args = parser.parse_args()

    index_dir = Path(tempfile.mkdtemp(prefix="bench_api_"))
    env = {
        **os.environ,
        "MMDEMO_INDEX_DIR": str(index_dir),
        "HF_HUB_OFFLINE": "1",
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    if args.checkpoint:
        env.update(MMDEMO_PRESET="full", MMDEMO_CLIP_PRETRAINED=args.checkpoint)
    else:
        env.update(MMDEMO_PRESET="tiny")
    port = free_port()
    env["GRADIO_SERVER_PORT"] = str(port)
    url = f"http://127.0.0.1:{port}/"
    process = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(url, process)
        os.environ.update({k: env[k] for k in ("NO_PROXY", "no_proxy")})
        from gradio_client import Client

        from mmdemo.config import settings_from_env
        from mmdemo.gallery import Gallery
        from mmdemo.serving import ModelServer

        settings = settings_from_env({k: v for k, v in env.items() if k.startswith("MMDEMO_")})
        gallery = Gallery(ModelServer(settings), settings)
        client = Client(url, verbose=False)
        for _ in range(3):  # warm up both sides
            client.predict(QUERY, 10, api_name="/search_text")
            gallery.search_text(QUERY, 10)
        api, direct = [], []
        for _ in range(args.calls):  # alternate so drift hits both sides alike
            start = time.perf_counter()
            client.predict(QUERY, 10, api_name="/search_text")
            api.append(time.perf_counter() - start)
            start = time.perf_counter()
            gallery.search_text(QUERY, 10)
            direct.append(time.perf_counter() - start)
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(f"preset {settings.preset}, model {gallery.embedder.model_id}, {args.calls} calls each")
    for name, values in (
        ("gradio_client /search_text", api),
        ("direct Gallery.search_text", direct),
    ):
        print(
            f"  {name:28s} p50 {1000 * statistics.median(values):7.1f} ms"
            f"   p90 {1000 * percentile(values, 0.9):7.1f} ms"
        )
    print(f"ratio of p50s (API / direct): {statistics.median(api) / statistics.median(direct):.2f}")


if __name__ == "__main__":
    main()
