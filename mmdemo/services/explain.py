""" "Why this match": where in an image a text query matched, and the picture of it.

Why a service: the Search tab (a selected hit), Classify ("Why this label?"), the
``/explain`` endpoint and ``python -m mmdemo explain`` must all draw the same map. The
query is tidied and bounded like a search (``clean_query``), the image goes through the one
safe loader (size checked, shrunk to working size), and the map is made by the preset's
embedder through the ``ModelServer`` (``Explainer.explain``: the backend turns gradients
on inside its own ``inference_mode`` world). ``overlay`` is PIL and numpy only.

Keep ``explain(server, image, query)`` and ``overlay(image, result)`` stable: the Search
tab's button calls both.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mmdemo.core.errors import BadInputError
from mmdemo.core.explain_results import ExplainResult
from mmdemo.core.imaging import image_from_upload
from mmdemo.models.registry import require_readable
from mmdemo.services.search import clean_query
from mmdemo.serving import ModelServer

log = logging.getLogger(__name__)

NOT_AN_IMAGE = "No image given: upload an image first."
LEGEND = ("low", "high match")
OVERLAY_SIDE = 768  # the overlay is drawn at most this wide/high (bounds the drawing)
LEGEND_HEIGHT = 34
# Fonts that draw Chinese legend words, where a system has one; else the legend is English.
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)


def explains(server: ModelServer) -> str:
    """The method the preset's embedder explains with ("" if it cannot). Asks the loaded
    embedder (the app loads it at start-up anyway): an open_clip backend explains when its
    image tower is a plain ViT, whether or not its spec declares it."""
    return str(getattr(server.get("embed"), "explains", "") or "")


def explain(
    server: ModelServer, image: Image.Image, query: str, *, baseline: bool = False
) -> ExplainResult:
    """The relevance grid of ``query`` over ``image`` (``baseline``: the simpler map the
    evaluation compares with). Bad input and an embedder without the capability are refused
    with a message that says what to do."""
    query = clean_query(query)
    if not isinstance(image, Image.Image):
        raise BadInputError(NOT_AN_IMAGE)
    image, _ = image_from_upload(image, max_pixels=server.settings.max_image_pixels)
    spec = server.spec_for("embed")
    require_readable(spec.capabilities, query, spec.name, "search text")
    if not explains(server) or not callable(getattr(server.get("embed"), "explain", None)):
        raise BadInputError(
            f"The embedding model {spec.label} cannot show where a text matched in an "
            "image. Use the lite or full preset for this."
        )
    result = server.run("embed", "explain", image, query, baseline=baseline)
    if server.is_random("embed"):
        result = dataclasses.replace(result, details=dict(result.details, random_weights=True))
    log.info("explained %r with %s (score %.3f)", query[:40], result.method, result.score)
    return result


# -- drawing --------------------------------------------------------------------------
def _colours(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] -> RGB uint8 on a dark-blue -> cyan -> yellow -> red ramp."""
    stops = np.array([0.0, 0.35, 0.65, 1.0])
    ramp = np.array([[20, 30, 140], [0, 190, 220], [250, 220, 40], [220, 30, 20]], np.float32)
    channels = [np.interp(values, stops, ramp[:, c]) for c in range(3)]
    return np.stack(channels, axis=-1).astype(np.uint8)


def heat(result: ExplainResult, size: tuple[int, int]) -> np.ndarray:
    """The grid smoothly resized to ``size`` (width, height), float32 in [0, 1]."""
    grid = Image.fromarray(result.array().astype(np.float32), mode="F")
    arr = np.asarray(grid.resize(size, Image.Resampling.BILINEAR), dtype=np.float32)
    return np.clip(arr, 0.0, 1.0)


@lru_cache(maxsize=8)
def _font(size: int, cjk: bool):
    if cjk:
        for path in CJK_FONTS:
            if os.path.isfile(path):
                return ImageFont.truetype(path, size)
        return None
    return ImageFont.load_default(size)


def overlay(
    image: Image.Image, result: ExplainResult, *, legend: tuple[str, str] = LEGEND
) -> Image.Image:
    """``image`` with the map over it (warm = where the query matched) and a colour bar
    under it from ``legend[0]`` to ``legend[1]``. Words no font here can draw fall back to
    English."""
    base = image.convert("RGB")
    base.thumbnail((OVERLAY_SIDE, OVERLAY_SIDE), Image.Resampling.BICUBIC)
    w, h = base.size
    values = heat(result, (w, h))
    alpha = (0.25 + 0.45 * values)[..., None]
    pixels = np.asarray(base, dtype=np.float32)
    blended = pixels * (1 - alpha) + _colours(values).astype(np.float32) * alpha
    canvas = Image.new("RGB", (w, h + LEGEND_HEIGHT), (255, 255, 255))
    canvas.paste(Image.fromarray(blended.astype(np.uint8)), (0, 0))
    _legend(canvas, w, h, legend)
    return canvas


def _legend(canvas: Image.Image, w: int, top: int, words: tuple[str, str]) -> None:
    draw = ImageDraw.Draw(canvas)
    cjk = any(ord(ch) > 0x2E7F for ch in "".join(words))
    font = _font(14, cjk)
    if font is None:
        words, font = LEGEND, _font(14, False)
    low, high = words
    low_w = draw.textlength(low, font=font)
    high_w = draw.textlength(high, font=font)
    left, right = int(low_w) + 12, w - int(high_w) - 12
    if right - left >= 20:
        ramp = _colours(np.linspace(0, 1, right - left, dtype=np.float32))
        bar = Image.fromarray(np.repeat(ramp[None], 12, axis=0))
        canvas.paste(bar, (left, top + 11))
    draw.text((6, top + 9), low, fill=(40, 40, 40), font=font)
    draw.text((w - high_w - 6, top + 9), high, fill=(40, 40, 40), font=font)
