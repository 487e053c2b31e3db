"""Caption and VQA through the app's HTTP API vs. the bare model on the same image.

Run: ``python -m bench.bench_generative [--pairs 4] [--vilt-pairs 10] [--max-new-tokens 20]
[--device cpu|cuda] [--only caption,blip-vqa,vilt]``

Ratio (goal <= 1.10): p50 of a ``gradio_client`` call to ``/caption`` (or ``/vqa``) on
``python app.py`` / p50 of the bare model call on the same decoded image in this process:
``BlipForConditionalGeneration.generate``, ``BlipForQuestionAnswering.generate`` or one
``ViltForQuestionAnswering`` forward, on inputs the model's own processor made beforehand
(its time is reported apart; "paired" is the median of the per-pair ratios). Both sides use
the same generate kwargs (the app's own: ``CaptionOptions(...).generate_kwargs()`` and BLIP
VQA's spec options), and the script checks that both produced the same text, so they did
the same amount of decoding; the number of generated tokens is printed. For ViLT the app's
own ``ViltVqa`` object is also called in this process, which splits the extra time into
HTTP/Gradio and our own pre/post-processing.

Both processes run with ``OMP_WAIT_POLICY=PASSIVE`` (``--omp-wait``): see ``set_omp_wait``.

Models: full-size architectures with random weights (speed does not depend on the values),
built by ``bench/_random_full.py``, fetched by ``python -m mmdemo download`` from a local
fake hub and loaded offline by the app through its real loaders; the bare side loads the
same cached folders with ``from_pretrained``. Calls alternate app, bare, app, bare ... after
one warm-up each (model loading), because the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench._loopback import bypass_proxies
from bench._machine import cpu_count, cpu_model
from bench._random_full import (
    BLIP_CAPTION_REPO,
    BLIP_VQA_REPO,
    OFFLINE,
    VILT_REPO,
    ensure_full_cache,
    snapshot,
)
from bench._stats import percentile
from mmdemo.core.config import PROJECT_ROOT
from tests.support.app_process import AppProcess, endpoint_parameters

GOAL = 1.10
IMAGE = PROJECT_ROOT / "assets" / "gallery" / "coffee_cup.png"
QUESTION = "What is on the table next to the cup?"
KINDS = ("caption", "blip-vqa", "vilt")


def timed(fn: Callable):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


class Bare:
    """One transformers model + processor from the cached folder, called without the app."""

    def __init__(self, model_class: str, folder: Path, device: str):
        import torch
        import transformers

        self.torch = torch
        self.device = torch.device(device)
        self.dtype = torch.float16 if self.device.type == "cuda" else torch.float32  # as serving
        self.processor = transformers.AutoProcessor.from_pretrained(folder, local_files_only=True)
        model_cls = getattr(transformers, model_class)
        self.model = model_cls.from_pretrained(folder, dtype=self.dtype, local_files_only=True)
        self.model = self.model.to(self.device).eval()

    def inputs(self, **kwargs) -> dict:
        batch = self.processor(return_tensors="pt", **kwargs)
        out = {}
        for key, value in batch.items():
            if key == "token_type_ids":  # BLIP's backends drop it too
                continue
            value = value.to(self.device)
            out[key] = value.to(self.dtype) if value.is_floating_point() else value
        return out

    def sync(self) -> None:
        if self.device.type == "cuda":
            self.torch.cuda.synchronize(self.device)


def compare(
    name: str,
    app_call: Callable,
    bare_call: Callable,
    bare_prep: Callable,
    pairs: int,
    warmup: int = 1,
    backend_call: Callable | None = None,
) -> dict:
    """Warm up, check the sides agree, then alternate app, bare (, backend) ``pairs`` times.

    ``backend_call``: the product's backend object called in this process (no HTTP), to
    split the app's extra time into Gradio/HTTP and our own pre/post-processing.
    """
    app_s, app_out = timed(app_call)  # the app loads the model here (first use)
    inputs = bare_prep()
    bare_s, bare_out = timed(lambda: bare_call(inputs))
    backend_out = backend_call() if backend_call else None
    for _ in range(warmup - 1):
        app_call()
        bare_call(inputs)
        if backend_call:
            backend_call()
    print(f"  {name}: first app call {app_s:.1f} s (includes loading), first bare {bare_s:.1f} s")
    app_times, bare_times, prep_times, backend_times = [], [], [], []
    for _ in range(pairs):
        seconds, out = timed(app_call)
        app_times.append(seconds)
        if out != app_out:
            raise SystemExit(f"{name}: the app's answer changed between calls: {out} vs {app_out}")
        seconds, inputs = timed(bare_prep)
        prep_times.append(seconds)
        seconds, out = timed(lambda: bare_call(inputs))  # noqa: B023 - called at once
        bare_times.append(seconds)
        text = f"    app {app_times[-1]:7.2f} s   bare {bare_times[-1]:7.2f} s"
        if backend_call:
            backend_times.append(timed(backend_call)[0])
            text += f"   backend {backend_times[-1]:7.2f} s"
        print(text, flush=True)
    return dict(
        name=name,
        app=app_times,
        bare=bare_times,
        prep=prep_times,
        backend=backend_times,
        app_out=app_out,
        bare_out=bare_out,
        same=app_out[0] == bare_out[0] and (backend_out is None or backend_out == app_out),
    )


def round_trip(client, calls: int) -> list[float]:
    """``/info`` (the status panel: no input, no model call): the API's cost with no work."""
    client.predict(api_name="/info")
    return [timed(lambda: client.predict(api_name="/info"))[0] for _ in range(calls)]


def caption_case(app: AppProcess, client, args, image_file, image):
    from gradio_client import handle_file

    from mmdemo.models.backends.blip_caption import CaptionOptions

    options = CaptionOptions(mode="beam", max_length=args.max_new_tokens)
    kwargs = options.generate_kwargs()
    params = endpoint_parameters(client, "/caption")
    extra = ["blip-caption"] if len(params) > 4 else []  # a model choice, if the app has one
    folder = snapshot(BLIP_CAPTION_REPO, args.cache)
    bare = Bare("BlipForConditionalGeneration", folder, args.device)
    tokens = {}

    def app_call():
        upload = handle_file(str(image_file))
        text, _, _ = client.predict(
            upload, "beam", args.max_new_tokens, "", *extra, api_name="/caption"
        )
        return (text,)

    def bare_call(inputs):
        with bare.torch.inference_mode():
            ids = bare.model.generate(**inputs, **kwargs)
        bare.sync()
        text = bare.processor.batch_decode(ids, skip_special_tokens=True)[0]
        tokens["new"] = ids.shape[1] - 1  # BLIP's output starts with its bos token
        tokens["eos"] = bool((ids[0, 1:] == bare.model.config.text_config.sep_token_id).any())
        return (" ".join(text.split()),)

    result = compare("caption", app_call, bare_call, lambda: bare.inputs(images=image), args.pairs)
    result.update(kwargs=kwargs, tokens=tokens)
    return result


def blip_vqa_case(app: AppProcess, client, args, image_file, image):
    from mmdemo.models.registry import get_backend

    spec = get_backend("vqa", "blip-vqa")
    kwargs = dict(
        num_beams=int(spec.option("num_beams", 3)),
        max_new_tokens=int(spec.option("max_answer_tokens", 10)),
        output_scores=True,
        return_dict_in_generate=True,
    )  # BlipVqa._forward's kwargs
    bare = Bare("BlipForQuestionAnswering", snapshot(BLIP_VQA_REPO, args.cache), args.device)
    tokens = {}

    def bare_call(inputs):
        with bare.torch.inference_mode():
            out = bare.model.generate(**inputs, **kwargs)
        bare.sync()
        tokens["new"] = out.sequences.shape[1] - 1
        text = bare.processor.batch_decode(out.sequences, skip_special_tokens=True)[0]
        return (" ".join(text.split()),)

    prep = lambda: bare.inputs(images=image, text=QUESTION)  # noqa: E731
    result = compare(
        "BLIP VQA", vqa_call(client, image_file, "blip-vqa"), bare_call, prep, args.pairs
    )
    result.update(kwargs=kwargs, tokens=tokens)
    return result


def vilt_case(app: AppProcess, client, args, image_file, image):
    bare = Bare("ViltForQuestionAnswering", snapshot(VILT_REPO, args.cache), args.device)
    labels = bare.model.config.id2label

    def bare_call(inputs):
        with bare.torch.inference_mode():
            logits = bare.model(**inputs).logits
        bare.sync()
        return (labels[int(logits[0].argmax())],)

    def prep():
        return bare.inputs(
            images=[image], text=[QUESTION], padding=True, truncation=True, max_length=40
        )

    backend = product_vilt(args.cache, args.device)

    def backend_call():
        return (backend.answer(image, QUESTION).answers[0].label,)

    call = vqa_call(client, image_file, "vilt-vqa")
    result = compare(
        "ViLT VQA", call, bare_call, prep, args.vilt_pairs, warmup=3, backend_call=backend_call
    )
    result.update(kwargs={"forward": "one pass, top-1 of 3,129 answers"}, tokens={})
    return result


def product_vilt(cache: Path, device: str):
    """The app's own ``ViltVqa`` backend on the same cached folder, in this process."""
    from mmdemo.core.config import Settings
    from mmdemo.serving import ModelServer

    settings = Settings(preset="full", cache_dir=cache, device=device, index_default_gallery=False)
    return ModelServer(settings).get("vqa", "vilt-vqa")  # the model files are in the cache


def vqa_call(client, image_file, model: str):
    from gradio_client import handle_file

    params = endpoint_parameters(client, "/vqa")
    extra = [model] if len(params) > 3 else []  # the model choice, when the app offers one

    def call():
        answers, _ = client.predict(
            handle_file(str(image_file)), QUESTION, "product", *extra, api_name="/vqa"
        )
        return (answers.get("label"),)

    return call


def set_omp_wait(policy: str) -> None:
    """Give this process (and, through ``os.environ``, the app) one OpenMP wait policy.

    Why: on this oversubscribed 2-core machine libgomp's default spin-waiting made the same
    model call 2-4x slower in a script's main thread than in a Gradio worker thread (whose
    OpenMP team, a second one in that process, probably gets libgomp's short "throttled"
    spin). Passive waiting on both sides removes that difference, so the ratio measures the
    app's own overhead. Must run before torch is imported.
    """
    if "torch" in sys.modules:
        raise RuntimeError("set_omp_wait must run before torch is imported")
    if policy.lower() == "unset":
        os.environ.pop("OMP_WAIT_POLICY", None)
    else:
        os.environ["OMP_WAIT_POLICY"] = policy.upper()


def app_env(args, backends: str = "") -> dict[str, str | None]:
    """``AppProcess`` variables (it sets the index folder); offline: all from the cache."""
    return dict(
        OFFLINE,  # HF_HUB_OFFLINE=1: the app must find everything in the cache
        MMDEMO_PRESET="full",
        MMDEMO_CACHE_DIR=str(args.cache),
        MMDEMO_INDEX_DEFAULT_GALLERY="0",  # not measured here; saves the start-up indexing
        MMDEMO_DEVICE=args.device,
        MMDEMO_BACKENDS=backends,
    )


def report(results: list[dict]) -> None:
    print()
    print(
        f"{'case':10s} {'app p50':>9s} {'bare p50':>9s} {'ratio':>6s} {'paired':>7s}  "
        f"{'prep p50':>9s}  {'app min':>8s} {'bare min':>8s}  same output  tokens"
    )
    for r in results:
        app, bare = statistics.median(r["app"]), statistics.median(r["bare"])
        ratio = app / bare
        paired = statistics.median(a / b for a, b in zip(r["app"], r["bare"], strict=True))
        tokens = r["tokens"].get("new", "-")
        verdict = "PASS" if ratio <= GOAL else "MISS"
        print(
            f"{r['name']:10s} {app:8.2f}s {bare:8.2f}s {ratio:6.3f} {paired:7.3f}  "
            f"{1000 * statistics.median(r['prep']):7.0f}ms  "
            f"{min(r['app']):7.2f}s {min(r['bare']):7.2f}s  {r['same']!s:11s}  {tokens}"
            f"   {verdict} (goal <= {GOAL})"
        )
        print(
            f"{'':10s} app p90 {percentile(r['app'], 0.9):.2f} s, bare p90 "
            f"{percentile(r['bare'], 0.9):.2f} s; app - bare = "
            f"{1000 * (app - bare):.0f} ms; app / (prep + bare) = "
            f"{app / (bare + statistics.median(r['prep'])):.3f}"
        )
        if r["backend"]:
            backend = statistics.median(r["backend"])
            print(
                f"{'':10s} backend object in this process (no HTTP) p50 {1000 * backend:.0f} ms: "
                f"app / backend = {app / backend:.3f}, backend / bare = {backend / bare:.3f}"
            )
        print(f"{'':10s} kwargs {r['kwargs']}; app said {r['app_out']}, bare said {r['bare_out']}")
        if r["tokens"].get("eos"):
            print(f"{'':10s} (the caption ended with the end token before the length limit)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=4, help="app/bare pairs for BLIP (4)")
    parser.add_argument("--vilt-pairs", type=int, default=10, help="pairs for ViLT (10)")
    parser.add_argument("--max-new-tokens", type=int, default=20, help="caption length (20)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N] (both sides)")
    parser.add_argument("--image", type=Path, default=IMAGE)
    parser.add_argument("--only", default=",".join(KINDS), help=f"subset of {','.join(KINDS)}")
    parser.add_argument("--cache", type=Path, help="HF cache for the random models")
    parser.add_argument("--round-trips", type=int, default=10, help="/info calls (10)")
    parser.add_argument(
        "--omp-wait",
        default="PASSIVE",
        help="OMP_WAIT_POLICY for both sides: PASSIVE (default), ACTIVE, or 'unset'",
    )
    args = parser.parse_args()
    kinds = [k.strip() for k in args.only.split(",") if k.strip()]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown --only {sorted(unknown)}; choose from {KINDS}")

    set_omp_wait(args.omp_wait)
    import torch

    from mmdemo.core.imaging import load_image

    print(
        f"machine: {cpu_model()}, {cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, OMP_WAIT_POLICY "
        f"{os.environ.get('OMP_WAIT_POLICY', 'unset')}; device {args.device}"
    )
    args.cache = ensure_full_cache(args.cache)
    image = load_image(args.image)  # the app decodes the upload with this same loader
    print(f"image {args.image.name} {image.size[0]}x{image.size[1]}; models from {args.cache}")

    decode_s = statistics.median(timed(lambda: load_image(args.image))[0] for _ in range(5))
    results, trips = [], []
    bypass_proxies()
    with tempfile.TemporaryDirectory(prefix="bench_gen_") as tmp:
        separate_vilt = "vilt" in kinds
        if set(kinds) - {"vilt"}:
            with AppProcess(Path(tmp), timeout=600, **app_env(args)) as app:
                client = app.client()
                print(f"app.py (full preset) answered after {app.started_s:.1f} s")
                if "caption" in kinds:
                    results.append(caption_case(app, client, args, args.image, image))
                    gc.collect()
                if "blip-vqa" in kinds:
                    results.append(blip_vqa_case(app, client, args, args.image, image))
                    gc.collect()
                if "vilt" in kinds and len(endpoint_parameters(client, "/vqa")) > 3:
                    results.append(vilt_case(app, client, args, args.image, image))
                    separate_vilt = False
                trips += round_trip(client, args.round_trips)
        if separate_vilt:  # no model choice on /vqa: a second app with ViLT as the VQA backend
            with AppProcess(Path(tmp), timeout=600, **app_env(args, "vqa=vilt-vqa")) as app:
                client = app.client()
                print(f"app.py (full, vqa=vilt-vqa) answered after {app.started_s:.1f} s")
                results.append(vilt_case(app, client, args, args.image, image))
                trips += round_trip(client, args.round_trips)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    report(results)
    print(
        f"\nfor scale: /info round trip (no input, no model) p50 "
        f"{1000 * statistics.median(trips):.0f} ms over {len(trips)} calls; decoding "
        f"{args.image.name} {1000 * decode_s:.0f} ms"
    )


if __name__ == "__main__":
    main()
