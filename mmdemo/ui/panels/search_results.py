"""What the Search tab's results area shows, composed from a ``SearchResult``: the hit labels,
the results message in the visitor's language, the JSON hits, the image -> text table, and
the *views* (what the grid shows, kept per session for "Back").

Why a panel of its own: the Search tab, its query-arithmetic panel and the Explore tab all
show search results the same way; each piece here is small and pure (unit-tested alone
through ``ui.tabs.search``, which re-exports them).

The service words a result in English (the CLI, the API and the log read it); the page
composes the same sentences from the result itself in the visitor's language. What the
English result does not carry (the closest score once all hits are hidden, a hybrid note)
is read from its message. If the English composed here ever differs from the service's,
the service's message is shown through the catalogue instead of a wrong sentence.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from mmdemo.core.i18n import normalise_language
from mmdemo.core.results import CaptionHit, SearchHit, SearchResult
from mmdemo.services.hybrid import HYBRID_WORD_WEIGHT
from mmdemo.services.search import STRENGTHS
from mmdemo.ui.i18n import localised, register, request_language, text
from mmdemo.ui.strings.search import STRINGS

log = logging.getLogger(__name__)

register(STRINGS)

CAPTION_HEADERS = ["caption", "score", "id", "image"]  # the API's (English) headers


def hit_name(hit: SearchHit | CaptionHit) -> str:
    """What a person calls a hit: its caption, else its file name."""
    caption = getattr(hit, "caption", None)
    return caption or Path(hit.path).name


def _word(strength: str, language: str | None) -> str:
    return text(f"search.word_{strength}", language)


def hit_label(hit: SearchHit, language: str | None = None) -> str:
    """The caption under a result's thumbnail: its match strength in words (the score is in
    the JSON); a model without calibrated levels (random weights) shows the bare score."""
    if hit.strength:
        return text(
            "search.hit_label", language, word=_word(hit.strength, language), name=hit_name(hit)
        )
    return f"{hit.score:.3f} · {hit_name(hit)}"


def shown_file(hit: SearchHit | CaptionHit) -> str:
    """The file a grid is sent: the thumbnail, or the original if none could be made."""
    return hit.thumbnail or hit.path


# -- the results message in the visitor's language ------------------------------------------
_CLOSEST = re.compile(r"\(the closest is (?:a (\w+) match|(-?\d+\.\d+))\)")
_NOTES = ("search.hybrid_note", "search.hybrid_no_captions")


def _sentences(language: str, *parts: str) -> str:
    return (" " if language == "en" else "").join(part for part in parts if part)


def _counted(hits, language: str) -> str:
    """ "2 strong matches, 1 possible match" (the words in STRENGTHS order)."""
    parts = []
    for word in STRENGTHS:
        n = sum(h.strength == word for h in hits)
        if n:
            key = "search.count_one" if n == 1 else "search.count_many"
            parts.append(text(key, language, n=n, word=_word(word, language)))
    return text("search.count_join", language).join(parts)


def _core(result: SearchResult, language: str, english: str) -> str:
    """``services.search.judge``'s verdict on ``result``, in ``language``."""
    if english == text("search.empty_index", "en"):
        return text("search.empty_index", language)
    kept, best = result.hits, (result.hits[0] if result.hits else None)
    if not kept and result.hidden:
        found = _CLOSEST.search(english)
        if found is None:
            return ""
        word, score = found.groups()
        closest = (
            text("search.closest_word", language, word=_word(word, language)) if word else score
        )
        key = "search.none_reach" if result.good_match else "search.none_reach_bad"
        return text(key, language, closest=closest)
    if result.threshold is None:
        if best is None:
            verdict = text("search.no_results", language)
        else:
            verdict = text(
                "search.results_scores", language, n=len(kept), score=f"{best.score:.3f}"
            )
    elif result.good_match:
        verdict = text("search.results", language, n=len(kept), counted=_counted(kept, language))
    else:
        verdict = text("search.only_weak", language)
    hidden = text("search.hidden", language, hidden=result.hidden) if kept and result.hidden else ""
    return _sentences(language, verdict, hidden)


def result_message(
    result: SearchResult, language: str | None = None, *, similar_to: str | None = None
) -> str:
    """The result's message in ``language`` (default: the request's; English for the API:
    then exactly the service's). ``similar_to``: the "more like this" image's name."""
    lang = normalise_language(language or request_language())
    english = result.message
    prefix = f"More like {similar_to}: " if similar_to is not None else None
    if prefix and english.startswith(prefix):
        english = english[len(prefix) :]
    else:
        prefix = None
    note = None
    for key in _NOTES:
        ending = " " + text(key, "en", weight=HYBRID_WORD_WEIGHT)
        if english.endswith(ending):
            english, note = english[: -len(ending)], key
    if _core(result, "en", english) != english:
        log.info("search message not composed, shown through the catalogue: %s", result.message)
        return localised(result.message, lang)
    if lang == "en":
        return result.message
    note_text = text(note, lang, weight=HYBRID_WORD_WEIGHT) if note else ""
    body = _sentences(lang, _core(result, lang, english), note_text)
    return text("search.more_like", lang, name=similar_to, message=body) if prefix else body


def result_outputs(
    result: SearchResult,
    language: str | None = None,
    *,
    similar_to: str | None = None,
    notes: Sequence[str] = (),
):
    """(results grid items, message markdown, JSON hits, hit ids) for a search result.
    ``notes``: sentences already in the visitor's language said after the verdict (how
    many near-duplicates were folded, what a re-rank cost)."""
    items = [(shown_file(hit), hit_label(hit, language)) for hit in result.hits]
    message = result_message(result, language, similar_to=similar_to)
    message = message if result.good_match else f"**{message}**"
    lang = normalise_language(language or request_language())
    message = _sentences(lang, message, *notes)
    # "image": the stored file's name, never its server path (a public server's folders are
    # its own business). Not "path": gradio_client takes any dict with a "path" key for a
    # file to download.
    hits = [
        {
            "id": h.id,
            "score": round(h.score, 4),
            "strength": h.strength,
            "image": Path(h.path).name,
            "caption": h.caption,
            **({"folded_ids": list(h.folded_ids)} if getattr(h, "folded", 0) else {}),
        }
        for h in result.hits
    ]
    return items, message, hits, [h.id for h in result.hits]


def caption_headers(language: str | None = None) -> list[str]:
    """The image -> text table's headers (English for the API: CAPTION_HEADERS)."""
    return [text(f"search.header_{name}", language) for name in CAPTION_HEADERS]


def caption_rows(hits: list[CaptionHit]) -> list[list]:
    """Image -> text results as table rows (caption, score, item id, image file name)."""
    return [[h.caption, round(h.score, 4), h.id, Path(h.path).name] for h in hits]


def caption_items(hits: list[CaptionHit]) -> list[tuple[str, str]]:
    """Image -> text results as thumbnails for the small gallery beside the table."""
    return [(shown_file(h), f"{h.score:.3f} · {h.caption}") for h in hits]


# -- views: what the results area shows, kept per session ------------------------------------
def make_view(items, message, raw, hits, *, query: str = "", pin: dict | None = None) -> dict:
    """One state of the results area. ``hits`` are (id, original path, name) per grid item."""
    return {
        "items": items,
        "message": message,
        "raw": raw,
        "hits": [{"id": h.id, "path": h.path, "name": hit_name(h)} for h in hits],
        "query": query,
        "pin": pin,
    }


def view_of(
    result: SearchResult,
    *,
    query: str = "",
    pin: dict | None = None,
    similar_to: str | None = None,
    notes: Sequence[str] = (),
) -> dict:
    """The view of ``result``, worded in the current request's language."""
    items, message, raw, _ = result_outputs(result, similar_to=similar_to, notes=notes)
    return make_view(items, message, raw, result.hits, query=query, pin=pin)


def view_outputs(view: dict) -> tuple:
    """(grid items, message, JSON hits): the three values the search endpoints return."""
    return view["items"], view["message"], view["raw"]
