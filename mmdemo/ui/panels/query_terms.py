"""The Search tab's "combine terms" panel: query arithmetic (``services.query_terms``).

A visitor fills a few rows (a text and its weight; the image above with its own weight) and
the panel writes them as the one-line form - the same line the API (``/search_terms``) and
the CLI (``search --terms``) take - so what is searched is always shown, and can be edited
by hand. The results go to the tab's own grid (``show``), so "more like this" and "Back"
work on them like on any search.

Why the line is written on each row edit and not on an image upload: an example sets the
line and the image together, and must not be overwritten by the (empty) rows it skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import gradio as gr

from mmdemo.services.query_terms import MAX_WEIGHT, Term, format_terms, search_terms
from mmdemo.ui import examples
from mmdemo.ui.common import (
    MODEL_QUEUE,
    TabContext,
    examples_per_language,
    friendly,
    shown_examples,
)
from mmdemo.ui.i18n import register, t, text
from mmdemo.ui.strings.search import STRINGS

register(STRINGS)  # this panel is imported on its own too (tests)

ROWS = 4  # text rows shown; the line takes up to services.query_terms.MAX_TERMS terms
ROW_WEIGHTS = (1.0, 1.0, -1.0, -1.0)  # two to add, two to take away: the form explains itself


def compose(has_image: bool, image_weight: object, *rows: object) -> str:
    """The one-line form of the rows (``text, weight, text, weight, ...``) and the image:
    empty rows and zero weights are left out; a weight the line cannot take is written as
    given, so the search's own message names it."""
    terms = []
    if has_image and _number(image_weight) != 0:
        terms.append(Term("image", _number(image_weight)))
    for words, weight in zip(rows[::2], rows[1::2], strict=True):
        words = " ".join(str(words or "").split())
        if words and _number(weight) != 0:
            terms.append(Term("text", _number(weight), text=words))
    return format_terms(terms)


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 1.0


def read_as(terms: list[Term], image_given: bool, language: str | None = None) -> str:
    """What was searched, in the visitor's language (the terms themselves as typed)."""
    said = text("search.terms_read", language, line=f"`{format_terms(terms)}`")
    if image_given and not any(term.kind == "image" for term in terms):
        said += "\n\n" + text("search.terms_image_unused", language)
    return said


def example_rows(assets: Path, preset: str, language: str) -> list[list]:
    """The examples table of ``language``: (line, image file) rows whose image is shipped."""
    rows = []
    for example in examples.terms_examples(preset, language):
        path = examples.existing(assets, example.image)
        if path or example.image is None:
            rows.append([example.line, path])
    return rows


def build(ctx: TabContext, *, image: gr.Image, k: gr.Slider) -> Callable[..., None]:
    """Lay the panel out where the tab calls it (``image`` is the tab's upload box); returns
    ``wire(outputs, show, settled, collapse)`` for the tab to call once its results exist:
    ``outputs`` the grid, message, JSON, view and history, ``show(result, folded)`` their
    values for a result, ``settled(event)`` its success / failure steps, ``collapse`` the
    tab's near-duplicates checkbox."""
    with gr.Accordion(t("search.terms_title"), open=False, elem_id="search-terms"):
        gr.Markdown(t("search.terms_intro"))
        image_weight = gr.Slider(
            -MAX_WEIGHT,
            MAX_WEIGHT,
            value=1.0,
            step=0.1,
            label=t("search.terms_image_weight"),
            elem_id="search-terms-image-weight",
        )
        rows: list = []
        for n, weight in enumerate(ROW_WEIGHTS[:ROWS], start=1):
            with gr.Row(equal_height=True):
                words = gr.Textbox(
                    label=t("search.terms_text"),
                    placeholder=t("search.terms_want" if weight > 0 else "search.terms_avoid"),
                    elem_id=f"search-terms-text-{n}",
                    scale=3,
                    min_width=160,
                )
                number = gr.Number(
                    value=weight,
                    minimum=-MAX_WEIGHT,
                    maximum=MAX_WEIGHT,
                    step=0.5,
                    label=t("search.terms_weight"),
                    elem_id=f"search-terms-weight-{n}",
                    scale=1,
                    min_width=110,
                )
            rows += [words, number]
        line = gr.Textbox(
            label=t("search.terms_line"),
            placeholder='image - "a cat" + "a cup of coffee"',
            elem_id="search-terms-line",
        )
        button = gr.Button(t("search.terms_button"), elem_id="search-terms-button")
        assets = Path(ctx.settings.assets_dir)
        preset = ctx.server.preset
        chinese = ctx.server.spec_for("embed").capabilities.reads("一只猫")
        sets = examples_per_language(
            lambda language: example_rows(assets, preset, language),
            [line, image],
            t("search.terms_examples"),
            "search-terms-examples",
            ("en", "zh") if chinese else ("en",),
        )
        said = gr.Markdown(elem_id="search-terms-read")
    ctx.in_language(
        list(sets.values()), lambda lang: shown_examples(sets, lang if chinese else "en")
    )

    def write_line(upload, weight, *values):
        return compose(upload is not None, weight, *values)

    private = {"api_visibility": "private", "queue": False}
    for source in [image_weight, *rows]:
        source.change(write_line, [image, image_weight, *rows], line, **private)
    image.upload(write_line, [image, image_weight, *rows], line, **private)
    image.clear(write_line, [image, image_weight, *rows], line, **private)

    @friendly
    def by_terms(terms, upload=None, k=12, collapse=False, request: gr.Request = None):
        """Images near the sum of the terms: gallery, message, hits, what was searched."""
        picture = ctx.upload_image(upload)[0] if upload is not None else None
        mine = ctx.overlay(request)
        read, result = search_terms(
            ctx.search, terms, k, image=picture, overlay=mine, collapse=bool(collapse)
        )
        grid, message, raw, now, trail = tab["show"](result, bool(collapse))
        return grid, message, raw, read_as(read, picture is not None), now, trail

    tab: dict[str, Callable] = {}  # the tab's show(result), given by wire

    def wire(outputs: list, show: Callable[..., tuple], settled: Callable, collapse) -> None:
        tab["show"] = show
        results, message, raw, view, history = outputs
        event = gr.on(
            [button.click, line.submit],
            by_terms,
            [line, image, k, collapse],
            [results, message, raw, said, view, history],
            api_name="search_terms",
            preprocess=False,
            scroll_to_output=True,  # the results are above this panel
            concurrency_id=MODEL_QUEUE["embed"],
        )
        settled(event)
        event.failure(lambda: "", None, said, api_visibility="private")

    return wire
