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
# Checked before any splitting, so a pasted novel costs nothing: 50 labels of 100 characters
# with their separators and some spaces fit in 10,000 characters. A label longer than 100
# characters is cut, not refused.
MAX_LABELS_TEXT_CHARS = 10_000
MAX_TEMPLATE_CHARS = 200  # a prompt is one short sentence (CLIP reads 77 tokens at most)
DEFAULT_TEMPLATE = "a photo of a {}."
# a Chinese keyboard types the full-width comma, the enumeration comma and semicolon
_SEPARATORS = re.compile(r"[,\n;，、；]")


def _too_long(what: str, length: int, limit: int) -> BadInputError:
    return BadInputError(
        f"{what} {length:,} characters long; the limit is {limit:,} (at most {MAX_LABELS} "
        f"labels of up to {MAX_LABEL_CHARS} characters). Give fewer, shorter labels."
    )


def _label_parts(text: object) -> list[str]:
    """The raw pieces of a labels value; its type and size are checked before any work."""
    if text is None:
        return []
    if isinstance(text, str):
        if len(text) > MAX_LABELS_TEXT_CHARS:
            raise _too_long("The labels text is", len(text), MAX_LABELS_TEXT_CHARS)
        return _SEPARATORS.split(text)
    if isinstance(text, (list, tuple)):
        if len(text) > MAX_LABELS_TEXT_CHARS // 2:  # more items than any text could hold
            raise BadInputError(f"Too many labels ({len(text):,}); the limit is {MAX_LABELS}.")
        if not all(isinstance(part, str) for part in text):
            odd = next(type(part).__name__ for part in text if not isinstance(part, str))
            raise BadInputError(f"Each label must be text; one is a {odd}.")
        total = sum(len(part) for part in text)
        if total > MAX_LABELS_TEXT_CHARS:
            raise _too_long("The labels are", total, MAX_LABELS_TEXT_CHARS)
        return list(text)
    raise BadInputError(
        f"The labels must be text (comma-separated, e.g. 'cat, dog'), not {type(text).__name__}."
    )


def parse_labels(text: object) -> list[str]:
    """Comma/newline separated labels -> a clean list; at least two distinct labels needed.

    Linear: sizes are checked before splitting, duplicates (ignoring case) found with a set.
    """
    labels: list[str] = []
    seen: set[str] = set()
    for part in _label_parts(text):
        label = " ".join(part.split())[:MAX_LABEL_CHARS].rstrip()  # a cut may end in a space
        key = label.lower()
        if label and key not in seen:
            seen.add(key)
            labels.append(label)
    if len(labels) < 2:
        raise BadInputError(
            "Give at least two different labels, separated by commas (e.g. 'cat, dog, car')."
        )
    if len(labels) > MAX_LABELS:
        raise BadInputError(f"Too many labels ({len(labels):,}); the limit is {MAX_LABELS}.")
    return labels


def check_template(template: object) -> str:
    """A prompt template: ``{}`` once where the label goes (or nowhere: the label is appended
    after it), and no other braces. Why strict: ``str.format`` would read ``{x}``, ``{0}``
    or a lone ``{`` as fields and fail; a rule stated once is clearer than its errors."""
    if template is None:
        return "{}"
    if not isinstance(template, str):
        raise BadInputError(f"The prompt template must be text, not {type(template).__name__}.")
    if len(template) > MAX_TEMPLATE_CHARS:
        raise BadInputError(
            f"The prompt template is {len(template):,} characters long; the limit is "
            f"{MAX_TEMPLATE_CHARS}. Use a short sentence such as 'a photo of {{}}.'."
        )
    template = " ".join(template.split()) or "{}"
    holes = template.count("{}")
    rest = template.replace("{}", "")
    if holes > 1 or "{" in rest or "}" in rest:
        raise BadInputError(
            f"The prompt template {template!r} is not usable: put {{}} once where the label "
            "goes (e.g. 'a photo of {}.'), and no other braces."
        )
    return template


def prompts_for(names: Sequence[str], template: str) -> list[str]:
    """One sentence per label; a template without ``{}`` gets the label after it."""
    if "{}" in template:
        return [template.replace("{}", name, 1) for name in names]
    return [f"{template} {name}" for name in names]


class ZeroShotClassifier(Backend):
    task = "classify"

    def __init__(self, spec: BackendSpec, embedder):
        super().__init__(spec, embedder.device, embedder.dtype, model_label=embedder.model_id)
        self.embedder = embedder

    def modules(self):
        return []  # the embedder's weights are accounted for under its own task

    def classify(
        self, image: Image.Image, labels: object, template: object = DEFAULT_TEMPLATE
    ) -> list[LabelScore]:
        """Scores for each label, most probable first; probabilities sum to 1."""
        names = parse_labels(labels)
        prompts = prompts_for(names, check_template(template))
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
