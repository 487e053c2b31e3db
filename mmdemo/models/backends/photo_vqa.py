"""VQA for ordinary photos without a VQA model: answers ranked in the shared embedding space.

Why so narrow: with only a classifier and a shared space, two kinds of question have
honest answers - "what is this?" (the classifier's classes) and "is there a X?". For the
latter a raw similarity means little (a grey or ambiguous image is close to *every*
"a photo of a ..." prompt), so "X" is scored against the same image's similarity to the
1000 ImageNet class prompts: a z-score, i.e. "does X stand out for this image?".
Everything else ("how many", "what colour", "why", ...) gets a plain "can't answer this
kind of question", never a guess dressed up as an answer. Served alone
(``MMDEMO_BACKENDS=vqa=photo-vqa``) or behind the routed VQA, which sends shapes images to
our shapes model and photos here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from PIL import Image

from mmdemo.core.results import Scored, VqaResult
from mmdemo.core.text import check_question
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.registry import ANY, BackendSpec, Capabilities
from mmdemo.models.shared.class_scores import ClassScorer

WHAT_IS = re.compile(
    r"^(what|which)( kind of| type of| sort of)?"
    r"( object| animal| thing| things| objects| animals| food| plant| vehicle| building)?"
    r"( is| are|'s)( this| that| it| these| those| there| shown| in (the|this) "
    r"(image|picture|photo|photograph))?( in (the|this) (image|picture|photo|photograph))?$"
    r"|^what (do|can) (you|i) see( in (the|this) (image|picture|photo))?$"
    r"|^(describe|identify) (this|the image|the picture|the photo|it)$"
)
IS_THERE = re.compile(
    r"^(is there|are there|is this|is that|is it|does (the|this) (image|picture|photo) "
    r"(contain|show|have)|do you see|can you see)\s+(an?\s+|any\s+|some\s+|the\s+)?"
    r"(?P<thing>.+?)(\s+in (the|this) (image|picture|photo))?$"
)
CAN_ANSWER = (
    'The lite photo VQA can answer "what is this?" (which objects the ImageNet classifier '
    'sees) and "is there a …?" / "is this a …?" (does the image match that object). '
)
# P(yes) = sigmoid((z - Z_MIDPOINT) / Z_SLOPE). Measured on the gallery with 24 objects x 16
# photos (docs/quality.md): z >= 2.5 had no false "yes"; z around 2 is a coin toss.
Z_MIDPOINT, Z_SLOPE = 2.0, 0.5
LOW_CONFIDENCE = 0.25
# What parse_question can answer, on any image (declared for the Ask tab's suggestions).
QUESTION_KINDS = ((ANY, ("what", "is_there")),)


@dataclass(frozen=True)
class ParsedQuestion:
    kind: str  # "what" | "is_there" | "unsupported"
    thing: str = ""


def parse_question(question: str) -> ParsedQuestion:
    """Classify the question into a kind this model can answer (or not)."""
    text = check_question(question).lower().rstrip("?.! ")
    if WHAT_IS.match(text):
        return ParsedQuestion("what")
    match = IS_THERE.match(text)
    if match and match.group("thing").strip():
        return ParsedQuestion("is_there", match.group("thing").strip())
    return ParsedQuestion("unsupported")


class PhotoVqa(Backend):
    """Answers "what is this?" and "is there a ...?" about a photo in the shared space."""

    task = "vqa"

    def __init__(self, spec: BackendSpec, embedder, cache_dir=None):
        super().__init__(
            spec,
            embedder.device,
            embedder.dtype,
            model_label=f"similarity in the shared space of {embedder.model_id}",
        )
        self.embedder = embedder
        self.scorer = ClassScorer(embedder, cache_dir)

    def is_there(self, image: Image.Image, thing: str) -> tuple[float, float]:
        """(P(yes), z-score) for "is there a ``thing``": how much it stands out for the image."""
        _, background = self.scorer.prompt_table()
        image_vector = self.embedder.embed_images([image])[0]
        query = self.embedder.embed_texts([f"a photo of a {thing}."])[0]
        reference = background @ image_vector
        z = float((query @ image_vector - reference.mean()) / max(reference.std(), 1e-6))
        return 1.0 / (1.0 + math.exp(-(z - Z_MIDPOINT) / Z_SLOPE)), z

    def answer(self, image: Image.Image, question: str, top_k: int = 5) -> VqaResult:
        parsed = parse_question(question)
        if parsed.kind == "what":
            labels = self.scorer.top(image, top_k)
            message = "Answers are ImageNet classes."
            if labels and labels[0].probability < LOW_CONFIDENCE:
                message += (
                    " Low confidence: the image may show something ImageNet has no class for."
                )
            return VqaResult(tuple(labels), True, self.model_label, message)
        if parsed.kind == "is_there":
            p_yes, z = self.is_there(image, parsed.thing)
            answers = sorted(
                (Scored("yes", p_yes), Scored("no", 1.0 - p_yes)),
                key=lambda s: s.probability,
                reverse=True,
            )
            message = (
                f'"{parsed.thing}" stands out for this image by z = {z:.1f} against the 1000 '
                'ImageNet classes (yes from about 2). A "no" can also mean the models have '
                "no notion of it."
            )
            return VqaResult(tuple(answers), True, self.model_label, message)
        return VqaResult(
            (),
            False,
            self.model_label,
            "Can't answer this kind of question with the lite models. " + CAN_ANSWER,
        )


def load(spec: BackendSpec, ctx: LoadContext) -> PhotoVqa:
    return PhotoVqa(spec, ctx.get("embed"), ctx.settings.cache_dir)


SPECS = (
    BackendSpec(
        task="vqa",
        name="photo-vqa",
        load=load,
        label="Similarity answers for photos (what is this? / is there a ...?)",
        description="answers ranked in the shared image-text space: what is this? and is "
        "there a ...?; other questions are declined",
        needs=("embed",),
        capabilities=Capabilities(question_kinds=QUESTION_KINDS),
    ),
)
