"""A synthetic multimodal sentiment CSV, for training the early-fusion head in tests.

Warm-coloured images with happy texts are positive, cool ones with sad texts negative, so
even the tiny preset's random embedder separates them. Used by the unit tests of the
training, the head and the sentiment service, and by the CLI and app integration tests.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

POSITIVE_TEXTS = ["what a lovely sunny day", "I am so happy", "this is wonderful", "great fun"]
NEGATIVE_TEXTS = ["what a miserable day", "I am so sad", "this is awful", "a terrible wait"]


def write_synthetic_csv(folder: Path, rows: int = 40, seed: int = 0) -> Path:
    """Warm-coloured images + happy texts are positive, cool ones + sad texts negative."""
    from PIL import Image

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(rows):
        label = "positive" if i % 2 == 0 else "negative"
        base = (230, 150, 40) if label == "positive" else (60, 70, 150)
        colour = tuple(max(0, min(255, c + rng.randint(-30, 30))) for c in base)
        Image.new("RGB", (40, 40), colour).save(folder / f"img{i:03d}.png")
        text = rng.choice(POSITIVE_TEXTS if label == "positive" else NEGATIVE_TEXTS)
        # some rows have one modality only, as real data would
        image_cell = "" if i % 10 == 3 else f"img{i:03d}.png"
        text_cell = "" if i % 10 == 6 else text
        lines.append((image_cell, text_cell, label.upper() if i % 7 == 0 else label))
    path = folder / "data.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "text", "label"])
        writer.writerows(lines)
    return path
