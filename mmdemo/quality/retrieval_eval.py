"""Caption<->image retrieval on the gallery's human captions, as markdown for docs/quality.md.

Why: the ``lite`` label bridge has knobs (class prompt, softmax temperature, weight of the
black-and-white attribute) that must be set by measurement. ``--grid`` re-measures every
combination on the same models in one run, so the chosen setting and its neighbours can
be compared; without it, only the preset's own setting is measured.

    python -m mmdemo.quality.retrieval_eval [--preset lite] [--grid]
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmdemo.core.config import Settings
from mmdemo.core.imaging import load_image

log = logging.getLogger(__name__)

CAPTIONS = Settings().assets_dir / "gallery" / "captions.json"
GRID = {
    "prompt_style": ("name", "synonyms", "definition"),
    "temperature": (0.5, 1.0, 2.0),
    "grey_weight": (0.0, 0.5),
}
# Queries with no photo in the gallery: their best score should fall below the threshold.
UNRELATED_QUERIES = (
    "a car engine",
    "a bowl of soup",
    "a dog playing in the snow",
    "a pizza",
    "a crowded football stadium",
    "a sailing boat at sea",
)


@dataclass(frozen=True)
class Recall:
    caption_to_image_r1: float
    caption_to_image_r5: float
    image_to_caption_r1: float
    matched_scores: list[float]  # each caption's score with its own image


def recall(text_vectors: np.ndarray, image_vectors: np.ndarray) -> Recall:
    """Row i of each matrix belongs together; ties count against the true match."""
    scores = text_vectors @ image_vectors.T
    matched = np.diag(scores)
    caption_ranks = (scores > matched[:, None]).sum(axis=1)
    by_image = scores.T  # row j: image j against every caption
    image_ranks = (by_image > matched[:, None]).sum(axis=1)
    return Recall(
        float((caption_ranks < 1).mean()),
        float((caption_ranks < 5).mean()),
        float((image_ranks < 1).mean()),
        [float(x) for x in matched],
    )


def gallery_pairs(path: Path = CAPTIONS) -> tuple[list[str], list[str], list]:
    captions = json.loads(path.read_text(encoding="utf-8"))
    names = sorted(captions)
    images = [load_image(path.parent / n, name=n) for n in names]
    return names, [captions[n] for n in names], images


def measure(embedder, texts: list[str], images: list) -> Recall:
    return recall(embedder.embed_texts(texts), embedder.embed_images(images))


def grid_rows(embedder, texts: list[str], images: list, settings: Settings) -> list[str]:
    """One markdown row per knob combination, re-using the loaded models."""
    import torch

    from mmdemo.models.shared.imagenet import class_prompt
    from mmdemo.models.shared.text_cache import cached_text_vectors

    rows = []
    original = (embedder.class_vectors, embedder.temperature, embedder.grey_weight)
    text_vectors = embedder.embed_texts(texts)
    try:
        for style, temperature, grey in itertools.product(*GRID.values()):
            prompts = [class_prompt(c, style) for c in embedder.classes]
            vectors = cached_text_vectors(
                lambda texts: embedder.encoder.encode(texts).float().cpu().numpy(),
                prompts,
                "grid",
                settings.cache_dir,
            )
            embedder.class_vectors = torch.from_numpy(vectors).to(embedder.device)
            embedder.temperature, embedder.grey_weight = temperature, grey
            r = recall(text_vectors, embedder.embed_images(images))
            rows.append(
                f"| {style} | {temperature} | {grey} | {r.caption_to_image_r1:.2f} | "
                f"{r.caption_to_image_r5:.2f} | {r.image_to_caption_r1:.2f} |"
            )
    finally:
        embedder.class_vectors, embedder.temperature, embedder.grey_weight = original
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mmdemo.quality.retrieval_eval")
    parser.add_argument("--preset", default="lite")
    parser.add_argument("--grid", action="store_true", help="also measure every lite knob setting")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from mmdemo.serving import ModelServer

    settings = Settings(preset=args.preset, index_default_gallery=False)
    embedder = ModelServer(settings).get("embed")
    names, texts, images = gallery_pairs()
    result = measure(embedder, texts, images)
    out = [
        f"Model: `{embedder.model_id}`; {len(names)} gallery photos, one caption each.\n",
        "| caption→image R@1 | caption→image R@5 | image→caption R@1 |",
        "|---|---|---|",
        f"| {result.caption_to_image_r1:.2f} | {result.caption_to_image_r5:.2f} | "
        f"{result.image_to_caption_r1:.2f} |\n",
        "Each caption's score with its own photo:\n",
        "| photo | score |",
        "|---|---|",
        *[f"| {n} | {s:.2f} |" for n, s in zip(names, result.matched_scores, strict=True)],
    ]
    image_vectors = embedder.embed_images(images)
    unrelated = embedder.embed_texts(list(UNRELATED_QUERIES)) @ image_vectors.T
    out += [
        "\nBest score of queries with no matching photo (should be below the threshold "
        f"{embedder.thresholds.get('text')}):\n",
        "| query | best score |",
        "|---|---|",
        *[f"| {q} | {s:.2f} |" for q, s in zip(UNRELATED_QUERIES, unrelated.max(1), strict=True)],
    ]
    pairwise = image_vectors @ image_vectors.T
    np.fill_diagonal(pairwise, -1)
    out.append(
        f"\nImage→image: the most similar *other* gallery photo scores {pairwise.max():.2f} "
        f"at most and {np.median(pairwise.max(1)):.2f} at the median."
    )
    if args.grid and hasattr(embedder, "classes"):
        out += [
            "\n| class prompt | temperature | grey weight | c→i R@1 | c→i R@5 | i→c R@1 |",
            "|---|---|---|---|---|---|",
            *grid_rows(embedder, texts, images, settings),
        ]
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
