"""Every example the page offers, per preset and per capability, with what each must show.

Why one place with the intended result beside each example: an example is a promise made
to a first-time visitor. ``tests/integration/test_examples.py`` reads these same lists (the
tabs build their example rows and suggested questions from them) and drives every offered
example through the running app - in ``lite`` it checks the intended result (the top hit,
the right answer, the label, a disagreement), in ``tiny`` that it answers with the right
types. A new example is therefore tested the moment it is added, and one the preset cannot
do fails a test instead of a demo.

Examples differ per preset because the models do: CLIP (``full``) finds "outer space",
lite's label bridge does not. ``tiny`` mirrors ``full`` (same architectures, random
weights), so it gets ``full``'s examples. VQA questions are filtered by the kinds of
question the active model declares (``Capabilities.question_kinds``), never by its name.
Paths are relative to the assets folder (``Settings.assets_dir``). One file per tab
(``examples/<tab>.py``); this package re-exports them, so ``examples.<name>`` reads the same.
"""

from mmdemo.ui.examples.base import GALLERY, SENTIMENT, SHAPES, existing
from mmdemo.ui.examples.caption import (
    CAPTION_EXAMPLES,
    CaptionExample,
    caption_examples,
)
from mmdemo.ui.examples.classify import (
    CLASSIFY_EXAMPLES,
    CLASSIFY_LABELS,
    ClassifyExample,
    classify_examples,
)
from mmdemo.ui.examples.search import (
    SEARCH_EXAMPLES,
    SearchExample,
    search_examples,
    search_queries,
)
from mmdemo.ui.examples.sentiment import (
    SENTIMENT_EXAMPLES,
    SentimentExample,
    sentiment_examples,
)
from mmdemo.ui.examples.vqa import (
    GENERIC_QUESTIONS,
    VQA_IMAGES,
    Question,
    VqaImage,
    answerable,
    image_domain,
    suggested_questions,
    vqa_examples,
    vqa_image,
)

__all__ = [
    "CAPTION_EXAMPLES",
    "CLASSIFY_EXAMPLES",
    "CLASSIFY_LABELS",
    "GALLERY",
    "GENERIC_QUESTIONS",
    "SEARCH_EXAMPLES",
    "SENTIMENT",
    "SENTIMENT_EXAMPLES",
    "SHAPES",
    "VQA_IMAGES",
    "CaptionExample",
    "ClassifyExample",
    "Question",
    "SearchExample",
    "SentimentExample",
    "VqaImage",
    "answerable",
    "caption_examples",
    "classify_examples",
    "existing",
    "image_domain",
    "search_examples",
    "search_queries",
    "sentiment_examples",
    "suggested_questions",
    "vqa_examples",
    "vqa_image",
]
