"""Zero-shot classification in the shared space: softmax over image-to-prompt similarities.

Built on whatever embedder the preset serves (``needs=("embed",)``), so it shows the
core CLIP idea directly: labels become sentences, sentences become vectors, and the
closest vector to the image wins. Probabilities use the model's own logit scale.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from PIL import Image

from mmdemo.core.errors import BadInputError
from mmdemo.core.results import LabelScore
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.registry import BackendSpec
from mmdemo.models.shared.class_scores import softmax

MAX_LABELS = 50
MAX_LABEL_CHARS = 100
DEFAULT_TEMPLATE = "a photo of a {}."


def parse_labels(text: str | Sequence[str]) -> list[str]:
    """Comma/newline separated labels -> a clean list; at least two distinct labels needed."""
    parts = re.split(r"[,\n;]", text) if isinstance(text, str) else list(text)
    labels: list[str] = []
    for part in parts:
        label = " ".join(str(part).split())[:MAX_LABEL_CHARS]
        if label and label.lower() not in (seen.lower() for seen in labels):
            labels.append(label)
    if len(labels) < 2:
        raise BadInputError(
            "Give at least two different labels, separated by commas (e.g. 'cat, dog, car')."
        )
    if len(labels) > MAX_LABELS:
        raise BadInputError(f"Too many labels ({len(labels)}); the limit is {MAX_LABELS}.")
    return labels


class ZeroShotClassifier(Backend):
    task = "classify"

    def __init__(self, spec: BackendSpec, embedder):
        super().__init__(spec, embedder.device, embedder.dtype, model_label=embedder.model_id)
        self.embedder = embedder

    def modules(self):
        return []  # the embedder's weights are accounted for under its own task

    def classify(
        self, image: Image.Image, labels: str | Sequence[str], template: str = DEFAULT_TEMPLATE
    ) -> list[LabelScore]:
        """Scores for each label, most probable first; probabilities sum to 1."""
        names = parse_labels(labels)
        prompts = [
            template.format(name) if "{}" in template else f"{template} {name}" for name in names
        ]
        text_vectors = self.embedder.embed_texts(prompts)
        image_vector = self.embedder.embed_images([image])[0]
        similarity = text_vectors @ image_vector
        probs = softmax(self.embedder.logit_scale * similarity)
        scores = [
            LabelScore(n, float(p), float(s))
            for n, p, s in zip(names, probs, similarity, strict=True)
        ]
        return sorted(scores, key=lambda s: s.probability, reverse=True)


def load(spec: BackendSpec, ctx: LoadContext) -> ZeroShotClassifier:
    return ZeroShotClassifier(spec, ctx.get("embed"))


SPECS = (
    BackendSpec(
        task="classify",
        name="clip-zero-shot",
        load=load,
        label="zero-shot in the shared space",
        description="zero-shot classification with the active embedding model",
        needs=("embed",),
    ),
)
