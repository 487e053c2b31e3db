"""Small valid test images, written in any format Pillow can save."""

from __future__ import annotations

import os
from pathlib import Path


def write_test_image(
    path: str | os.PathLike,
    size: tuple[int, int] = (64, 48),
    color: tuple[int, int, int] = (200, 40, 40),
) -> Path:
    """Write a small valid image (format from the suffix): ``color`` with a gradient stripe.

    The stripe makes images of different colours differ in more than a constant, and keeps
    JPEG from collapsing the picture to one value.
    """
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    image = Image.new("RGB", size, color)
    stripe = Image.linear_gradient("L").resize((width, max(1, height // 4))).convert("RGB")
    image.paste(stripe, (0, height - stripe.height))
    image.save(path)
    return path
