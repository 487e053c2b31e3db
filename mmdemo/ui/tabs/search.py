"""The Search tab: text -> image, image (+ text) -> image, image -> caption, more like this.

Each handler is one ``GallerySearch`` call; the results grid is fed ``(file, caption)``
pairs and the raw hits go out as JSON for API users.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from mmdemo.core.errors import BadInputError
from mmdemo.core.results import CaptionHit, SearchResult
from mmdemo.services.search import DEFAULT_TEXT_WEIGHT
from mmdemo.ui.common import MODEL_QUEUE, TabContext, friendly, image_input

TITLE = "Search"
ID = "search"
ORDER = 10

DEFAULT_K = 12
EXAMPLE_QUERIES = ["a cup of coffee", "a cat", "a rocket launching", "old coins", "outer space"]
CAPTION_HEADERS = ["caption", "score", "id", "image"]


def result_outputs(result: SearchResult):
    """(results grid items, message markdown, JSON hits, hit ids) for a search result."""
    items = [
        (hit.path, f"{hit.score:.3f} · {hit.caption or Path(hit.path).name}") for hit in result.hits
    ]
    message = result.message if result.good_match else f"**{result.message}**"
    # "image": the stored file's name, never its server path (a public server's folders are
    # its own business). Not "path": gradio_client takes any dict with a "path" key for a
    # file to download.
    hits = [
        {"id": h.id, "score": round(h.score, 4), "image": Path(h.path).name, "caption": h.caption}
        for h in result.hits
    ]
    return items, message, hits, [h.id for h in result.hits]


def caption_rows(hits: list[CaptionHit]) -> list[list]:
    """Image -> text results as table rows (caption, score, item id, image file name)."""
    return [[h.caption, round(h.score, 4), h.id, Path(h.path).name] for h in hits]


def build(ctx: TabContext) -> None:
    search = ctx.search
    hit_ids = gr.State([])
    with gr.Row():
        with gr.Column(scale=2):
            query = gr.Textbox(
                label="Describe the image you want",
                elem_id="search-text-query",
                placeholder="e.g. a cup of coffee",
                lines=1,
            )
            hybrid = gr.Checkbox(
                value=False,
                label="Also match caption words",
                info="Adds a small bonus for query words found in an image's caption.",
                elem_id="search-hybrid",
            )
            text_button = gr.Button(
                "Search by text", variant="primary", elem_id="search-text-button"
            )
            gr.Examples(EXAMPLE_QUERIES, inputs=query, label="Try")
        with gr.Column(scale=2):
            image = image_input("…or search with an image", "search-image-query", height=220)
            mix_text = gr.Textbox(
                value="",
                label="Optional text to mix in (image + text search)",
                placeholder="e.g. at night",
            )
            weight = gr.Slider(
                0, 1, value=DEFAULT_TEXT_WEIGHT, step=0.05, label="Text weight in the mix"
            )
            image_button = gr.Button("Search by image", elem_id="search-image-button")
            to_text_button = gr.Button(
                "Image → text: which gallery captions fit it?",
                elem_id="search-image-to-text-button",
            )
    k = gr.Slider(1, ctx.settings.max_k, value=DEFAULT_K, step=1, label="Number of results")
    captions = gr.Dataframe(
        headers=CAPTION_HEADERS,
        label="Gallery captions closest to the image (image → text)",
        interactive=False,
        wrap=True,
        elem_id="search-captions",
    )
    message = gr.Markdown(elem_id="search-message")
    results = gr.Gallery(
        label="Results (click one for more like it)",
        columns=6,
        height="auto",
        elem_id="search-results",
        object_fit="cover",
    )
    with gr.Accordion("Raw results (JSON)", open=False):
        raw = gr.JSON()
    outputs = [results, message, raw, hit_ids]

    # Each handler names the visitor's overlay (per-visitor mode; None when shared), so a
    # search covers the base gallery and this visitor's own uploads, nobody else's.
    @friendly
    def by_text(text, k=DEFAULT_K, hybrid=False, request: gr.Request = None):
        mine = ctx.overlay(request)
        return result_outputs(search.text(text, k, hybrid=bool(hybrid), overlay=mine))

    @friendly
    def by_image(
        upload, text="", text_weight=DEFAULT_TEXT_WEIGHT, k=DEFAULT_K, request: gr.Request = None
    ):
        picture, _ = ctx.upload_image(upload)
        result = search.image(
            picture, k, text=text, text_weight=text_weight, overlay=ctx.overlay(request)
        )
        return result_outputs(result)

    @friendly
    def image_to_text(upload, k=5, request: gr.Request = None):
        picture, _ = ctx.upload_image(upload)
        return caption_rows(search.image_to_text(picture, k, overlay=ctx.overlay(request)))

    @friendly
    def more_like(ids, k, evt: gr.SelectData, request: gr.Request = None):
        if not ids or evt.index is None or evt.index >= len(ids):
            raise BadInputError("That result is no longer available; search again.")
        return result_outputs(search.similar(ids[evt.index], k, overlay=ctx.overlay(request)))

    @friendly
    def similar(
        item_id: int, k: int = DEFAULT_K, request: gr.Request = None
    ) -> tuple[list, str, list]:
        """Images most like indexed image ``item_id``, itself left out: gallery, message, hits."""
        return result_outputs(search.similar(item_id, k, overlay=ctx.overlay(request)))[:3]

    # Every search runs in the embedder's queue (ui/common.MODEL_QUEUE says why).
    queue = {"concurrency_id": MODEL_QUEUE["embed"]}
    # One event for the button and Enter, so the API has one /search_text endpoint.
    # preprocess=False: clamp_k clamps an out-of-range k instead of the Slider refusing it.
    # hybrid is the last input, so gradio_client callers passing (text, k) get its default.
    gr.on(
        [text_button.click, query.submit],
        by_text,
        [query, k, hybrid],
        outputs,
        api_name="search_text",
        preprocess=False,
        **queue,
    )
    image_button.click(
        by_image,
        [image, mix_text, weight, k],
        outputs,
        api_name="search_image",
        preprocess=False,
        **queue,
    )
    to_text_button.click(
        image_to_text,
        [image, k],
        captions,
        api_name="search_image_to_text",
        preprocess=False,
        **queue,
    )
    results.select(
        more_like,
        [hit_ids, k],
        outputs,
        api_name="search_more_like_this",
        api_visibility="undocumented",
        preprocess=False,
        **queue,
    )
    gr.api(similar, api_name="search_similar", **queue)
