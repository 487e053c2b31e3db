"""Query arithmetic (rclip's ``image + "at night" - "people"``): several signed terms, one query.

Why a weighted sum of unit embeddings: the gallery's embedder puts images and texts in one
space, so "this photo, but at night, without people" is a direction in it - the sum of each
term's unit vector times its weight, renormalised - and the index searches it like any
query. A term is a text, the uploaded image (``image``) or a gallery image (``#12``).

Every check runs before any model work (cost bounded first): at most ``MAX_TERMS`` terms,
weights in [-``MAX_WEIGHT``, ``MAX_WEIGHT``], each text through ``search.clean_query`` and
the English-only refusal, at least one positive term (a query that only says what it is
*not* names no place in the space). The one-line form (``parse_terms``) is what the API,
the CLI and the page's line all take, so the three read one grammar:

    "a dog" + "on the beach" - "people"      quoted texts (also 'single' and “curly” quotes)
    a dog + on the beach - people            bare texts end at a `` + `` / `` - `` operator
    image + 0.5 * "at night" - #12           the uploaded image, a weight, a gallery image
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence

import numpy as np
from PIL import Image

from mmdemo.core.errors import BadInputError, shown
from mmdemo.core.results import SearchResult
from mmdemo.services.gallery import Gallery
from mmdemo.services.search import MAX_QUERY_CHARS, GallerySearch, clean_query

MAX_TERMS = 6  # each text term is one more text through the encoder
MAX_WEIGHT = 2.0  # beyond it one term drowns the others and scores mean little
MAX_LINE_CHARS = MAX_TERMS * MAX_QUERY_CHARS  # cut before parsing: a pasted book costs nothing
KINDS = ("text", "image", "item")  # a text, the uploaded image, a gallery image (its id)
IMAGE_WORDS = ("image", "img", "图片")  # how the one-line form names the uploaded image
# quotes a person may type: ASCII, curly, and the CJK corner brackets a Chinese keyboard makes
QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」", "『": "』"}
# full-width and typographic signs read as + and - (a Chinese keyboard types ＋ and －)
SIGNS = str.maketrans({"＋": "+", "－": "-", "−": "-", "–": "-", "＊": "*", "×": "*"})
_WEIGHT = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*\*")
_ITEM = re.compile(r"#(\d{1,12})")


@dataclasses.dataclass(frozen=True)
class Term:
    """One signed term of a query: ``weight`` times a text, the image, or gallery item ``item``."""

    kind: str  # one of KINDS
    weight: float = 1.0
    text: str | None = None  # kind "text"
    item: int | None = None  # kind "item"

    def shown(self) -> str:
        """The term in the one-line form, without its sign (``0.5 * "at night"``)."""
        if self.kind == "text":
            text = self.text or ""
            opening = next((q for q in QUOTES if q not in text and QUOTES[q] not in text), '"')
            what = f"{opening}{text}{QUOTES[opening]}"
        else:
            what = "image" if self.kind == "image" else f"#{self.item}"
        size = abs(self.weight)
        return what if size == 1 else f"{size:g} * {what}"

    def to_json(self) -> dict:
        return {"kind": self.kind, "weight": self.weight, "text": self.text, "item": self.item}


def format_terms(terms: Sequence[Term]) -> str:
    """The one-line form of ``terms`` (``parse_terms`` reads it back to the same terms)."""
    line = ""
    for n, term in enumerate(terms):
        sign = "-" if term.weight < 0 else "+"
        if n == 0:
            line = ("- " if sign == "-" else "") + term.shown()
        else:
            line += f" {sign} {term.shown()}"
    return line


def parse_terms(line: object) -> list[Term]:
    """The terms of the one-line form; a clear message for what cannot be read."""
    if line is not None and not isinstance(line, str):
        raise BadInputError(f"The query terms must be text, not {type(line).__name__}.")
    source = (line or "")[:MAX_LINE_CHARS].translate(SIGNS).strip()
    if not source:
        raise BadInputError(
            'The query terms are empty: write them like "a dog" + "at night" - "people".'
        )
    terms: list[Term] = []
    at, sign = 0, None  # sign: the operator read before the next term (None at the start)
    while True:
        at = _skip_spaces(source, at)
        if at >= len(source):
            break
        if source[at] in "+-":
            if sign is not None:
                raise BadInputError(
                    f"Two signs in a row in the query terms (at {shown(source[at : at + 20])}): "
                    "put one term between each + and -."
                )
            sign = -1.0 if source[at] == "-" else 1.0
            at += 1
            continue
        if terms and sign is None:
            raise BadInputError(
                f"Put + or - between the query terms (before {shown(source[at : at + 20])})."
            )
        term, at = _read_term(source, at)
        terms.append(dataclasses.replace(term, weight=(sign or 1.0) * term.weight))
        sign = None
        if len(terms) > MAX_TERMS:
            break  # check_terms says how many are allowed
    if sign is not None:
        raise BadInputError("The query terms end with a sign: put a term after the last + or -.")
    return terms


def _skip_spaces(source: str, at: int) -> int:
    while at < len(source) and source[at].isspace():
        at += 1
    return at


def _read_term(source: str, at: int) -> tuple[Term, int]:
    """One term starting at ``at`` (an optional ``N *`` weight first); where it ends."""
    weight = 1.0
    found = _WEIGHT.match(source, at)
    if found:
        weight = float(found.group(1))
        at = _skip_spaces(source, found.end())
        if at >= len(source):
            raise BadInputError(
                f"The weight {found.group(1)} has no term after it: put one after it, like "
                '0.5 * "at night".'
            )
    opening = source[at]
    if opening in QUOTES:
        end = source.find(QUOTES[opening], at + 1)
        if end < 0:
            raise BadInputError(
                f"A quote in the query terms is not closed: {shown(source[at : at + 30])}."
            )
        return Term("text", weight, text=source[at + 1 : end]), end + 1
    found = _ITEM.match(source, at)
    if found and _ends_term(source, found.end()):
        return Term("item", weight, item=int(found.group(1))), found.end()
    end = _bare_end(source, at)
    word = source[at:end].strip()
    if word.lower() in IMAGE_WORDS:
        return Term("image", weight), end
    return Term("text", weight, text=word), end


def _ends_term(source: str, at: int) -> bool:
    rest = source[at:].lstrip()
    return not rest or rest[0] in "+-"


def _bare_end(source: str, at: int) -> int:
    """Where an unquoted text ends: at a + or - with a space before it (``black-and-white
    photo`` stays one text), or at the end."""
    for n in range(at + 1, len(source)):
        if source[n] in "+-" and source[n - 1].isspace():
            return n
    return len(source)


def check_terms(terms: Sequence[Term], *, has_image: bool = False) -> list[Term]:
    """``terms`` with their texts tidied, or a clear message: how many, which weights, the
    image named once and only when there is one, at least one term to look for."""
    terms = list(terms)
    if not terms:
        raise BadInputError('There are no query terms: write them like "a dog" - "people".')
    if len(terms) > MAX_TERMS:
        raise BadInputError(
            f"A query takes at most {MAX_TERMS} terms, not {len(terms)}: leave some out."
        )
    checked = []
    for term in terms:
        if not isinstance(term, Term) or term.kind not in KINDS:
            raise BadInputError(f"A query term must be a text or an image, not {shown(term)}.")
        weight = _weight(term.weight)
        text = clean_query(term.text) if term.kind == "text" else None
        checked.append(dataclasses.replace(term, weight=weight, text=text))
    images = sum(term.kind == "image" for term in checked)
    if images and not has_image:
        raise BadInputError(
            "The query terms name the image, but no image was given: upload one, or leave "
            "image out of the terms."
        )
    if images > 1:
        raise BadInputError("The query terms name the image more than once: name it once.")
    if all(term.weight == 0 for term in checked):
        raise BadInputError(
            "Every query term has weight 0: give what you are looking for a positive weight."
        )
    if not any(term.weight > 0 for term in checked):
        raise BadInputError(
            "The query terms only say what to leave out: add a term with a + for what you "
            "are looking for."
        )
    return checked


def _weight(value: object) -> float:
    try:
        weight = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise BadInputError(f"A term's weight must be a number, not {shown(value)}.") from None
    if not math.isfinite(weight) or not -MAX_WEIGHT <= weight <= MAX_WEIGHT:
        raise BadInputError(
            f"A term's weight must be between -{MAX_WEIGHT:g} and {MAX_WEIGHT:g}, not "
            f"{shown(value)}."
        )
    return weight


def search_terms(
    search: GallerySearch,
    terms: str | Sequence[Term],
    k: object = 12,
    *,
    image: Image.Image | None = None,
    overlay: Gallery | None = None,
    min_score: float | None = None,
    collapse: bool = False,
) -> tuple[list[Term], SearchResult]:
    """The gallery's best matches for the combined terms (the line or ``Term``s), and the
    terms as read. ``image`` counts only where the terms name it (``image``, with its
    weight): a caller who set its weight to nothing left it out, so it is not guessed in
    (the page says so). Gallery images named as terms (``#12``) are left out of the
    results: the visitor has them already."""
    parsed = parse_terms(terms) if isinstance(terms, str) or terms is None else list(terms)
    checked = check_terms(parsed, has_image=image is not None)
    if not any(term.kind == "image" for term in checked):
        image = None  # not named: not embedded either
    for term in checked:
        if term.kind == "text":
            search.require_readable(term.text)
    items = {
        term.item: search.item_vector(term.item, overlay) for term in checked if term.kind == "item"
    }
    embedder = search.gallery.embedder  # every input is checked: now the model's work
    texts = [term.text for term in checked if term.kind == "text"]
    text_vectors = iter(embedder.embed_texts(texts) if texts else ())
    image_vector = embedder.embed_images([image])[0] if image is not None else None
    vector = np.zeros(embedder.dim, np.float32)
    for term in checked:
        if term.kind == "text":
            part = next(text_vectors)
        elif term.kind == "image":
            part = image_vector
        else:
            part = items[term.item]
        vector += term.weight * np.asarray(part, np.float32)
    norm = float(np.linalg.norm(vector))
    if norm < 1e-6:
        raise BadInputError("The query terms cancel each other out: change a weight or a term.")
    # the match levels: a text query's, or an image query's mixed by the texts' share of
    # the positive weight (as image + text search mixes them)
    wanted = [t for t in checked if t.weight > 0]
    text_share = sum(t.weight for t in wanted if t.kind == "text") / sum(t.weight for t in wanted)
    kind = "text" if all(t.kind == "text" for t in wanted) else "image"
    result = search.search_vector(
        vector / norm,
        k,
        overlay=overlay,
        kind=kind,
        text_weight=text_share if kind == "image" else 0.0,
        exclude=tuple(items),
        min_score=min_score,
        collapse=collapse,
    )
    return checked, result
