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

Second cue, colour mood (spec option ``colour_weight`` > 0; the ``lite`` preset uses it,
because its embedder barely sees light or colour). Perceived pleasantness rises with
brightness and saturation: Valdez & Mehrabian (1994, J. Exp. Psych.: General) found
pleasure = 0.69 brightness + 0.22 saturation on standardised scales, and Machajdik &
Hanbury (2010) used that formula on an image's mean brightness and saturation as an affective
image feature. We measure mean HSV V and S on a ~128-px copy, standardise both against the
same gallery photos (so an average photo is 0), apply the formula, and read the predicted
pleasure (in standard deviations) as a probit: margin = 1.7 x pleasure (``colour_scale``,
the usual logit-per-probit factor; chosen, not fitted). The two cues are blended as
log-odds, ``(1 - w) * prompt margin + w * colour margin``; ``details`` keeps both. It is a
heuristic about colour, not content: a bright photo of a funeral reads as pleasant.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from mmdemo.core.errors import BadImageError
from mmdemo.core.imaging import IMAGE_EXTENSIONS, load_image
from mmdemo.core.sentiment_results import SentimentResult, label_of, polarity, pull_of
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.registry import BackendSpec
from mmdemo.models.shared.colour import (
    COLOUR_SCALE,
    COLOUR_SIDE,
    GALLERY_COLOUR_REFERENCE,
    ColourMood,
    ColourReference,
    colour_mood,
    colour_stats,
)
from mmdemo.models.shared.sentiment_maths import (
    NEUTRAL_BELOW,
    check_weight,
    three_class_from_margin,
)
from mmdemo.models.shared.text_cache import cached_text_vectors

log = logging.getLogger(__name__)

POSITIVE_WORDS = ("happy", "joyful", "cheerful", "delightful", "uplifting", "pleasant")
NEGATIVE_WORDS = ("sad", "gloomy", "depressing", "dreary", "bleak", "miserable")
TEMPLATES = ("a photo that feels {}.", "a {} photo.", "a {} picture.")

COLOUR_MODEL_KEY = f"colour-mood:hsv-mean:box{COLOUR_SIDE}"


def reference_dir(settings) -> Path:
    """The photos that define "an ordinary photo": the gallery shipped with the app."""
    return Path(settings.assets_dir) / "gallery"


def prompts(words: Sequence[str], templates: Sequence[str] = TEMPLATES) -> list[str]:
    return [template.format(word) for word in words for template in templates]


def ensemble(vectors: np.ndarray) -> np.ndarray:
    """The normalised mean of L2-normalised prompt vectors."""
    mean = np.asarray(vectors, np.float32).mean(0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def reference_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)


def _cue_note(prompt_polarity: float, mood: ColourMood, colour_polarity: float, w: float) -> str:
    """One sentence for the UI: which cue pulled which way, and how they were mixed."""

    def pull(value: float) -> str:
        side = pull_of(value)
        return "pull neither way" if side == "neither" else f"pull {side}"

    light = "bright" if mood.brightness_z > 0.5 else "dark" if mood.brightness_z < -0.5 else ""
    vivid = (
        "colourful" if mood.saturation_z > 0.5 else "washed-out" if mood.saturation_z < -0.5 else ""
    )
    looks = ", ".join(x for x in (light, vivid) if x) or "average"
    return (
        f"The happy/sad prompts {pull(prompt_polarity)} ({prompt_polarity:+.2f}); the colours "
        f"({looks}: brightness {mood.brightness:.2f}, saturation {mood.saturation:.2f}) "
        f"{pull(colour_polarity)} ({colour_polarity:+.2f}); mixed {1 - w:.2f} / {w:.2f} "
        "in log-odds."
    )


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
        colour_weight: float = 0.0,
        colour_reference: ColourReference = GALLERY_COLOUR_REFERENCE,
        colour_scale: float = COLOUR_SCALE,
    ):
        self.colour_weight = check_weight(colour_weight)
        label = f"happy/sad prompt ensembles on {embedder.model_id}"
        if self.colour_weight > 0:
            label = (
                f"zero-shot happy/sad prompts ({embedder.model_id}) + colour mood "
                f"(brightness, saturation), colour weight {self.colour_weight:g}"
            )
        super().__init__(spec, embedder.device, embedder.dtype, model_label=label)
        self.embedder = embedder
        self.positive = positive
        self.negative = negative
        self.offset = float(offset)  # mean raw score of the reference photos
        self.spread = float(spread)  # their standard deviation (for the z-score detail)
        self.references = int(references)
        self.scale = float(scale)
        self.neutral_below = float(neutral_below)
        self.colour_reference = colour_reference
        self.colour_scale = float(colour_scale)

    def modules(self):
        return []  # the embedder's weights are accounted for under its own task

    def raw_scores(self, vectors: np.ndarray) -> np.ndarray:
        """cos(image, happy) - cos(image, sad) for rows of L2-normalised image vectors."""
        vectors = np.asarray(vectors, np.float32)
        return vectors @ self.positive - vectors @ self.negative

    def analyze_vector(
        self, vector: np.ndarray, colour: tuple[float, float] | None = None
    ) -> SentimentResult:
        """Sentiment of one already-embedded image (the fusions embed once, use it twice).

        ``colour`` is the image's ``colour_stats``; without it the colour cue is skipped
        (weight 0) and a note says so.
        """
        vector = np.asarray(vector, np.float32)
        raw = float(self.raw_scores(vector[None])[0])
        centred = raw - self.offset
        prompt_margin = self.scale * centred
        details = {
            "happy_similarity": float(vector @ self.positive),
            "sad_similarity": float(vector @ self.negative),
            "raw_score": raw,
            "reference_mean": self.offset,
            "centred_score": centred,
            "z_score": centred / self.spread if self.spread > 0 else 0.0,
            "reference_images": self.references,
        }
        notes = []
        if not self.references:
            notes.append(
                "Not calibrated: no reference photos were found, so the score is not centred."
            )
        margin = prompt_margin
        if self.colour_weight > 0 and colour is None:
            notes.append("Colour mood not measured (no pixels given): prompts only.")
        elif self.colour_weight > 0:
            w = self.colour_weight
            mood = colour_mood(*colour, self.colour_reference, self.colour_scale)
            margin = (1.0 - w) * prompt_margin + w * mood.margin
            prompt_polarity = polarity(three_class_from_margin(prompt_margin, self.neutral_below))
            colour_polarity = polarity(mood.probabilities(self.neutral_below))
            details.update(
                {
                    "prompt_margin": prompt_margin,
                    "prompt_polarity": prompt_polarity,
                    "prompt_weight": 1.0 - w,
                    "colour_brightness": mood.brightness,
                    "colour_saturation": mood.saturation,
                    "colour_brightness_z": mood.brightness_z,
                    "colour_saturation_z": mood.saturation_z,
                    "colour_pleasure": mood.pleasure,
                    "colour_margin": mood.margin,
                    "colour_polarity": colour_polarity,
                    "colour_weight": w,
                }
            )
            notes.insert(0, _cue_note(prompt_polarity, mood, colour_polarity, w))
        probs = three_class_from_margin(margin, self.neutral_below)
        details["logit_margin"] = margin
        if notes:
            details["note"] = " ".join(notes)
        return SentimentResult.of(probs, self.model_label, details, label=label_of(probs))

    def analyze(self, image: Image.Image) -> SentimentResult:
        return self.analyze_many([image])[0]

    def analyze_many(self, images: Sequence[Image.Image]) -> list[SentimentResult]:
        images = list(images)
        for i, image in enumerate(images):
            if not isinstance(image, Image.Image):
                raise BadImageError(f"image {i + 1}", f"is a {type(image).__name__}, not an image")
        vectors = self.embedder.embed_images(images)
        colours = [colour_stats(im) if self.colour_weight > 0 else None for im in images]
        return [self.analyze_vector(v, c) for v, c in zip(vectors, colours, strict=True)]


def _reference_rows(
    folder: Path,
    kind: str,
    measure: Callable[[list[Image.Image]], np.ndarray],
    model_key: str,
    cache_dir,
    dim: int,
) -> np.ndarray:
    """``measure`` of the reference photos, cached on disk by file content and ``model_key``."""
    files = reference_files(folder)
    if not files:
        return np.zeros((0, dim), np.float32)
    keys = [f"{kind}:{p.name}:{hashlib.sha256(p.read_bytes()).hexdigest()}" for p in files]
    by_key = dict(zip(keys, files, strict=True))

    def encode(batch_keys: list[str]) -> np.ndarray:
        return measure([load_image(by_key[k]) for k in batch_keys])

    # the text-vector cache is keyed by strings; here the strings name image contents
    return cached_text_vectors(encode, keys, model_key, cache_dir)


def _colour_rows(images: list[Image.Image]) -> np.ndarray:
    return np.array([colour_stats(im) for im in images], np.float32).reshape(-1, 2)


def load(spec: BackendSpec, ctx: LoadContext) -> ImageSentiment:
    """Embed the prompt ensembles and the reference photos (cached after the first time)."""
    embedder = ctx.get("embed")
    positive = ensemble(embedder.embed_texts(prompts(POSITIVE_WORDS)))
    negative = ensemble(embedder.embed_texts(prompts(NEGATIVE_WORDS)))
    folder = Path(spec.option("reference_dir") or reference_dir(ctx.settings))
    cache_dir = ctx.settings.cache_dir
    references = _reference_rows(
        folder, "reference-image", embedder.embed_images, embedder.model_id, cache_dir, embedder.dim
    )
    raw = references @ positive - references @ negative
    if len(raw):
        offset, spread = float(raw.mean()), float(raw.std())
    else:
        log.warning("No reference photos in %s: image sentiment is not centred", folder)
        offset, spread = 0.0, 0.0
    scale = float(spec.option("scale") or embedder.logit_scale)
    colour_weight = check_weight(spec.option("colour_weight", 0.0))
    colour_reference = GALLERY_COLOUR_REFERENCE
    if colour_weight > 0:
        rows = _reference_rows(
            folder, "reference-colour", _colour_rows, COLOUR_MODEL_KEY, cache_dir, 2
        )
        if len(rows):
            colour_reference = ColourReference.of(rows)
        else:
            log.warning("No reference photos in %s: colour mood uses the gallery's numbers", folder)
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
        colour_weight=colour_weight,
        colour_reference=colour_reference,
        colour_scale=float(spec.option("colour_scale", COLOUR_SCALE)),
    )
    log.info(
        "Image sentiment on %s: reference mean %.4f (sd %.4f, %d photos), scale %.1f, "
        "colour weight %.2f",
        embedder.model_id,
        offset,
        spread,
        len(raw),
        scale,
        colour_weight,
    )
    return backend


SPECS = (
    BackendSpec(
        task="image_sentiment",
        name="clip-prompt-sentiment",
        load=load,
        label="happy/sad prompts in the shared space",
        description="zero-shot image sentiment with the active embedder: happy vs sad prompt "
        "ensembles, centred on the shipped gallery photos",
        needs=("embed",),
        options={"colour_weight": 0.0},
    ),
    # lite's embedder barely sees light or colour (docs/quality.md), so its image sentiment
    # also reads colour mood, mixed half and half with the prompts in log-odds; full and tiny
    # keep the prompts alone (CLIP learned mood and light from captions; unmeasured here).
    BackendSpec(
        task="image_sentiment",
        name="prompt-colour-sentiment",
        load=load,
        label="happy/sad prompts + colour mood",
        description="zero-shot image sentiment (happy vs sad prompt ensembles) blended with "
        "colour mood (brightness and saturation, Valdez & Mehrabian 1994), both centred on the "
        "gallery photos",
        needs=("embed",),
        options={"colour_weight": 0.5},
    ),
)
