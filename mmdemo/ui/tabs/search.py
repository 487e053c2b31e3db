"""The Search tab: text -> image, image (+ text) -> image, image -> caption, more like this.

Each handler is one ``GallerySearch`` call. Grids are sent the hits' cached thumbnails
(``services.thumbnails``, a few hundred KB for a page) and never the originals; the
original of a clicked result is shown pinned above its "more like this" results, with
what the query now is and a way back.

What the page remembers lives per browser session in ``gr.State`` (never in a global):
the current *view* (what the grid shows, its ids, the pinned image, the query text) and the
views "Back" returns to. After each request one of two small steps runs (``settled``): on
success it shows the new view's pinned image; on failure it clears the outputs the request
would have replaced, instead of leaving stale results beside an error.

Every string is in English and Chinese (``ui.i18n``): static labels are keys the browser
translates; what a search returns (the results message, match words, the pinned title) is
composed here in the request's language, and stays the service's English for API callers.
Its words are in ``ui/strings/search.py``.

Why one file of ~540 lines: it is one tab whose four searches share one results grid, one
message, one pinned view and one history; the composing helpers above ``build`` are each
small and pure (unit-tested alone), and splitting the event wiring across files would
scatter the one place that says which output each search replaces.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import gradio as gr

from mmdemo.core.errors import BadInputError
from mmdemo.core.i18n import normalise_language
from mmdemo.core.results import CaptionHit, SearchHit, SearchResult
from mmdemo.services.hybrid import HYBRID_WORD_WEIGHT
from mmdemo.services.search import DEFAULT_TEXT_WEIGHT, STRENGTHS
from mmdemo.ui.common import MODEL_QUEUE, TabContext, friendly, image_input
from mmdemo.ui.examples import search_queries
from mmdemo.ui.i18n import localised, register, request_language, t, text
from mmdemo.ui.strings.search import STRINGS

log = logging.getLogger(__name__)

register(STRINGS)
TITLE = t("tab.search")
ID = "search"
ORDER = 10

DEFAULT_K = 12
CAPTION_HEADERS = ["caption", "score", "id", "image"]  # the API's (English) headers
HISTORY_DEPTH = 10  # "Back" steps kept per session (each a list of a dozen paths)


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


def min_score_slider(level: float | None, kind: str) -> gr.Slider:
    """The "Minimum match" slider of one query kind: results below it are not shown. It
    starts where the model's possible matches begin; without calibrated levels (random
    weights) at the bottom, so nothing is hidden."""
    low = -1.0 if level is None else 0.0
    info = "search.min_score_info" if level is not None else "search.min_score_info_random"
    return gr.Slider(
        low,
        1.0,
        value=low if level is None else level,
        step=0.01,
        label=t("search.min_score" if kind == "text" else "search.min_score_image"),
        info=t(info),
        elem_id=f"search-min-score-{kind}",
    )


def shown_file(hit: SearchHit | CaptionHit) -> str:
    """The file a grid is sent: the thumbnail, or the original if none could be made."""
    return hit.thumbnail or hit.path


# -- the results message in the visitor's language ------------------------------------------
# The service words a result in English (the CLI, the API and the log read it); the page
# composes the same sentences from the result itself in the visitor's language. What the
# English result does not carry (the closest score once all hits are hidden, a hybrid note)
# is read from its message. If the English composed here ever differs from the service's,
# the service's message is shown through the catalogue instead of a wrong sentence.
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
    result: SearchResult, language: str | None = None, *, similar_to: str | None = None
):
    """(results grid items, message markdown, JSON hits, hit ids) for a search result."""
    items = [(shown_file(hit), hit_label(hit, language)) for hit in result.hits]
    message = result_message(result, language, similar_to=similar_to)
    message = message if result.good_match else f"**{message}**"
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
) -> dict:
    """The view of ``result``, worded in the current request's language."""
    items, message, raw, _ = result_outputs(result, similar_to=similar_to)
    return make_view(items, message, raw, result.hits, query=query, pin=pin)


def view_outputs(view: dict) -> tuple:
    """(grid items, message, JSON hits): the three values the search endpoints return."""
    return view["items"], view["message"], view["raw"]


def clicked(view: dict | None, index: int | None) -> dict:
    """The hit behind grid position ``index`` of ``view``, or a clear error."""
    hits = (view or {}).get("hits") or []
    if index is None or not 0 <= int(index) < len(hits):
        raise BadInputError("That result is no longer available; search again.")
    return hits[int(index)]


def pushed(history: list | None, view: dict | None) -> list:
    """``history`` with ``view`` on top (the oldest dropped past HISTORY_DEPTH)."""
    stack = list(history or [])
    if view is not None:
        stack.append(view)
    return stack[-HISTORY_DEPTH:]


def pin_outputs(view: dict | None, history: list | None) -> tuple:
    """(pinned box, its title, the original image, back button) for ``view``."""
    pin = (view or {}).get("pin")
    back = gr.update(visible=bool(history))
    if not pin:
        return gr.update(visible=False), "", None, back
    return gr.update(visible=True), pin["title"], pin["path"], back


def build(ctx: TabContext) -> None:
    search = ctx.search
    view = gr.State(None)  # the current view (make_view); None before the first search
    history = gr.State([])  # views "Back" returns to, newest last
    caption_view = gr.State(None)  # the image -> text results (same shape as a view)
    with gr.Row():
        with gr.Column(scale=2):
            query = gr.Textbox(
                label=t("search.query_label"),
                elem_id="search-text-query",
                placeholder=t("search.query_placeholder"),
                lines=1,
            )
            hybrid = gr.Checkbox(
                value=False,
                label=t("search.hybrid_label"),
                info=t("search.hybrid_info"),
                elem_id="search-hybrid",
            )
            text_min = min_score_slider(search.possible_level("text"), "text")
            text_button = gr.Button(
                t("search.text_button"), variant="primary", elem_id="search-text-button"
            )
            preset = ctx.server.preset
            chips = gr.Examples(search_queries(preset), inputs=query, label=t("search.try"))
            # the chips of the page's language (English where the preset has none in it)
            ctx.in_language(
                chips.dataset,
                lambda lang: gr.Dataset(samples=[[q] for q in search_queries(preset, lang)]),
            )
        with gr.Column(scale=2):
            image = image_input(t("search.image_label"), "search-image-query", height=220)
            mix_text = gr.Textbox(
                value="",
                label=t("search.mix_label"),
                placeholder=t("search.mix_placeholder"),
            )
            weight = gr.Slider(
                0, 1, value=DEFAULT_TEXT_WEIGHT, step=0.05, label=t("search.weight_label")
            )
            image_min = min_score_slider(search.possible_level("image"), "image")
            image_button = gr.Button(t("search.image_button"), elem_id="search-image-button")
            to_text_button = gr.Button(
                t("search.to_text_button"),
                elem_id="search-image-to-text-button",
            )
    k = gr.Slider(
        1,
        ctx.settings.max_k,
        value=DEFAULT_K,
        step=1,
        label=t("search.k_label"),
        elem_id="search-k",
    )
    # Image -> text results: shown once there are some (an empty table only puzzled people).
    with gr.Row(equal_height=False, visible=False, elem_id="search-captions-box") as caption_box:
        captions = gr.Dataframe(
            headers=CAPTION_HEADERS,
            label=t("search.captions_label"),
            interactive=False,
            wrap=True,
            elem_id="search-captions",
            column_widths=["58%", "14%", "10%", "18%"],
            scale=3,
        )
        caption_images = gr.Gallery(
            label=t("search.caption_images_label"),
            columns=3,
            height="auto",
            allow_preview=False,
            object_fit="cover",
            fit_columns=False,  # one or two hits stay thumbnail-sized, not stretched
            elem_id="search-caption-images",
            scale=2,
        )
    # The image a "more like this" search starts from: the original, pinned above its results
    # (what the query now is, then the picture; its full size opens with the fullscreen button).
    with gr.Group(visible=False, elem_id="search-pinned") as pinned:
        pin_title = gr.Markdown(elem_id="search-pinned-title", padding=True)
        pin_image = gr.Image(
            show_label=False,
            type="filepath",
            interactive=False,
            height=220,
            buttons=["fullscreen", "download"],
            elem_id="search-pinned-image",
        )
    back_button = gr.Button(t("search.back"), size="sm", elem_id="search-back", visible=False)
    message = gr.Markdown(elem_id="search-message")
    # allow_preview=False: a click asks for more like it at once (a large preview of the
    # clicked image over results that were about to change only disoriented people).
    results = gr.Gallery(
        label=t("search.results_label"),
        columns=6,
        height="auto",
        allow_preview=False,
        elem_id="search-results",
        object_fit="cover",
        # Gradio's default widens the columns to the number of images: a single hit became
        # one page-wide, blurry thumbnail. Results keep their grid size however few they are.
        fit_columns=False,
    )
    with gr.Accordion(t("search.raw_label"), open=False):
        raw = gr.JSON()
    # A new query starts a new trail: the history is cleared. The API returns the first
    # three (the states are the page's own).
    outputs = [results, message, raw, view, history]
    moved = [results, message, raw, view, history, query]  # more like this, back

    # Each handler names the visitor's overlay (per-visitor mode; None when shared), so a
    # search covers the base gallery and this visitor's own uploads, nobody else's.
    @friendly
    def by_text(text, k=DEFAULT_K, hybrid=False, min_score=None, request: gr.Request = None):
        mine = ctx.overlay(request)
        result = search.text(text, k, hybrid=bool(hybrid), overlay=mine, min_score=min_score)
        now = view_of(result, query=text if isinstance(text, str) else "")
        return (*view_outputs(now), now, [])

    @friendly
    def by_image(
        upload,
        text="",
        text_weight=DEFAULT_TEXT_WEIGHT,
        k=DEFAULT_K,
        min_score=None,
        request: gr.Request = None,
    ):
        picture, _ = ctx.upload_image(upload)
        mine = ctx.overlay(request)
        result = search.image(
            picture, k, text=text, text_weight=text_weight, overlay=mine, min_score=min_score
        )
        now = view_of(result)
        return (*view_outputs(now), now, [])

    @friendly
    def image_to_text(upload, k=5, request: gr.Request = None):
        picture, _ = ctx.upload_image(upload)
        hits = search.image_to_text(picture, k, overlay=ctx.overlay(request))
        rows = caption_rows(hits)
        table = {"headers": caption_headers(), "data": rows}  # English for the API
        return table, make_view(caption_items(hits), "", rows, hits)

    def more_like_this(source, current, trail, k, index, request, min_score=None):
        """Results like the clicked hit of ``source``; the current view goes on the trail."""
        hit = clicked(source, index)
        result = search.similar(hit["id"], k, overlay=ctx.overlay(request), min_score=min_score)
        pin = {
            "id": hit["id"],
            "path": hit["path"],
            "title": text("search.images_like", name=hit["name"]),
        }
        now = view_of(result, pin=pin, similar_to=Path(hit["path"]).name)
        return (*view_outputs(now), now, pushed(trail, current), "")

    @friendly
    def more_like(
        current, trail, k, min_score=None, evt: gr.SelectData = None, request: gr.Request = None
    ):
        return more_like_this(current, current, trail, k, evt.index, request, min_score)

    @friendly
    def more_like_caption(
        source,
        current,
        trail,
        k,
        min_score=None,
        evt: gr.SelectData = None,
        request: gr.Request = None,
    ):
        return more_like_this(source, current, trail, k, evt.index, request, min_score)

    def back(trail):
        """The previous view, as it was (its query text too)."""
        stack = list(trail or [])
        if not stack:
            raise gr.Error(text("search.no_back"))
        before = stack.pop()
        return (*view_outputs(before), before, stack, before.get("query", ""))

    def settle(current, trail):
        """After a request succeeded: the pinned image of the new view, if it has one."""
        return pin_outputs(current, trail)

    def failed(trail):
        """After a request failed: clear what it would have replaced (a failed "more like
        this" can still go back)."""
        return (*pin_outputs(None, trail), [], text("search.failed"), [], None)

    def settle_captions(current):
        return gr.update(value=current["items"] if current else []), gr.update(visible=True)

    def captions_failed():
        return [], [], None, gr.update(visible=False)

    @friendly
    def similar(
        item_id: int,
        k: int = DEFAULT_K,
        min_score: float | None = None,
        request: gr.Request = None,
    ) -> tuple[list, str, list]:
        """Images most like indexed image ``item_id``, itself left out: gallery, message, hits.
        ``min_score``: leave out hits scoring below it (none left out when not given)."""
        mine = ctx.overlay(request)
        return result_outputs(search.similar(item_id, k, overlay=mine, min_score=min_score))[:3]

    # Every search runs in the embedder's queue (ui/common.MODEL_QUEUE says why).
    queue = {"concurrency_id": MODEL_QUEUE["embed"]}
    pin_parts = [pinned, pin_title, pin_image, back_button]
    private = {"api_visibility": "private"}

    def settled(event) -> None:
        """Gradio 6.31 runs ``.then`` only after a success, so both outcomes are explicit."""
        event.success(settle, [view, history], pin_parts, **private)
        event.failure(failed, history, [*pin_parts, results, message, raw, view], **private)

    # One event for the button and Enter, so the API has one /search_text endpoint.
    # preprocess=False: clamp_k clamps an out-of-range k instead of the Slider refusing it.
    # hybrid and then the minimum score are the last inputs, so gradio_client callers
    # passing (text, k) or (text, k, hybrid) get their defaults.
    text_inputs = [query, k, hybrid, text_min]
    text_search = gr.on(
        [text_button.click, query.submit],
        by_text,
        text_inputs,
        outputs,
        api_name="search_text",
        preprocess=False,
        **queue,
    )
    settled(text_search)
    image_inputs = [image, mix_text, weight, k, image_min]
    image_search = image_button.click(
        by_image,
        image_inputs,
        outputs,
        api_name="search_image",
        preprocess=False,
        **queue,
    )
    settled(image_search)
    to_text = to_text_button.click(
        image_to_text,
        [image, k],
        [captions, caption_view],
        api_name="search_image_to_text",
        preprocess=False,
        **queue,
    )
    to_text.success(settle_captions, caption_view, [caption_images, caption_box], **private)
    to_text.failure(
        captions_failed, None, [caption_images, captions, caption_view, caption_box], **private
    )
    more_inputs = [view, history, k, image_min]
    more = results.select(
        more_like,
        more_inputs,
        moved,
        api_name="search_more_like_this",
        api_visibility="undocumented",
        preprocess=False,
        **queue,
    )
    settled(more)
    more_from_captions = caption_images.select(
        more_like_caption,
        [caption_view, *more_inputs],
        moved,
        api_visibility="private",
        preprocess=False,
        **queue,
    )
    settled(more_from_captions)
    settled(back_button.click(back, history, moved, **private))
    gr.api(similar, api_name="search_similar", **queue)
