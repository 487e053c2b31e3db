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

What the results area shows (hit labels, the results message, views) is composed in
``ui/panels/search_results.py`` (the Explore tab shows results the same way); query
arithmetic is its own panel (``ui/panels/query_terms.py``), whose results land in this
tab's grid, message and history.
"""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr

from mmdemo.core.errors import BadInputError
from mmdemo.services.search import DEFAULT_TEXT_WEIGHT
from mmdemo.ui.common import MODEL_QUEUE, TabContext, friendly, image_input
from mmdemo.ui.examples import search_queries
from mmdemo.ui.i18n import t, text
from mmdemo.ui.panels import query_terms, search_options
from mmdemo.ui.panels.search_results import (  # re-exported: the Explore tab and tests use them
    CAPTION_HEADERS,
    caption_headers,
    caption_items,
    caption_rows,
    hit_label,
    hit_name,
    make_view,
    result_message,
    result_outputs,
    shown_file,
    view_of,
    view_outputs,
)

log = logging.getLogger(__name__)

__all__ = [
    "CAPTION_HEADERS",
    "build",
    "caption_headers",
    "hit_label",
    "hit_name",
    "result_message",
    "result_outputs",
    "shown_file",
]
TITLE = t("tab.search")
ID = "search"
ORDER = 10

DEFAULT_K = 12
HISTORY_DEPTH = 10  # "Back" steps kept per session (each a list of a dozen paths)


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
    with gr.Row(equal_height=True):
        k = gr.Slider(
            1,
            ctx.settings.max_k,
            value=DEFAULT_K,
            step=1,
            label=t("search.k_label"),
            elem_id="search-k",
            scale=2,
            min_width=220,
        )
        with gr.Column(scale=1, min_width=240):  # wraps under the slider on a phone
            collapse, rerank = search_options.checkboxes(ctx)
    wire_terms = query_terms.build(ctx, image=image, k=k)
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
    search_options.build_explain(ctx, view)
    # A new query starts a new trail: the history is cleared. The API returns the first
    # three (the states are the page's own).
    outputs = [results, message, raw, view, history]
    moved = [results, message, raw, view, history, query]  # more like this, back

    # Each handler names the visitor's overlay (per-visitor mode; None when shared), so a
    # search covers the base gallery and this visitor's own uploads, nobody else's.
    @friendly
    def by_text(
        text,
        k=DEFAULT_K,
        hybrid=False,
        min_score=None,
        collapse=False,
        rerank=False,
        request: gr.Request = None,
    ):
        mine = ctx.overlay(request)
        result = search.text(
            text, k, hybrid=bool(hybrid), overlay=mine, min_score=min_score, collapse=collapse
        )
        notes = [search_options.fold_note(result)] if collapse else []
        if rerank and result.hits:
            result, cost = search_options.reranked(ctx, text, result)
            notes.append(cost)
        now = view_of(result, query=text if isinstance(text, str) else "", notes=notes)
        return (*view_outputs(now), now, [])

    @friendly
    def by_image(
        upload,
        text="",
        text_weight=DEFAULT_TEXT_WEIGHT,
        k=DEFAULT_K,
        min_score=None,
        collapse=False,
        request: gr.Request = None,
    ):
        picture, _ = ctx.upload_image(upload)
        mine = ctx.overlay(request)
        result = search.image(
            picture,
            k,
            text=text,
            text_weight=text_weight,
            overlay=mine,
            min_score=min_score,
            collapse=bool(collapse),
        )
        now = view_of(result, notes=[search_options.fold_note(result)] if collapse else [])
        return (*view_outputs(now), now, [])

    @friendly
    def image_to_text(upload, k=5, request: gr.Request = None):
        picture, _ = ctx.upload_image(upload)
        hits = search.image_to_text(picture, k, overlay=ctx.overlay(request))
        rows = caption_rows(hits)
        table = {"headers": caption_headers(), "data": rows}  # English for the API
        return table, make_view(caption_items(hits), "", rows, hits)

    def more_like_this(source, current, trail, k, index, request, min_score=None, fold=False):
        """Results like the clicked hit of ``source``; the current view goes on the trail."""
        hit = clicked(source, index)
        mine = ctx.overlay(request)
        result = search.similar(
            hit["id"], k, overlay=mine, min_score=min_score, collapse=bool(fold)
        )
        notes = [search_options.fold_note(result)] if fold else []
        pin = {
            "id": hit["id"],
            "path": hit["path"],
            "title": text("search.images_like", name=hit["name"]),
        }
        now = view_of(result, pin=pin, similar_to=Path(hit["path"]).name, notes=notes)
        return (*view_outputs(now), now, pushed(trail, current), "")

    @friendly
    def more_like(
        current,
        trail,
        k,
        min_score=None,
        collapse=False,
        evt: gr.SelectData = None,
        request: gr.Request = None,
    ):
        return more_like_this(current, current, trail, k, evt.index, request, min_score, collapse)

    @friendly
    def more_like_caption(
        source,
        current,
        trail,
        k,
        min_score=None,
        collapse=False,
        evt: gr.SelectData = None,
        request: gr.Request = None,
    ):
        index = evt.index
        return more_like_this(source, current, trail, k, index, request, min_score, collapse)

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
    text_inputs = [query, k, hybrid, text_min, collapse, rerank]
    text_search = gr.on(
        [text_button.click, query.submit],
        by_text,
        text_inputs,
        outputs,
        api_name="search_text",
        preprocess=False,
        scroll_to_output=True,  # on a phone the results are below the query's options
        **queue,
    )
    settled(text_search)
    image_inputs = [image, mix_text, weight, k, image_min, collapse]
    image_search = image_button.click(
        by_image,
        image_inputs,
        outputs,
        api_name="search_image",
        preprocess=False,
        scroll_to_output=True,
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
    more_inputs = [view, history, k, image_min, collapse]
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

    def show(result, fold: bool = False) -> tuple:
        """A query-arithmetic result in the grid: a new trail, like any new search."""
        now = view_of(result, notes=[search_options.fold_note(result)] if fold else [])
        return (*view_outputs(now), now, [])

    wire_terms(outputs, show, settled, collapse)
