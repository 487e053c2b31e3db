"""Chat: time to first token and tokens/s per model, through the app vs bare ``generate``.

Run (Qwen2-VL-2B holds ~4.4 GB bf16 in this process and again in the app's):
``flock /tmp/mmdemo-bench.lock python -m bench.bench_chat [--models smolvlm-256m,...]
[--pairs 3] [--qwen-pairs 2] [--max-new-tokens 24] [--http all|none|NAMES]``

One 224-px image, one short English question, greedy decoding (temperature 0) and a fixed
``max_new_tokens``, so every side decodes the same tokens (checked: same text, same count).
Three sides per model, in one process, on the same weights:

* **bare**: the model's own processor (chat template, ``processor(text, images)``, floats
  cast to the model's dtype) and ``model.generate(do_sample=False)`` in a worker thread
  feeding a ``TextIteratorStreamer``, as the transformers docs stream. Its time to first
  token is when the first generated token reaches the streamer (the stock streamer holds
  text back until a space, which random weights may never write); the processor's kwargs
  are the backend's (SmolVLM: no image splitting; Qwen2-VL: the pixel budget).
* **service**: ``services.chat.chat_stream`` on an in-process ``ModelServer`` (full preset,
  the same loaded backend object), the path the Chat tab and ``/chat`` take: checks, a
  long-jobs slot, the backend's streamer, stopping criterion and worker thread. TTFT is when
  the first text delta reaches the caller.
* **http** (``--http``): ``gradio_client`` streaming ``/chat`` on ``python app.py`` (full
  preset, loopback, its own copy of the model from the same cache): upload, queue, the
  event's generator, one server-sent event per token. TTFT is when the first non-empty
  text arrives in the client.

Times start before any input is prepared. tokens/s = (tokens - 1) / (total - TTFT), as
``ChatReply.tokens_per_s``. Calls rotate the order of the sides each round after one
warm-up each; ratios are app / bare per round ("paired": their median) and of the medians.
Both processes run with ``OMP_WAIT_POLICY=PASSIVE`` (see ``bench_generative.set_omp_wait``).

Models: full-size SmolVLM-256M/500M-Instruct and Qwen2-VL-2B-Instruct with random weights
(``bench/_random_chat.py``), fetched through the fake hub by the real download code and
loaded offline by the backends' own ``load``. Speed does not depend on the weight values,
but what random weights write does: the answer is filler words, and a model that happened
to write its end token first would be reported as such ("stopped").
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench._loopback import bypass_proxies
from bench._machine import cpu_count, cpu_model
from bench._random_chat import BACKENDS, ensure_chat_cache
from bench.bench_generative import set_omp_wait
from mmdemo.core.config import PROJECT_ROOT

GOAL = 1.10
IMAGE = PROJECT_ROOT / "assets" / "gallery" / "coffee_cup.png"
SIZE = 224
QUESTION = "What is on the table next to the cup?"
NAMES = tuple(BACKENDS.values())
QWEN = "qwen2-vl-2b"


@dataclass
class Sample:
    """One reply: seconds to the first token and to the end, tokens, text, how it ended."""

    ttft: float
    total: float
    tokens: int
    text: str
    stopped: str = ""
    inner_ttft: float | None = None  # the backend's own first_token_s (service, http)
    prompt_tokens: int = 0  # the bare side's: the chat template's tokens + visual tokens

    @property
    def tok_s(self) -> float | None:
        if self.tokens < 2 or self.total <= self.ttft:
            return None
        return (self.tokens - 1) / (self.total - self.ttft)


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


# -- the three sides -----------------------------------------------------------------------
def bare_call(backend, image, question: str, max_new_tokens: int) -> Sample:
    """The model as a transformers user streams it: processor, generate in a thread."""
    import torch
    from transformers import TextIteratorStreamer

    class FirstTokenStreamer(TextIteratorStreamer):
        first: float | None = None

        def put(self, value):
            if not self.next_tokens_are_prompt and self.first is None:
                self.first = time.perf_counter()
            super().put(value)

    processor, model = backend.processor, backend.model
    start = time.perf_counter()
    messages = [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]}
    ]
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
    batch = processor(
        text=[prompt], images=[image], return_tensors="pt", **backend.processor_kwargs
    )
    inputs = {
        k: v.to(backend.dtype) if v.is_floating_point() else v for k, v in dict(batch).items()
    }
    streamer = FirstTokenStreamer(processor.tokenizer, skip_prompt=True, skip_special_tokens=True)
    out: dict = {}

    def work() -> None:
        try:
            with torch.inference_mode():
                out["ids"] = model.generate(
                    **inputs, streamer=streamer, max_new_tokens=max_new_tokens, do_sample=False
                )
        except BaseException as err:
            out["error"] = err
            streamer.end()

    worker = threading.Thread(target=work, name="bare-generate", daemon=True)
    worker.start()
    text = "".join(streamer)
    worker.join()
    total = time.perf_counter() - start
    if "error" in out:
        raise out["error"]
    ids = out["ids"][0, inputs["input_ids"].shape[1] :]
    eos = model.generation_config.eos_token_id
    eos = set(eos if isinstance(eos, list) else [eos])
    stopped = "eos" if ids.shape[0] and int(ids[-1]) in eos else "length"
    ttft = (streamer.first - start) if streamer.first is not None else total
    prompt = int(inputs["input_ids"].shape[1])
    return Sample(ttft, total, int(ids.shape[0]), text, stopped, prompt_tokens=prompt)


def service_call(server, name: str, image, question: str, max_new_tokens: int) -> Sample:
    """``services.chat.chat_stream``: the path the Chat tab and ``/chat`` share."""
    from mmdemo.core.chat_results import ChatOptions, ChatReply, ChatTurn
    from mmdemo.services import chat

    start = time.perf_counter()
    options = ChatOptions(temperature=0.0, max_new_tokens=max_new_tokens)
    stream = chat.chat_stream(server, image, [ChatTurn("user", question)], options, name)
    first, reply, loading = None, None, False
    try:
        for item in stream:
            if isinstance(item, str):
                if first is None and item:
                    first = time.perf_counter() - start
            elif isinstance(item, ChatReply):
                reply = item
            else:
                loading = True  # ChatLoading: the model was not loaded (not after warm-up)
    finally:
        stream.close()
    total = time.perf_counter() - start
    if reply is None:
        raise SystemExit(f"{name}: the service ended without a reply")
    stopped = reply.stopped + (" (loaded first)" if loading else "")
    return Sample(first or total, total, reply.tokens, reply.text, stopped, reply.first_token_s)


def http_call(client, name: str, image_file: Path, question: str, max_new_tokens: int) -> Sample:
    """``gradio_client`` streaming ``/chat``: the growing answer, then the reply's JSON."""
    from gradio_client import handle_file

    start = time.perf_counter()
    job = client.submit(
        handle_file(str(image_file)), question, "", 0.0, 0.9, max_new_tokens, name, api_name="/chat"
    )
    first, reply = None, None
    for text, final in job:
        if first is None and text:
            first = time.perf_counter() - start
        if final:
            reply = final
    total = time.perf_counter() - start
    if reply is None:
        text, reply = job.result()
    return Sample(
        first or total,
        total,
        int(reply["tokens"]),
        reply["text"],
        reply["stopped"],
        reply.get("first_token_s"),
    )


# -- one model -----------------------------------------------------------------------------
def measure(name: str, sides: dict, rounds: int) -> dict:
    """One warm-up per side, then ``rounds`` rounds, the order of the sides rotated."""
    order = list(sides)
    warm = {side: sides[side]() for side in order}
    print("  warm-up: " + ", ".join(f"{s} {w.total:.1f} s" for s, w in warm.items()), flush=True)
    samples: dict[str, list[Sample]] = {side: [] for side in order}
    for i in range(rounds):
        turn = order[i % len(order) :] + order[: i % len(order)]
        for side in turn:
            sample = sides[side]()
            samples[side].append(sample)
            inner = "" if sample.inner_ttft is None else f" (backend {sample.inner_ttft:.2f} s)"
            speed = f"{sample.tok_s:.2f}" if sample.tok_s else "-"
            print(
                f"    {side:8s} TTFT {sample.ttft:6.2f} s{inner}  total {sample.total:6.2f} s  "
                f"{sample.tokens} tokens  {speed} tok/s  [{sample.stopped}]",
                flush=True,
            )
    everything = [s for side in order for s in (warm[side], *samples[side])]
    same = len({(s.text, s.tokens) for s in everything}) == 1
    if not same:
        for side in order:
            print(f"  {side} said {warm[side].text!r} ({warm[side].tokens} tokens)")
    return dict(name=name, samples=samples, same=same, first=warm["bare"])


def ratios(app: list[Sample], bare: list[Sample], key) -> tuple[float, float]:
    """(ratio of the medians, median of the per-round ratios) of ``key`` app / bare."""
    a = statistics.median(key(s) for s in app)
    b = statistics.median(key(s) for s in bare)
    paired = statistics.median(key(x) / key(y) for x, y in zip(app, bare, strict=True))
    return a / b, paired


def report(results: list[dict], args) -> None:
    def tok_s(s: Sample) -> float:
        return s.tok_s or float("nan")

    print()
    print(
        f"{args.max_new_tokens} new tokens, greedy; image {SIZE}x{SIZE}; question "
        f"{QUESTION!r}; load average at the end {load_average()}"
    )
    print(
        "| model | prompt tokens | side | TTFT s | tok/s | total s | TTFT ÷ bare (paired) | "
        "total ÷ bare (paired) | same tokens |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        bare = r["samples"]["bare"]
        for side, samples in r["samples"].items():
            ttft = statistics.median(s.ttft for s in samples)
            total = statistics.median(s.total for s in samples)
            speed = statistics.median(tok_s(s) for s in samples)
            if side == "bare":
                rel_t = rel_total = "—"
            else:
                rt, pt = ratios(samples, bare, lambda s: s.ttft)
                ra, pa = ratios(samples, bare, lambda s: s.total)
                rel_t, rel_total = f"{rt:.3f} ({pt:.3f})", f"{ra:.3f} ({pa:.3f})"
            print(
                f"| {r['name']} | {r['first'].prompt_tokens} | {side} | {ttft:.2f} | "
                f"{speed:.2f} | {total:.2f} | {rel_t} | {rel_total} | {r['same']} |"
            )
    print()
    for r in results:
        first = r["first"]
        print(f"{r['name']} wrote {first.text[:72]!r} ({first.tokens} tokens, {first.stopped})")
        for side, samples in r["samples"].items():
            if side == "bare":
                continue
            _, paired = ratios(samples, r["samples"]["bare"], lambda s: s.total)
            verdict = "PASS" if paired <= GOAL else "MISS"
            print(
                f"{r['name']} {side} ÷ bare, total time per reply (paired): {paired:.3f} "
                f"{verdict} (goal <= {GOAL})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(NAMES), help=f"of {','.join(NAMES)}")
    parser.add_argument("--pairs", type=int, default=3, help="rounds per model (3)")
    parser.add_argument("--qwen-pairs", type=int, default=2, help=f"rounds for {QWEN} (2)")
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument(
        "--http", default="all", help="models also measured through /chat: all, none or names"
    )
    parser.add_argument("--image", type=Path, default=IMAGE)
    parser.add_argument("--omp-wait", default="PASSIVE", help="PASSIVE, ACTIVE or 'unset'")
    parser.add_argument("--memory-budget-gb", default="7", help="the app's budget (7)")
    parser.add_argument(
        "--app-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an extra variable for app.py, e.g. MMDEMO_MALLOC_MMAP_THRESHOLD_KB=0",
    )
    parser.add_argument(
        "--mmap-threshold-kb",
        type=int,
        default=0,
        help="fix glibc's mmap threshold in this process too, as app.py does (0: glibc's own)",
    )
    args = parser.parse_args()
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    if set(names) - set(NAMES):
        parser.error(f"unknown --models {sorted(set(names) - set(NAMES))}; choose from {NAMES}")
    http = {"all": set(names), "none": set()}.get(args.http)
    http = http if http is not None else {n.strip() for n in args.http.split(",")} & set(names)

    app_env = dict(item.split("=", 1) for item in args.app_env)
    set_omp_wait(args.omp_wait)
    if args.mmap_threshold_kb:
        from mmdemo.serving.allocator import fix_mmap_threshold

        fix_mmap_threshold(args.mmap_threshold_kb)
    repos = tuple(repo for repo, name in BACKENDS.items() if name in names)
    cache = ensure_chat_cache(repos)
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from PIL import Image

    from mmdemo.core.config import Settings
    from mmdemo.core.imaging import load_image
    from mmdemo.serving import ModelServer

    print(
        f"machine: {cpu_model()}, {cpu_count()} cores, load average {load_average()}; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, OMP_WAIT_POLICY "
        f"{os.environ.get('OMP_WAIT_POLICY', 'unset')}; this process's mmap threshold "
        f"{args.mmap_threshold_kb or 'glibc default'}; app env {app_env}; models from {cache}",
        flush=True,
    )
    bypass_proxies()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench_chat_")))
        image_file = tmp / f"photo_{SIZE}.png"
        with Image.open(args.image) as photo:
            photo.convert("RGB").resize((SIZE, SIZE), Image.Resampling.BICUBIC).save(image_file)
        image = load_image(image_file)  # what the app decodes from the upload
        settings = Settings(preset="full", cache_dir=cache, index_default_gallery=False)
        server = ModelServer(settings)
        client = None
        if http:
            from tests.support.app_process import AppProcess

            app = AppProcess(
                tmp / "app",
                timeout=600,
                MMDEMO_PRESET="full",
                MMDEMO_CACHE_DIR=str(cache),
                MMDEMO_INDEX_DEFAULT_GALLERY="0",
                MMDEMO_MEMORY_BUDGET_GB=args.memory_budget_gb,  # one chat model at a time
                **app_env,
            )
            stack.enter_context(app)
            client = app.client()
            print(f"app.py (full preset) answered after {app.started_s:.1f} s", flush=True)
        results = []
        n = args.max_new_tokens
        for name in names:
            started = time.perf_counter()
            backend = server.get("chat", name)
            print(
                f"{name}: {backend.model_label} on {backend.device} ({backend.dtype}), "
                f"loaded in {time.perf_counter() - started:.1f} s; processor kwargs "
                f"{backend.processor_kwargs}; load average {load_average()}",
                flush=True,
            )
            sides = {
                "bare": lambda b=backend: bare_call(b, image, QUESTION, n),
                "service": lambda m=name: service_call(server, m, image, QUESTION, n),
            }
            if name in http:
                sides["http"] = lambda m=name: http_call(client, m, image_file, QUESTION, n)
            rounds = args.qwen_pairs if name == QWEN else args.pairs
            results.append(measure(name, sides, rounds))
            print(f"  load average {load_average()}", flush=True)
            del backend, sides
            server.unload("chat")
            gc.collect()
    report(results, args)


if __name__ == "__main__":
    main()
