"""An embedder's torchvision preprocessing replayed with PIL and numpy: no torch import.

Why: each Ray decode worker is a fresh process, and importing torch + torchvision costs it
~3 s of CPU (measured on the 2-core VM) before its first image - per worker, per run. The
image transforms both backends use (Resize on the short side, CenterCrop, RGB conversion,
ToTensor, Normalize) are PIL calls and elementwise float32 arithmetic, so they can be
replayed step by step with the same PIL calls and the same IEEE operations.
``numpy_twin`` builds that replay from a ``Compose``, or returns None for any step it does
not know; the Ray engine then checks on probe images that the twin gives the embedder's
own tensor bit for bit before using it (``ray_workers._stand_in``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image

# torchvision's InterpolationMode values -> PIL's filters (torchvision's pil_modes_mapping)
_PIL_FILTERS = {
    "nearest": Image.NEAREST,
    "bilinear": Image.BILINEAR,
    "bicubic": Image.BICUBIC,
    "box": Image.BOX,
    "hamming": Image.HAMMING,
    "lanczos": Image.LANCZOS,
}


class Resize:
    """torchvision ``Resize(int)`` on a PIL image: the short side to ``size``, the long
    side truncated as ``_compute_resized_output_size`` does; unchanged when already so.
    (Named ``Resize`` with ``size``: ``ingest.model_input_side`` reads it as the decode size.)"""

    def __init__(self, size: int, pil_filter: int):
        self.size, self.pil_filter = int(size), pil_filter

    def __call__(self, image: Image.Image) -> Image.Image:
        w, h = image.size
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = self.size, int(self.size * long / short)
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        if (new_w, new_h) == (w, h):
            return image
        return image.resize((new_w, new_h), self.pil_filter)


class CenterCrop:
    """torchvision ``CenterCrop`` on a PIL image (zero padding first when it is smaller)."""

    def __init__(self, size: Sequence[int]):
        self.height, self.width = int(size[0]), int(size[1])

    def __call__(self, image: Image.Image) -> Image.Image:
        w, h = image.size
        if self.width > w or self.height > h:
            left = (self.width - w) // 2 if self.width > w else 0
            top = (self.height - h) // 2 if self.height > h else 0
            padded = Image.new(image.mode, (max(w, self.width), max(h, self.height)), 0)
            padded.paste(image, (left, top))
            image, (w, h) = padded, padded.size
            if (w, h) == (self.width, self.height):
                return image
        top = round((h - self.height) / 2.0)
        left = round((w - self.width) / 2.0)
        return image.crop((left, top, left + self.width, top + self.height))


class ConvertMode:
    """open_clip's ``MaybeConvertMode`` / ``_convert_to_rgb`` on a PIL image."""

    def __init__(self, mode: str = "RGB"):
        self.mode = mode

    def __call__(self, image: Image.Image) -> Image.Image:
        return image.convert(self.mode)


class ToArray:
    """torchvision ``ToTensor`` for an 8-bit PIL image: float32 (C, H, W), divided by 255."""

    def __call__(self, image: Image.Image) -> np.ndarray:
        if image.mode not in ("RGB", "L", "RGBA"):
            raise ValueError(f"ToArray replays 8-bit images only, not mode {image.mode}")
        array = np.array(image, np.uint8, copy=True).reshape(image.size[1], image.size[0], -1)
        return np.ascontiguousarray(array.transpose(2, 0, 1)).astype(np.float32) / np.float32(255)


class Normalize:
    """torchvision ``Normalize``: ``(x - mean) / std`` per channel, in float32."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]):
        self.mean = np.asarray(mean, np.float32).reshape(-1, 1, 1)
        self.std = np.asarray(std, np.float32).reshape(-1, 1, 1)

    def __call__(self, array: np.ndarray) -> np.ndarray:
        return (array - self.mean) / self.std


class NumpyCompose:
    """The replayed steps, in order; ``transforms`` as torchvision's ``Compose`` names it."""

    def __init__(self, transforms: list):
        self.transforms = transforms

    def __call__(self, image: Image.Image) -> np.ndarray:
        out = image
        for step in self.transforms:
            out = step(out)
        if not isinstance(out, np.ndarray):
            raise ValueError("the replayed transform did not end in an array")
        return out


def _twin_step(step):
    """The replay of one torchvision/open_clip step, or None when it is not one we know."""
    kind = type(step).__name__
    if kind == "Resize":
        size = step.size if isinstance(step.size, int) else list(step.size)
        if isinstance(size, list):
            size = size[0] if len(size) == 1 else None
        pil_filter = _PIL_FILTERS.get(getattr(step.interpolation, "value", None))
        if size is None or step.max_size is not None or pil_filter is None:
            return None
        return Resize(size, pil_filter)
    if kind == "CenterCrop":
        size = [step.size] if isinstance(step.size, int) else list(step.size)
        return CenterCrop((size[0], size[-1]))  # one number: a square
    if kind == "MaybeConvertMode":
        return ConvertMode(step.mode)
    if getattr(step, "__name__", "") == "_convert_to_rgb":  # open_clip's plain function
        return ConvertMode("RGB")
    if kind in ("ToTensor", "MaybeToTensor"):
        return ToArray()
    if kind == "Normalize":
        mean, std = list(step.mean), list(step.std)
        if not all(math.isfinite(v) for v in mean + std) or 0 in std:
            return None
        return Normalize(mean, std)
    return None


def numpy_twin(transform) -> NumpyCompose | None:
    """The PIL + numpy replay of a torchvision ``Compose``, or None (a step we do not know)."""
    steps = [_twin_step(step) for step in getattr(transform, "transforms", None) or []]
    if not steps or any(step is None for step in steps):
        return None
    return NumpyCompose(steps)


class TwinPreprocess:
    """What a decode task carries: ``transform`` (the twin) and ``preprocess_image``."""

    def __init__(self, twin: NumpyCompose):
        self.transform = twin

    def preprocess_image(self, image: Image.Image) -> np.ndarray:
        return self.transform(image)
