"""Label-based captions: a fluent, honest sentence from the image's most likely classes.

Why not a generative captioner: ``lite`` has none that installs from PyPI. What it does
have is an ImageNet classifier, so the caption says what the classifier saw and how sure
it was ("probably an espresso, or possibly a cup"), and the UI labels it label-based.
When the classifier is unsure, the caption says so plainly ("Not sure what this shows -
closest guesses: ...") and the result is marked ``unsure``, so caption-gallery does not
store such a caption as a search label (a wrong label would mislead every later search).
The nearest human-written captions from a caption bank (the gallery's) come alongside.

``language="zh"`` writes the same sentence, with the same hedging, in Chinese from the
classes' Chinese names (``imagenet_zh.txt``); the evidence labels are then Chinese too. The
caption bank stays as written (English).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
from PIL import Image

from mmdemo.core.errors import UnknownNameError
from mmdemo.core.results import CaptionResult, Scored
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.registry import BackendSpec, Capabilities
from mmdemo.models.shared.class_scores import ClassScorer
from mmdemo.models.shared.colour import image_greyness
from mmdemo.models.shared.imagenet import chinese_name

log = logging.getLogger(__name__)

SURE, LIKELY = 0.60, 0.25  # top-class probability bands for the wording
LANGUAGES = ("en", "zh")  # the languages it writes captions in


def is_unsure(labels: list[Scored]) -> bool:
    """Below LIKELY (or nothing recognised) the classes are guesses, not a description."""
    if not labels:
        return True
    top = labels[0].probability
    return top < LIKELY or (top < SURE and len(labels) < 2)


def with_article(noun: str) -> str:
    """'an espresso', 'a cup' (plural-looking and mass nouns keep it simple: still 'a')."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def describe(labels: list[Scored], black_and_white: bool = False, language: str = "en") -> str:
    """The caption sentence; its wording carries the classifier's confidence."""
    if language == "zh":
        return describe_zh(labels, black_and_white)
    photo = "A black-and-white photo" if black_and_white else "A photo"
    if not labels:
        return f"{photo}; the classifier recognised nothing in it."
    first = labels[0]
    if first.probability >= SURE:
        return f"{photo} of {with_article(first.label)}."
    if not is_unsure(labels):
        return (
            f"{photo} of probably {with_article(first.label)}, "
            f"or possibly {with_article(labels[1].label)}."
        )
    guesses = ", ".join(with_article(s.label) for s in labels[:3])
    return f"{photo}; not sure what it shows — closest guesses: {guesses}."


def describe_zh(labels: list[Scored], black_and_white: bool = False) -> str:
    """The same sentence in Chinese; ``labels`` already carry Chinese class names."""
    photo = "一张黑白照片" if black_and_white else "一张照片"
    if not labels:
        return f"{photo}，分类器没有认出其中的任何东西。"
    first = labels[0]
    if first.probability >= SURE:
        return f"{photo}，拍的是{first.label}。"
    if not is_unsure(labels):
        return f"{photo}，拍的大概是{first.label}，也可能是{labels[1].label}。"
    guesses = "、".join(s.label for s in labels[:3])
    return f"{photo}，看不准拍的是什么——最接近的猜测：{guesses}。"


class LabelCaptioner(Backend):
    task = "caption"

    def __init__(self, spec: BackendSpec, embedder, bank: dict[str, str], cache_dir=None):
        super().__init__(
            spec, embedder.device, embedder.dtype, model_label=f"label-based on {embedder.model_id}"
        )
        self.embedder = embedder
        self.scorer = ClassScorer(embedder, cache_dir)
        self.bank_names = list(bank)
        self.bank_texts = list(bank.values())
        self._bank_vectors: np.ndarray | None = None
        self.method = (
            "label-based: the image classifier's top ImageNet classes put into a sentence "
            "(not a generative captioner)"
        )

    def _bank(self) -> np.ndarray:
        if self._bank_vectors is None:
            self._bank_vectors = self.embedder.embed_texts(self.bank_texts)
        return self._bank_vectors

    def caption(
        self, image: Image.Image, *, top_k: int = 5, nearest: int = 3, language: str = "en"
    ) -> CaptionResult:
        if language not in LANGUAGES:
            raise UnknownNameError("caption language", language, LANGUAGES)
        labels = self.scorer.top(image, top_k)
        if language == "zh":
            labels = [Scored(chinese_name(s.label), s.probability) for s in labels]
        grey = image_greyness(image) >= 0.5
        near: tuple[Scored, ...] = ()
        if nearest and self.bank_texts:
            scores = self._bank() @ self.embedder.embed_images([image])[0]
            order = np.argsort(-scores)[:nearest]
            # Only captions that would count as a good search match: a far-off "nearest"
            # caption would read as a description of this image.
            floor = self.embedder.thresholds.get("text", 0.0)
            near = tuple(
                Scored(self.bank_texts[i], float(scores[i])) for i in order if scores[i] >= floor
            )
        return CaptionResult(
            describe(labels, grey, language),
            self.method,
            tuple(labels),
            near,
            unsure=is_unsure(labels),
        )


def load_caption_bank(path: Path) -> dict[str, str]:
    """{image name: human caption}; a missing or broken bank just means no nearest captions."""
    try:
        bank = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in bank.items()}
    except (OSError, ValueError, AttributeError) as err:
        log.warning("No caption bank at %s (%s); captions come without neighbours.", path, err)
        return {}


def load(spec: BackendSpec, ctx: LoadContext) -> LabelCaptioner:
    bank = load_caption_bank(Path(ctx.settings.gallery_dir) / "captions.json")
    return LabelCaptioner(spec, ctx.get("embed"), bank, ctx.settings.cache_dir)


SPECS = (
    BackendSpec(
        task="caption",
        name="label-caption",
        load=load,
        label="Label-based (classes of the shared image-text space)",
        description="label-based caption: the active embedder's most likely ImageNet classes "
        "in a sentence",
        needs=("embed",),
        capabilities=Capabilities(languages=LANGUAGES),
    ),
)
