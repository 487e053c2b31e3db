"""Named presets: which backend serves each task (``full`` / ``tiny``; ``lite`` comes later).

The built-in backends are registered here as data, so this module stays import-light.
"""

from __future__ import annotations

from mmdemo.errors import UnknownNameError
from mmdemo.models.registry import add_backend, get_backend, spec

_OPENCLIP = "mmdemo.models.openclip_embed"
_ZERO_SHOT = "mmdemo.models.zero_shot"

# "Good match" thresholds for the best hit's cosine score. ViT-B-32/laion2b: LAION filtered
# its image/caption pairs at CLIP cosine 0.28 (full sentences); short search queries score
# lower, so text->image uses 0.20. Image->image scores of unrelated photos sit near 0.4-0.5.
# These could not be recalibrated on real weights offline; MMDEMO_MATCH_THRESHOLD overrides.
_FULL_THRESHOLDS = {"text": 0.20, "image": 0.60}

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
        "classify",
        "clip-zero-shot",
        f"{_ZERO_SHOT}:load",
        "zero-shot classification with the active embedding model",
        needs=("embed",),
    ),
]
for _spec in _BUILTIN:
    add_backend(_spec)

PRESETS: dict[str, dict[str, str]] = {
    "full": {"embed": "openclip-vit-b-32", "classify": "clip-zero-shot"},
    "tiny": {"embed": "openclip-tiny", "classify": "clip-zero-shot"},
}

PRESET_DESCRIPTIONS = {
    "full": "real pretrained models downloaded from the Hugging Face hub (or a local cache)",
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
