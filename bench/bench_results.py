"""What a results page costs, fetched the way a browser fetches it, over a gallery of photos.

Generates a gallery of 4000x3000 JPEGs (a few MB each, like phone photos), starts
``python app.py`` (tiny preset) on it, and measures in one run, calls interleaved:

- ``/info`` through ``gradio_client`` (the baseline of one round trip);
- ``/search_text`` k=12 with ``download_files=False``, then every result file it names
  fetched over ONE keep-alive ``httpx`` connection (what a browser does): its p50 divided
  by ``/info``'s, and the bytes those files weigh;
- the same search, then the hits' *originals* over the same connection (what sending the
  originals, as before thumbnails, would cost);
- ``/search_text`` through ``gradio_client``'s default download (a new connection per file);
- in headless Chromium, a fresh page per run: from the click to every result image painted.

    python -m bench.bench_results [--photos 24] [--calls 15] [--browser-runs 5]
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bench._loopback import bypass_proxies
from bench._machine import cpu_count, cpu_model
from bench._stats import percentile
from tests.support.app_process import AppProcess

log = logging.getLogger("bench_results")
QUERY = "a photo of a landscape"
K = 12
SIZE = (4000, 3000)


def make_photo(path: Path, seed: int) -> int:
    """A 4000x3000 JPEG with photo-like detail (smooth colour fields blended with fine
    texture), ~3.3 MB at quality 90; returns its size in bytes."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    base = Image.fromarray(coarse).resize(SIZE, Image.Resampling.BICUBIC)
    fine = rng.integers(0, 256, (SIZE[1] // 2, SIZE[0] // 2, 3), dtype=np.uint8)
    texture = Image.fromarray(fine).resize(SIZE, Image.Resampling.BILINEAR)
    out = io.BytesIO()
    Image.blend(base, texture, 0.22).save(out, format="JPEG", quality=90)
    path.write_bytes(out.getvalue())
    return len(out.getvalue())


def file_urls(gallery) -> list[str]:
    """The URL of each results-grid item in a ``download_files=False`` answer."""
    return [item["image"]["url"] for item in gallery]


def report(name: str, values: list[float]) -> None:
    print(
        f"  {name:54s} p50 {1000 * statistics.median(values):7.1f} ms"
        f"   p90 {1000 * percentile(values, 0.9):7.1f} ms"
    )


def browser_runs(url: str, runs: int) -> list[float]:
    """Seconds from the click on "Search by text" to every result image decoded and painted,
    each run in a fresh browser context (an empty cache, like a first visit)."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import BUTTON, CHROMIUM, CHROMIUM_ARGS
    from tests.support.browser import QUERY as BOX

    painted = f"""() => {{
        const imgs = [...document.querySelectorAll('#search-results img')];
        return imgs.length >= {K} && imgs.every(i => i.complete && i.naturalWidth > 0);
    }}"""
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.goto(url, wait_until="domcontentloaded")
                page.locator(BOX).first.fill(QUERY)
                start = time.perf_counter()
                page.locator(BUTTON).click()
                page.wait_for_function(painted, timeout=120_000)
                # one more frame: "complete" images are painted by the next animation frame
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
                times.append(time.perf_counter() - start)
                context.close()
        finally:
            browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--calls", type=int, default=15)
    parser.add_argument("--browser-runs", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    bypass_proxies()

    import httpx
    from gradio_client import Client

    with tempfile.TemporaryDirectory(prefix="bench_results_") as work:
        gallery_dir = Path(work) / "photos"
        gallery_dir.mkdir()
        start = time.perf_counter()
        sizes = [make_photo(gallery_dir / f"photo_{i:03d}.jpg", i) for i in range(args.photos)]
        log.info(
            "%d photos of %dx%d, %.1f MB each on average, made in %.0f s",
            len(sizes),
            *SIZE,
            statistics.mean(sizes) / 1e6,
            time.perf_counter() - start,
        )
        with AppProcess(
            Path(work) / "app", MMDEMO_PRESET="tiny", MMDEMO_GALLERY_DIR=str(gallery_dir)
        ) as app:
            log.info("app ready in %.0f s (indexing the photos included)", app.started_s)
            light = Client(app.url, verbose=False, download_files=False)
            default = Client(app.url, verbose=False)
            http = httpx.Client(base_url=app.url, trust_env=False, timeout=120)

            def info() -> None:
                light.predict(api_name="/info")

            def search_and_files() -> int:
                gallery, _, _ = light.predict(QUERY, K, api_name="/search_text")
                return sum(len(http.get(url).content) for url in file_urls(gallery))

            def search_and_originals() -> int:
                _, _, hits = light.predict(QUERY, K, api_name="/search_text")
                files = [gallery_dir / hit["image"] for hit in hits]
                return sum(len(http.get(f"/gradio_api/file={f}").content) for f in files)

            def search_alone(k: int):
                return lambda: light.predict(QUERY, k, api_name="/search_text") and None

            def default_download() -> None:
                default.predict(QUERY, K, api_name="/search_text")

            first = time.perf_counter()
            search_and_files()  # the first search makes the 12 thumbnails
            log.info("first search (makes the thumbnails): %.2f s", time.perf_counter() - first)
            cases = {
                "/info (gradio_client)": info,
                f"/search_text k={K} + its files, one keep-alive connection": search_and_files,
                f"/search_text k={K} + the originals, same connection": search_and_originals,
                f"/search_text k={K}, gradio_client default download": default_download,
                f"/search_text k={K} alone (no file fetched)": search_alone(K),
                "/search_text k=1 alone (no file fetched)": search_alone(1),
            }
            for fn in cases.values():  # warm up every path
                fn()
            times: dict[str, list[float]] = {name: [] for name in cases}
            weights: dict[str, int] = {}
            for _ in range(args.calls):  # interleaved, so drift hits every case alike
                for name, fn in cases.items():
                    begin = time.perf_counter()
                    weight = fn()
                    times[name].append(time.perf_counter() - begin)
                    if weight:
                        weights[name] = weight
            painted = browser_runs(app.url, args.browser_runs) if args.browser_runs else []
            http.close()

    print(
        f"machine: {cpu_model()}, {cpu_count()} cores; tiny preset; {args.photos} photos "
        f"{SIZE[0]}x{SIZE[1]} ({statistics.mean(sizes) / 1e6:.1f} MB each); {args.calls} calls each"
    )
    names = list(cases)
    for name, values in times.items():
        report(name, values)
    p50 = {name: statistics.median(values) for name, values in times.items()}
    base, thumbs, originals, download = (p50[n] for n in names[:4])
    print(f"ratio of p50s, search + thumbnails / info: {thumbs / base:.2f}")
    print(f"ratio of p50s, search + originals  / info: {originals / base:.2f}")
    print(f"ratio of p50s, default download    / info: {download / base:.2f}")
    print(
        f"bytes of the {K} result files: thumbnails {weights[names[1]] / 1e6:.2f} MB, "
        f"originals {weights[names[2]] / 1e6:.1f} MB"
    )
    if painted:
        report(f"Chromium: click -> all {K} images painted ({len(painted)} fresh pages)", painted)


if __name__ == "__main__":
    main()
