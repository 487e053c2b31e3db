"""The shapes-VQA training curves: test accuracy per epoch, one line per fusion (PIL only).

Why PIL: the curves ship as a PNG beside the weights, drawn with no plotting library.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

CURVE_COLOURS = {
    "concat": (31, 119, 180),
    "sum": (255, 127, 14),
    "product": (44, 160, 44),
    "attention": (214, 39, 40),
}


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has one fixed-size bitmap font
        return ImageFont.load_default()


def plot_curves(
    metrics: Mapping[str, Mapping[str, Any]], path: Path, key: str = "test_accuracy"
) -> Path:
    """One PNG: ``key`` (test accuracy) per epoch, one coloured line per fusion, axes, legend."""
    width, height = 900, 540
    left, right, top, bottom = 80, 190, 50, 70
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font, small = _font(18), _font(14)
    series = {name: list(m[key]) for name, m in metrics.items() if m.get(key)}
    if not series:
        raise ValueError(f"no {key} values to plot")
    epochs = max(len(v) for v in series.values())
    low = min(min(v) for v in series.values())
    y_min = max(0.0, np.floor(low * 20) / 20)  # round down to 0.05
    y_max = 1.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def xy(epoch: int, value: float) -> tuple[float, float]:
        x = left + (epoch - 1) / max(1, epochs - 1) * plot_w
        y = top + (y_max - value) / (y_max - y_min) * plot_h
        return x, y

    ticks = np.arange(y_min, y_max + 1e-9, 0.05 if y_max - y_min <= 0.5 else 0.1)
    for value in ticks:
        _, y = xy(1, float(value))
        draw.line([(left, y), (left + plot_w, y)], fill=(225, 225, 225))
        draw.text((left - 8, y), f"{value:.2f}", fill="black", font=small, anchor="rm")
    step = max(1, round(epochs / 12))
    for epoch in range(1, epochs + 1, step):
        x, _ = xy(epoch, y_min)
        draw.line([(x, top + plot_h), (x, top + plot_h + 5)], fill="black")
        draw.text((x, top + plot_h + 8), str(epoch), fill="black", font=small, anchor="mt")
    draw.line([(left, top), (left, top + plot_h), (left + plot_w, top + plot_h)], fill="black")
    draw.text((left + plot_w / 2, height - 22), "epoch", fill="black", font=font, anchor="mm")
    draw.text((20, top + plot_h / 2), "test acc", fill="black", font=small, anchor="lm")
    title = "easy-VQA shapes model: test accuracy per epoch, by fusion"
    draw.text((left + plot_w / 2, 22), title, fill="black", font=font, anchor="mm")
    for i, (name, values) in enumerate(series.items()):
        colour = CURVE_COLOURS.get(name, (100, 100, 100))
        points = [xy(e + 1, v) for e, v in enumerate(values)]
        if len(points) > 1:
            draw.line(points, fill=colour, width=3)
        for x, y in points:
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
        ly = top + 10 + i * 28
        lx = left + plot_w + 20
        draw.line([(lx, ly), (lx + 30, ly)], fill=colour, width=4)
        draw.text((lx + 38, ly), f"{name} {values[-1]:.4f}", fill="black", font=small, anchor="lm")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path
