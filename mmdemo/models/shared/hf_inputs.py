"""Input checks shared by the transformers vision backends (BLIP caption, BLIP VQA, ViLT).

Why before the model: every (image, question) pair is validated before any model work, so
a bad item in a batch costs nothing and gets its own clear message.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from mmdemo.core.errors import BadInputError
from mmdemo.core.text import check_question

ENGLISH_NOTE = (
    "The model was trained on English questions; a question mostly in another script still "
    "gets an answer, but do not trust it."
)


def check_images(images: Sequence[Image.Image]) -> list[Image.Image]:
    """RGB copies of PIL images; anything else is the caller's mistake, said plainly."""
    checked = []
    for i, image in enumerate(images):
        if not isinstance(image, Image.Image):
            raise BadInputError(f"Item {i} is a {type(image).__name__}, not an image (PIL).")
        checked.append(image if image.mode == "RGB" else image.convert("RGB"))
    return checked


def check_pairs(pairs: Sequence[tuple[Image.Image, str]]) -> list[tuple[Image.Image, str]]:
    """Validate every (image, question) before any model work, so a bad one costs nothing."""
    pairs = list(pairs)
    images = check_images([image for image, _ in pairs])
    return [(image, check_question(q)) for image, (_, q) in zip(images, pairs, strict=True)]


def check_top_k(top_k: int) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise BadInputError(f"top_k must be a whole number of at least 1, not {top_k!r}.")
    return top_k
