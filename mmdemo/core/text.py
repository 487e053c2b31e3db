"""Checks on text a visitor typed, and which script it is in: one copy for every model.

Why here: a question is checked the same way whichever VQA model reads it (empty,
over-long, not text), and "is this mostly not Latin script?" decides the same English-only
note for VQA and sentiment. Imports nothing from the package but ``errors``.
"""

from __future__ import annotations

import unicodedata

from mmdemo.core.errors import BadInputError

MAX_QUESTION_CHARS = 500
MIN_LATIN_SHARE = 0.5  # below this share of Latin letters a text counts as "another script"


def check_question(question: object) -> str:
    """The question with whitespace tidied; empty, over-long or non-text questions are refused."""
    if question is None:
        question = ""
    if not isinstance(question, str):
        raise BadInputError(f"The question must be text, not {type(question).__name__}.")
    text = " ".join(question.split())
    if not text:
        raise BadInputError("The question is empty: type a question about the image.")
    if len(text) > MAX_QUESTION_CHARS:
        raise BadInputError(
            f"The question is {len(text)} characters long; the limit is {MAX_QUESTION_CHARS}. "
            "Ask a shorter question."
        )
    return text


def latin_share(text: str) -> float | None:
    """Share of the letters that are Latin script; None when the text has no letters."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return None
    latin = sum(1 for ch in letters if unicodedata.name(ch, "").startswith("LATIN"))
    return latin / len(letters)


def mostly_non_latin(text: str) -> bool:
    """True when most letters are not Latin (e.g. Cyrillic, CJK): English-only notes apply."""
    share = latin_share(text)
    return share is not None and share < MIN_LATIN_SHARE
