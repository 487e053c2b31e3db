"""The manage panel under the tabs: add images to the gallery, see the status, re-embed the
index, caption every image. Each button is one ``services`` call."""

from __future__ import annotations

import gradio as gr

from mmdemo.core.errors import BadInputError
from mmdemo.services.captioning import caption_gallery
from mmdemo.ui.common import TabContext, friendly, upload_paths
from mmdemo.ui.status import status_markdown


def _report(summary: str) -> str:
    return summary.replace("\n", "\n\n")  # one markdown paragraph per line of the summary


def build(ctx: TabContext) -> gr.Markdown:
    """Lay the panel out; returns the status markdown (the page refreshes it on load)."""
    server, gallery = ctx.server, ctx.gallery
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
        return _report(result.summary()), status_markdown(server, gallery)

    @friendly
    def rebuild(progress=gr.Progress()):
        result = gallery.reembed(
            progress=lambda done, total: progress((done, total), desc="Re-embedding")
        )
        return _report(result.summary()), status_markdown(server, gallery)

    @friendly
    def caption_all(overwrite=False, progress=gr.Progress()):
        """Caption the images without one; saved per batch, so a stopped run resumes."""

        def step(done: int, total: int) -> None:
            if total:
                progress((done, total), desc="Captioning the gallery")

        result = caption_gallery(gallery, server, overwrite=bool(overwrite), progress=step)
        return _report(result.summary()), status_markdown(server, gallery)

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
