"""Search latency through the app's HTTP API (gradio_client) vs. the same search in-process.

Starts ``python app.py`` (tiny preset by default; ``--checkpoint`` for a full-size ViT-B-32
checkpoint) on 127.0.0.1, then alternates client and direct calls and prints p50/p90 and
the ratio of the p50s. Bounded loops; the server is always stopped.

    python -m bench.bench_api [--calls 40] [--checkpoint PATH]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench._loopback import bypass_proxies
from bench._stats import percentile
from tests.support.app_process import AppProcess

QUERY = "a cup of coffee"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--checkpoint", help="open_clip ViT-B-32 checkpoint (full preset)")
    args = parser.parse_args()

    if args.checkpoint:
        env = dict(MMDEMO_PRESET="full", MMDEMO_CLIP_PRETRAINED=args.checkpoint)
    else:
        env = dict(MMDEMO_PRESET="tiny")
    bypass_proxies()
    with (
        tempfile.TemporaryDirectory(prefix="bench_api_") as work,
        AppProcess(Path(work), **env) as app,
    ):
        from mmdemo.core.config import settings_from_env
        from mmdemo.services.gallery import Gallery
        from mmdemo.services.search import GallerySearch
        from mmdemo.serving import ModelServer

        settings = settings_from_env({k: v for k, v in app.env.items() if k.startswith("MMDEMO_")})
        gallery = Gallery(ModelServer(settings), settings)
        search = GallerySearch(gallery)
        client = app.client()
        for _ in range(3):  # warm up both sides
            client.predict(QUERY, 10, api_name="/search_text")
            search.text(QUERY, 10)
        api, direct = [], []
        for _ in range(args.calls):  # alternate so drift hits both sides alike
            start = time.perf_counter()
            client.predict(QUERY, 10, api_name="/search_text")
            api.append(time.perf_counter() - start)
            start = time.perf_counter()
            search.text(QUERY, 10)
            direct.append(time.perf_counter() - start)
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
