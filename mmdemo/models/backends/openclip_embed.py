"""open_clip ViT-B-32 (LAION-2B), the ``full`` embedder, and its tiny random twin for tests.

The model code is shared by every open_clip backend (``models/shared/openclip.py``); this
file is the data: which architecture, which weights, which match-strength levels.
"""

from __future__ import annotations

from mmdemo.models.registry import BackendSpec
from mmdemo.models.shared.openclip import load_openclip, openclip_hub_files

# Match strength ("possible" at "text"/"image", "strong" at "*_strong"). NOT calibrated here:
# there are no real weights offline (docs/quality.md section 6 says so and how to re-run
# `python -m mmdemo.quality.score_calibration --preset full` where they are). Where the
# numbers come from: LAION filtered its image/caption pairs at ViT-B-32 cosine 0.28 (full
# sentences), so 0.28 is "strong"; short search queries score lower, so "possible" starts
# at 0.20. Image->image scores of unrelated photos sit near 0.4-0.5, so "possible" starts at
# 0.60; "strong" 0.85 is our estimate for copies of one photo, not a measurement.
# MMDEMO_MATCH_THRESHOLD overrides the "possible" level.
FULL_THRESHOLDS = {"text": 0.20, "text_strong": 0.28, "image": 0.60, "image_strong": 0.85}

SPECS = (
    BackendSpec(
        task="embed",
        name="openclip-vit-b-32",
        load=load_openclip,
        hub_files=openclip_hub_files,
        label="open_clip ViT-B-32 (LAION-2B)",
        description="open_clip ViT-B-32 trained on LAION-2B (weights from the Hugging Face hub)",
        options={
            "arch": "ViT-B-32",
            "pretrained": "laion2b_s34b_b79k",
            # open_clip's hf_hub entry for this tag (a unit test keeps it equal)
            "hub": "laion/CLIP-ViT-B-32-laion2B-s34B-b79K/",
            "thresholds": FULL_THRESHOLDS,
        },
    ),
    BackendSpec(
        task="embed",
        name="openclip-tiny",
        load=load_openclip,
        hub_files=openclip_hub_files,
        label="tiny random open_clip (tests)",
        description="tiny randomly initialised open_clip model for tests (meaningless results)",
        options={"arch": "mmdemo-tiny-clip", "pretrained": None, "seed": 0, "thresholds": {}},
        is_random=True,
    ),
)
