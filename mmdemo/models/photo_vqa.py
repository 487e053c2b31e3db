"""VQA for ordinary photos without a VQA model: answers ranked in the shared embedding space.

Why so narrow: with only a classifier and a shared space, two kinds of question have
honest answers - "what is this?" (the classifier's classes) and "is there a X?". For the
latter a raw similarity means little (a grey or ambiguous image is close to *every*
"a photo of a ..." prompt), so "X" is scored against the same image's similarity to the
1000 ImageNet class prompts: a z-score, i.e. "does X stand out for this image?".
Everything else ("how many", "what colour", "why", ...) gets a plain "can't answer this
kind of question", never a guess dressed up as an answer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from PIL import Image

from mmdemo.errors import BadInputError
from mmdemo.models.class_scores import ClassScorer
from mmdemo.types import Scored, VqaResult

MAX_QUESTION_CHARS = 500
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


@dataclass(frozen=True)
class ParsedQuestion:
    kind: str  # "what" | "is_there" | "unsupported"
    thing: str = ""


def normalise_question(question: str) -> str:
    text = " ".join(str(question or "").split())
    if not text:
        raise BadInputError("The question is empty: type a question about the image.")
    return text[:MAX_QUESTION_CHARS]


def parse_question(question: str) -> ParsedQuestion:
    """Classify the question into a kind this model can answer (or not)."""
    text = normalise_question(question).lower().rstrip("?.! ")
    if WHAT_IS.match(text):
        return ParsedQuestion("what")
    match = IS_THERE.match(text)
    if match and match.group("thing").strip():
        return ParsedQuestion("is_there", match.group("thing").strip())
    return ParsedQuestion("unsupported")


class PhotoVqa:
    """Not a Backend of its own: the lite VQA router owns it and reports its model name."""

    def __init__(self, embedder, cache_dir=None):
        self.embedder = embedder
        self.scorer = ClassScorer(embedder, cache_dir)
        self.model = f"similarity in the shared space of {embedder.model_id}"

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
            return VqaResult(tuple(labels), True, self.model, message)
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
            return VqaResult(tuple(answers), True, self.model, message)
        return VqaResult(
            (),
            False,
            self.model,
            "Can't answer this kind of question with the lite models. " + CAN_ANSWER,
        )
