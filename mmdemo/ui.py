"""The Gradio Blocks UI: one small function per tab, handlers a few lines each.

Rules kept here: every event has an ``api_name``; user mistakes become ``gr.Error`` with
the message from ``mmdemo.errors``; uploads are decoded by our own safe loader (events
with image inputs use ``preprocess=False`` so Gradio never decodes a corrupt file
itself). This module never imports torch or faiss: it talks to the gallery and the
model server only.
"""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr

from mmdemo.caption_gallery import caption_gallery
from mmdemo.errors import BadInputError, MMDemoError
from mmdemo.gallery import DEFAULT_TEXT_WEIGHT, CaptionHit, Gallery
from mmdemo.serving import ModelServer
from mmdemo.types import SearchResult
from mmdemo.ui_parts import friendly, image_input, upload_image, upload_paths
from mmdemo.ui_sentiment import sentiment_tab
from mmdemo.ui_tasks import caption_tab, vqa_tab

log = logging.getLogger(__name__)

DEFAULT_K = 12
DEFAULT_LABELS = "a cat, a dog, a cup of coffee, a rocket launch, an astronaut, a flower"
EXAMPLE_QUERIES = ["a cup of coffee", "a cat", "a rocket launching", "old coins", "outer space"]
CSS = """
#mmdemo-banner {border-left: 4px solid #f59e0b; padding: 0.5rem 1rem;}
#search-message p {margin: 0.25rem 0;}
"""


def result_outputs(result: SearchResult):
    """(gallery items, message markdown, JSON hits, hit ids) for a search result."""
    items = [
        (hit.path, f"{hit.score:.3f} · {hit.caption or Path(hit.path).name}") for hit in result.hits
    ]
    message = result.message if result.good_match else f"**{result.message}**"
    # Not "path": gradio_client takes any dict with a "path" key for a file to download.
    hits = [
        {"id": h.id, "score": round(h.score, 4), "image_path": h.path, "caption": h.caption}
        for h in result.hits
    ]
    return items, message, hits, [h.id for h in result.hits]


CAPTION_HEADERS = ["caption", "score", "id", "image"]


def caption_rows(hits: list[CaptionHit]) -> list[list]:
    """Image -> text results as table rows (caption, score, item id, image file name)."""
    return [[h.caption, round(h.score, 4), h.id, Path(h.path).name] for h in hits]


def status_markdown(server: ModelServer, gallery: Gallery) -> str:
    lines = [
        f"**Preset:** `{server.preset}` ({server.choice.reason}) · **device:** `{server.device}`"
    ]
    for info in server.loaded():
        random_note = " — *random weights*" if info.is_random else ""
        lines.append(
            f"- **{info.task}**: `{info.model}` on {info.device} ({info.dtype}), "
            f"{info.parameters / 1e6:.1f} M parameters, {info.memory_bytes / 2**20:.0f} MiB"
            f"{random_note}"
        )
    try:
        stats = gallery.stats()
        where = "GPU" if stats.on_gpu else "CPU"
        lines.append(
            f"- **index**: {stats.count} images, {stats.kind} search on {where}, "
            f"{stats.dim}-d, `{stats.directory}`"
        )
    except MMDemoError as err:
        lines.append(f"- **index**: not available — {err}")
    memory = server.memory_report()
    lines.append(f"- **memory**: {memory['rss_mib']:.0f} MiB resident")
    return "\n".join(lines)


LITE_BANNER = (
    "ℹ️ **Preset `lite`** ({why}): real pretrained models that install from PyPI and need no "
    "network. Search and classification use EfficientNet-Lite0 (ImageNet) and the "
    "all-MiniLM-L6-v2 sentence encoder joined through the 1000 ImageNet class names; "
    "captions are built from the classifier's labels; sentiment is VADER's lexicon; VQA is "
    "our own easy-VQA shapes model plus similarity answers for photos. Results are real but "
    "coarser than `full` (open_clip ViT-B-32) and blind to what ImageNet has no class for. "
    "**To get `full`:** on a machine with internet run `python -m mmdemo download --preset "
    "full --dir PATH`, copy PATH here, and start with `MMDEMO_CACHE_DIR=PATH MMDEMO_PRESET=full "
    "python app.py`."
)


def banner_text(server: ModelServer, gallery: Gallery) -> str:
    notes = []
    if server.preset == "lite":
        why = (
            f"chosen automatically: {server.choice.reason}"
            if server.choice.requested == "auto"
            else "chosen with MMDEMO_PRESET"
        )
        notes.append(LITE_BANNER.format(why=why))
    if server.is_random():
        notes.append(
            "⚠️ **Test preset `tiny`:** these models have random weights, so every result "
            "below is meaningless. Start with `MMDEMO_PRESET=lite` (works offline) or `full` "
            "for real models."
        )
    try:
        mismatch = gallery.mismatch()
    except MMDemoError as err:  # e.g. the model's weights cannot be obtained
        notes.append(f"⚠️ {err}")
    else:
        if mismatch is not None:
            notes.append(f"⚠️ {mismatch} Use **Re-embed the index** under *Gallery & status*.")
    return "\n\n".join(notes)


def search_tab(server: ModelServer, gallery: Gallery) -> None:
    max_k = server.settings.max_k
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
                label="Optional text to mix in (image + text search)", placeholder="e.g. at night"
            )
            weight = gr.Slider(
                0, 1, value=DEFAULT_TEXT_WEIGHT, step=0.05, label="Text weight in the mix"
            )
            image_button = gr.Button("Search by image", elem_id="search-image-button")
            to_text_button = gr.Button(
                "Image → text: which gallery captions fit it?",
                elem_id="search-image-to-text-button",
            )
    k = gr.Slider(1, max_k, value=DEFAULT_K, step=1, label="Number of results")
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

    @friendly
    def by_text(text, k, hybrid=False):
        return result_outputs(gallery.search_text(text, k, hybrid=bool(hybrid)))

    @friendly
    def by_image(upload, text, text_weight, k):
        picture, _ = upload_image(upload, server.settings.max_image_pixels)
        return result_outputs(gallery.search_image(picture, k, text=text, text_weight=text_weight))

    @friendly
    def image_to_text(upload, k):
        picture, _ = upload_image(upload, server.settings.max_image_pixels)
        return caption_rows(gallery.search_image_to_text(picture, k))

    @friendly
    def more_like(ids, k, evt: gr.SelectData):
        if not ids or evt.index is None or evt.index >= len(ids):
            raise BadInputError("That result is no longer available; search again.")
        return result_outputs(gallery.search_similar(ids[evt.index], k))

    @friendly
    def similar(item_id: int, k: int) -> tuple[list, str, list]:
        """Images most like indexed image ``item_id``, itself left out: gallery, message, hits."""
        return result_outputs(gallery.search_similar(item_id, k))[:3]

    for trigger in (text_button.click, query.submit):
        # preprocess=False: our clamp_k clamps an out-of-range k instead of the Slider refusing it.
        # hybrid is the last input, so gradio_client callers passing (text, k) get its default.
        trigger(by_text, [query, k, hybrid], outputs, api_name="search_text", preprocess=False)
    image_button.click(
        by_image, [image, mix_text, weight, k], outputs, api_name="search_image", preprocess=False
    )
    to_text_button.click(
        image_to_text, [image, k], captions, api_name="search_image_to_text", preprocess=False
    )
    results.select(
        more_like,
        [hit_ids, k],
        outputs,
        api_name="search_more_like_this",
        api_visibility="undocumented",
        preprocess=False,
    )
    gr.api(similar, api_name="search_similar")


def classify_tab(server: ModelServer) -> None:
    gr.Markdown(
        "Zero-shot classification: each label becomes a sentence (*a photo of a …*), both are "
        "embedded in the same space, and the softmax of their similarities (scaled by the "
        "model's learned temperature) gives the probabilities."
    )
    with gr.Row():
        with gr.Column():
            image = image_input("Image", "classify-image")
            labels = gr.Textbox(
                label="Labels, comma-separated", value=DEFAULT_LABELS, elem_id="classify-labels"
            )
            template = gr.Textbox(label="Prompt template ({} is the label)", value="a photo of {}.")
            button = gr.Button("Classify", variant="primary", elem_id="classify-button")
        probabilities = gr.Label(label="Probabilities", elem_id="classify-output")

    @friendly
    def classify(upload, labels, template):
        picture, _ = upload_image(upload, server.settings.max_image_pixels)
        scores = server.get("classify").classify(picture, labels, template or "{}")
        return {s.label: s.probability for s in scores}

    button.click(
        classify, [image, labels, template], probabilities, api_name="classify", preprocess=False
    )


def gallery_tab(server: ModelServer, gallery: Gallery) -> gr.Markdown:
    with gr.Accordion("Add images to the gallery", open=False):
        files = gr.File(
            label="Images", file_count="multiple", elem_id="index-add-files", file_types=["image"]
        )
        add_button = gr.Button("Add to the index", elem_id="index-add-button")
        report = gr.Markdown(elem_id="index-add-report")
    with gr.Accordion("Gallery & status", open=False):
        status = gr.Markdown(elem_id="status")
        refresh = gr.Button("Refresh", size="sm")
        reembed = gr.Button("Re-embed the index with the active model", size="sm")
        with gr.Row():
            caption_button = gr.Button(
                "Caption the gallery", size="sm", elem_id="caption-gallery-button"
            )
            overwrite = gr.Checkbox(
                value=False,
                label="Caption again images that already have a caption",
                elem_id="caption-gallery-overwrite",
            )
        caption_report = gr.Markdown(elem_id="caption-gallery-report")

    @friendly
    def add(upload, progress=gr.Progress()):
        paths, names = upload_paths(upload)
        if not paths:
            raise BadInputError("No files given: choose one or more images to add.")
        result = gallery.add_files(
            paths,
            names=names,
            copy=True,
            progress=lambda done, total: progress((done, total), desc="Embedding images"),
        )
        return result.summary().replace("\n", "\n\n"), status_markdown(server, gallery)

    @friendly
    def rebuild(progress=gr.Progress()):
        result = gallery.reembed(
            progress=lambda done, total: progress((done, total), desc="Re-embedding")
        )
        return result.summary().replace("\n", "\n\n"), status_markdown(server, gallery)

    @friendly
    def caption_all(overwrite=False, progress=gr.Progress()):
        """Caption the images without one; saved per batch, so a stopped run resumes."""

        def report(done: int, total: int) -> None:
            if total:
                progress((done, total), desc="Captioning the gallery")

        result = caption_gallery(gallery, server, overwrite=bool(overwrite), progress=report)
        return result.summary().replace("\n", "\n\n"), status_markdown(server, gallery)

    add_button.click(add, files, [report, status], api_name="index_add", preprocess=False)
    caption_button.click(
        caption_all,
        overwrite,
        [caption_report, status],
        api_name="caption_gallery",
        concurrency_limit=1,
    )
    reembed.click(rebuild, None, [report, status], api_name="index_reembed")
    refresh.click(friendly(lambda: status_markdown(server, gallery)), None, status, api_name="info")
    return status


def build_ui(server: ModelServer, gallery: Gallery) -> gr.Blocks:
    """The whole app: header, banner, tabs. Nothing here loads a model until it is used."""
    with gr.Blocks(title="mmdemo — multimodal playground") as demo:
        gr.Markdown(
            "# mmdemo — a multimodal model playground\n"
            "Images and text mapped into **one shared embedding space**: search photos by "
            "words, by another photo, or both; classify images with labels you type; caption "
            "them, ask questions about them, and read the sentiment of a text, a photo or both "
            "together, with the fusion of the two made visible."
        )
        banner = gr.Markdown(elem_id="mmdemo-banner")
        with gr.Tabs():
            with gr.Tab("Search", id="search"):
                search_tab(server, gallery)
            with gr.Tab("Classify", id="classify"):
                classify_tab(server)
            with gr.Tab("Caption", id="caption"):
                caption_tab(server)
            with gr.Tab("Ask (VQA)", id="vqa"):
                vqa_tab(server)
            with gr.Tab("Sentiment", id="sentiment"):
                sentiment_tab(server)
        status = gallery_tab(server, gallery)
        demo.load(
            friendly(lambda: (banner_text(server, gallery), status_markdown(server, gallery))),
            None,
            [banner, status],
            api_name="page_load",
            api_visibility="undocumented",
        )
    return demo
