"""The Search tab's options and "why this match": collapse near-duplicates, re-rank the top hits
with BLIP's image-text matching head, and a heatmap of where a result matched the text.

Why here and not in the tab: each is a service of its own (``services.duplicates``,
``services.rerank``, ``services.explain``) that the tab's searches only pass through; what
each adds to the results message (how many copies were folded, what the re-rank cost) is
composed here in the visitor's language.

The re-rank checkbox is shown only when the preset has a "match" backend (full and tiny);
the collapse checkbox and "why this match" work in every preset.
"""

from __future__ import annotations

import dataclasses

import gradio as gr

from mmdemo.core.errors import BadInputError
from mmdemo.core.imaging import load_image
from mmdemo.core.results import SearchResult
from mmdemo.services import explain as explaining
from mmdemo.services import rerank as reranking
from mmdemo.ui.common import MODEL_QUEUE, TabContext, friendly
from mmdemo.ui.i18n import register, t, text
from mmdemo.ui.panels import why_match
from mmdemo.ui.strings.search import STRINGS

register(STRINGS)  # this panel is imported on its own too (tests)

NO_HIT = "Search first, then choose the result to explain."


def checkboxes(ctx: TabContext) -> tuple[gr.Checkbox, gr.Checkbox]:
    """(collapse, re-rank) where the tab calls it; re-rank hidden without a "match" model."""
    collapse = gr.Checkbox(
        value=False,
        label=t("search.collapse_label"),
        info=t("search.collapse_info"),
        elem_id="search-collapse",
    )
    rerank = gr.Checkbox(
        value=False,
        label=t("search.rerank_label"),
        info=t("search.rerank_info"),
        elem_id="search-rerank",
        visible=reranking.can_rerank(ctx.server),
    )
    return collapse, rerank


def fold_note(result: SearchResult, language: str | None = None) -> str:
    """How many near-duplicate copies the result folds, in ``language``."""
    folded = int(getattr(result.hits, "folded", 0))
    if folded == 0:
        return text("search.folded_none", language)
    if folded == 1:
        return text("search.folded_one", language)
    return text("search.folded", language, n=folded)


def reranked(
    ctx: TabContext, query: str, result: SearchResult, language: str | None = None
) -> tuple[SearchResult, str]:
    """``result`` with its top hits in BLIP ITM's order (the rest after), and what it cost."""
    done = reranking.rerank(ctx.server, query, result.hits)
    order = tuple(r.hit for r in done.hits) + tuple(done.rest)
    note = text(
        "search.reranked",
        language,
        n=len(done.hits),
        model=done.model,
        seconds=f"{done.seconds:.2f}",
        moved=done.moved,
    )
    if done.load_seconds >= 0.05:
        note += " " + text("search.reranked_load", language, seconds=f"{done.load_seconds:.1f}")
    return dataclasses.replace(result, hits=order), note


def hit_choices(view: dict | None) -> list[tuple[str, int]]:
    """The results of ``view`` as (label, item id) choices, best first."""
    hits = (view or {}).get("hits") or []
    return [(f"{n}. {hit['name']}", hit["id"]) for n, hit in enumerate(hits, 1)]


def build_explain(ctx: TabContext, view: gr.State) -> None:
    """ "Why this match?" under the results: a result of the current view, the text, the
    heatmap (``services.explain``) drawn over the image, its method and score (worded as
    ``ui/panels/why_match.py`` words them, whose image-upload panel is /explain; this one
    names a gallery image by id: /explain_hit)."""
    with gr.Accordion(t("search.explain_title"), open=False, elem_id="search-explain"):
        with gr.Row(equal_height=True):
            which = gr.Dropdown(
                choices=[],
                value=None,
                label=t("search.explain_which"),
                elem_id="search-explain-which",
                allow_custom_value=True,
                scale=2,
                min_width=180,
            )
            words = gr.Textbox(
                label=t("search.explain_text"), elem_id="search-explain-text", scale=2
            )
            button = gr.Button(t("search.explain_button"), elem_id="search-explain-button", scale=1)
        picture = gr.Image(
            label=t("search.explain_image"),
            type="pil",
            interactive=False,
            height=320,
            elem_id="search-explain-image",
        )
        said = gr.Markdown(elem_id="search-explain-said")

    def follow(current, typed):
        """A new view: its results to choose from, and its query as the text (if it had one)."""
        choices = hit_choices(current)
        first = choices[0][1] if choices else None
        text_now = (current or {}).get("query") or typed or ""
        return gr.Dropdown(choices=choices, value=first), text_now

    view.change(follow, [view, words], [which, words], api_visibility="private", queue=False)

    @friendly
    def explain_hit(query_text, item_id, request: gr.Request = None):
        """Where ``query_text`` matched in gallery image ``item_id``: overlay, method, score."""
        if item_id is None or item_id == "":
            raise BadInputError(NO_HIT)
        path = ctx.search.item_path(item_id, ctx.overlay(request))
        image = load_image(path, max_pixels=ctx.settings.max_image_pixels)
        result = explaining.explain(ctx.server, image, query_text)
        legend = (text("why.legend_low"), text("why.legend_high"))  # the shared panel's words
        drawn = explaining.overlay(image, result, legend=legend)
        return drawn, why_match.note_for(result.to_json())

    event = button.click(
        explain_hit,
        [words, which],
        [picture, said],
        api_name="explain_hit",
        preprocess=False,
        concurrency_id=MODEL_QUEUE["embed"],
    )
    event.failure(lambda: (None, ""), None, [picture, said], api_visibility="private")
