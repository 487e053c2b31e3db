"""Image sentiment, zero-shot: is the image closer to "happy" prompts or to "sad" ones?

Built on whatever embedder the preset serves (``needs=("embed",)``), like zero-shot
classification. Each side is a prompt *ensemble* (templates x adjectives, averaged and
re-normalised: the CLIP recipe, steadier than any single sentence). The raw score is
``cos(image, happy) - cos(image, sad)``.

Why calibrate: that raw score is not centred. Every embedder is a little closer to one side
for *any* photo (lite: +0.026 on average over the gallery), so raw scores would call every
photo "positive". We subtract the mean raw score over a neutral reference set - the photos
shipped in ``assets/gallery`` (a cat, a coffee cup, a temple, microscopy, ...) - so that an
ordinary photo lands in the middle. The centred score times the embedder's own logit scale
(CLIP's learned temperature; the lite bridge's 25) is a log-odds margin, turned into
negative / neutral / positive exactly like the text model's (``three_class_from_margin``):
an average photo gets (0.25, 0.5, 0.25). No temperature was fitted: there is no labelled
image-sentiment set offline. Measured behaviour is in docs/quality.md.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from mmdemo.config import PROJECT_ROOT
from mmdemo.errors import BadImageError
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.registry import BackendSpec
from mmdemo.models.text_cache import cached_text_vectors
from mmdemo.sentiment.maths import CLASSES, NEUTRAL_BELOW, label_of, three_class_from_margin
from mmdemo.types import Scored, SentimentResult

log = logging.getLogger(__name__)

POSITIVE_WORDS = ("happy", "joyful", "cheerful", "delightful", "uplifting", "pleasant")
NEGATIVE_WORDS = ("sad", "gloomy", "depressing", "dreary", "bleak", "miserable")
TEMPLATES = ("a photo that feels {}.", "a {} photo.", "a {} picture.")
REFERENCE_DIR = PROJECT_ROOT / "assets" / "gallery"


def prompts(words: Sequence[str], templates: Sequence[str] = TEMPLATES) -> list[str]:
    return [template.format(word) for word in words for template in templates]


def ensemble(vectors: np.ndarray) -> np.ndarray:
    """The normalised mean of L2-normalised prompt vectors."""
    mean = np.asarray(vectors, np.float32).mean(0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def reference_files(folder: Path) -> list[Path]:
    from mmdemo.imaging import IMAGE_EXTENSIONS

    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)


class ImageSentiment(Backend):
    """``analyze(image)`` -> SentimentResult (negative, neutral, positive) with its evidence."""

    task = "image_sentiment"

    def __init__(
        self,
        spec: BackendSpec,
        embedder,
        positive: np.ndarray,
        negative: np.ndarray,
        offset: float,
        spread: float,
        references: int,
        scale: float,
        neutral_below: float = NEUTRAL_BELOW,
    ):
        super().__init__(
            spec,
            embedder.device,
            embedder.dtype,
            model_label=f"happy/sad prompt ensembles on {embedder.model_id}",
        )
        self.embedder = embedder
        self.positive = positive
        self.negative = negative
        self.offset = float(offset)  # mean raw score of the reference photos
        self.spread = float(spread)  # their standard deviation (for the z-score detail)
        self.references = int(references)
        self.scale = float(scale)
        self.neutral_below = float(neutral_below)

    def modules(self):
        return []  # the embedder's weights are accounted for under its own task

    def raw_scores(self, vectors: np.ndarray) -> np.ndarray:
        """cos(image, happy) - cos(image, sad) for rows of L2-normalised image vectors."""
        vectors = np.asarray(vectors, np.float32)
        return vectors @ self.positive - vectors @ self.negative

    def analyze_vector(self, vector: np.ndarray) -> SentimentResult:
        """Sentiment of one already-embedded image (the fusions embed once, use it twice)."""
        vector = np.asarray(vector, np.float32)
        raw = float(self.raw_scores(vector[None])[0])
        centred = raw - self.offset
        margin = self.scale * centred
        probs = three_class_from_margin(margin, self.neutral_below)
        details = {
            "happy_similarity": float(vector @ self.positive),
            "sad_similarity": float(vector @ self.negative),
            "raw_score": raw,
            "reference_mean": self.offset,
            "centred_score": centred,
            "z_score": centred / self.spread if self.spread > 0 else 0.0,
            "logit_margin": margin,
            "reference_images": self.references,
        }
        if not self.references:
            details["note"] = (
                "Not calibrated: no reference photos were found, so the score is not centred."
            )
        return SentimentResult(
            label=label_of(probs),
            probabilities=tuple(Scored(c, p) for c, p in zip(CLASSES, probs, strict=True)),
            model=self.model_label,
            details=details,
        )

    def analyze(self, image: Image.Image) -> SentimentResult:
        return self.analyze_many([image])[0]

    def analyze_many(self, images: Sequence[Image.Image]) -> list[SentimentResult]:
        images = list(images)
        for i, image in enumerate(images):
            if not isinstance(image, Image.Image):
                raise BadImageError(f"image {i + 1}", f"is a {type(image).__name__}, not an image")
        vectors = self.embedder.embed_images(images)
        return [self.analyze_vector(v) for v in vectors]


def _reference_vectors(embedder, folder: Path, cache_dir) -> np.ndarray:
    """Embeddings of the reference photos, cached on disk by file content and model."""
    from mmdemo.imaging import load_image

    files = reference_files(folder)
    if not files:
        return np.zeros((0, embedder.dim), np.float32)
    keys = [f"reference-image:{p.name}:{hashlib.sha256(p.read_bytes()).hexdigest()}" for p in files]
    by_key = dict(zip(keys, files, strict=True))

    def embed(batch_keys: list[str]) -> np.ndarray:
        return embedder.embed_images([load_image(by_key[k]) for k in batch_keys])

    # the text-vector cache is keyed by strings; here the strings name image contents
    return cached_text_vectors(embed, keys, embedder.model_id, cache_dir)


def load(spec: BackendSpec, ctx: LoadContext) -> ImageSentiment:
    """Embed the prompt ensembles and the reference photos (cached after the first time)."""
    embedder = ctx.get("embed")
    positive = ensemble(embedder.embed_texts(prompts(POSITIVE_WORDS)))
    negative = ensemble(embedder.embed_texts(prompts(NEGATIVE_WORDS)))
    folder = Path(spec.option("reference_dir") or REFERENCE_DIR)
    references = _reference_vectors(embedder, folder, ctx.settings.cache_dir)
    raw = references @ positive - references @ negative
    if len(raw):
        offset, spread = float(raw.mean()), float(raw.std())
    else:
        log.warning("No reference photos in %s: image sentiment is not centred", folder)
        offset, spread = 0.0, 0.0
    scale = float(spec.option("scale") or embedder.logit_scale)
    backend = ImageSentiment(
        spec,
        embedder,
        positive,
        negative,
        offset,
        spread,
        len(raw),
        scale,
        neutral_below=float(spec.option("neutral_below", NEUTRAL_BELOW)),
    )
    log.info(
        "Image sentiment on %s: reference mean %.4f (sd %.4f, %d photos), scale %.1f",
        embedder.model_id,
        offset,
        spread,
        len(raw),
        scale,
    )
    return backend
