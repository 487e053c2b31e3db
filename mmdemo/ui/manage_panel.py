"""The manage panel under the tabs: add images, remove them, reset, see the status, re-embed
the index, caption every image. Each button is one ``services`` call.

Who may do what follows ``services.access``: in per-visitor mode a visitor's uploads,
removals and resets touch only their own overlay; changing the shared gallery (re-embed,
caption all, remove or reset it) asks for the admin password when the server is public.
New inputs (the ids to remove, the password) come last, so older API calls keep working.
"""

from __future__ import annotations

import gradio as gr

from mmdemo.core.errors import BadInputError
from mmdemo.services.captioning import caption_gallery
from mmdemo.services.gallery import parse_ids
from mmdemo.services.visitors import OVERLAY_FIRST_ID
from mmdemo.ui.common import TabContext, friendly, session_of, upload_paths
from mmdemo.ui.status import status_markdown


def _report(summary: str) -> str:
    return summary.replace("\n", "\n\n")  # one markdown paragraph per line of the summary


def build(ctx: TabContext) -> gr.Markdown:
    """Lay the panel out; returns the status markdown (the page refreshes it on load)."""
    server, gallery, access, visitors = ctx.server, ctx.gallery, ctx.access, ctx.visitors
    with gr.Accordion("Add images to the gallery", open=False):
        if access.per_visitor:
            gr.Markdown(
                "Your uploads are yours: they are searched with the shared photos, nobody "
                f"else sees them, and they are deleted after "
                f"{ctx.settings.session_ttl_s / 3600:g} h without a visit."
            )
        files = gr.File(
            label="Images", file_count="multiple", elem_id="index-add-files", file_types=["image"]
        )
        add_button = gr.Button("Add to the index", elem_id="index-add-button")
        report = gr.Markdown(elem_id="index-add-report")
    with gr.Accordion("Gallery & status", open=False):
        status = gr.Markdown(elem_id="status")
        refresh = gr.Button("Refresh", size="sm")
        with gr.Row():
            remove_ids = gr.Textbox(
                value="",
                label="Image ids to remove (as shown in the raw results)",
                elem_id="index-remove-ids",
            )
            remove_button = gr.Button("Remove", size="sm", elem_id="index-remove-button")
        reset_button = gr.Button(
            "Reset: back to the default gallery (uploads are dropped)",
            size="sm",
            elem_id="index-reset-button",
        )
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
        password = gr.Textbox(
            value="",
            type="password",
            label="Admin password (to change the shared gallery on a public server)",
            elem_id="admin-password",
            visible=access.public or access.per_visitor,
        )
        caption_report = gr.Markdown(elem_id="caption-gallery-report")

    def status_text(request: gr.Request = None):
        return status_markdown(server, gallery, visitors, session_of(request))

    @friendly
    def add(upload, progress=gr.Progress(), request: gr.Request = None):
        paths, names = upload_paths(upload)
        if not paths:
            raise BadInputError("No files given: choose one or more images to add.")

        def step(done: int, total: int) -> None:
            progress((done, total), desc="Embedding images")

        if visitors is not None:
            result = visitors.add(session_of(request), paths, names=names, progress=step)
        else:
            result = gallery.add_files(paths, names=names, copy=True, progress=step)
        return _report(result.summary()), status_text(request)

    @friendly
    def remove(ids, admin_password="", request: gr.Request = None):
        wanted, removed, shared = parse_ids(ids), 0, []
        if visitors is not None:  # a visitor's own uploads have overlay ids
            mine = [i for i in wanted if i >= OVERLAY_FIRST_ID]
            removed += visitors.remove(session_of(request), mine)
            shared = [i for i in wanted if i < OVERLAY_FIRST_ID]
        else:
            shared = wanted
        if shared:
            access.check_shared_change("Removing images from the shared gallery", admin_password)
            removed += gallery.remove(shared)
        return f"Removed {removed} of {len(wanted)} image(s).", status_text(request)

    @friendly
    def reset(admin_password="", request: gr.Request = None):
        if visitors is not None:
            visitors.reset(session_of(request))
            if not access.is_admin(admin_password):
                note = "Your uploads are gone; the shared gallery is as it was."
                return note, status_text(request)
        access.check_shared_change("Resetting the shared gallery", admin_password)
        result = gallery.reset()
        return f"Back to the default gallery: {result.total} image(s).", status_text(request)

    @friendly
    def rebuild(admin_password="", progress=gr.Progress(), request: gr.Request = None):
        access.check_shared_change("Re-embedding the index", admin_password)
        result = gallery.reembed(
            progress=lambda done, total: progress((done, total), desc="Re-embedding")
        )
        return _report(result.summary()), status_text(request)

    @friendly
    def caption_all(
        overwrite=False, admin_password="", progress=gr.Progress(), request: gr.Request = None
    ):
        """Caption the images without one; saved per batch, so a stopped run resumes."""
        target = gallery
        mine = ctx.overlay(request)
        if visitors is not None and not access.is_admin(admin_password):
            if admin_password:  # meant for the shared gallery, but not the right password
                access.check_shared_change("Captioning the whole gallery", admin_password)
            if mine is None:
                raise BadInputError("You have no uploads to caption yet.")
            target = mine  # a visitor captions their own uploads
        else:
            access.check_shared_change("Captioning the whole gallery", admin_password)

        def step(done: int, total: int) -> None:
            if total:
                progress((done, total), desc="Captioning the gallery")

        result = caption_gallery(target, server, overwrite=bool(overwrite), progress=step)
        return _report(result.summary()), status_text(request)

    add_button.click(add, files, [report, status], api_name="index_add", preprocess=False)
    remove_button.click(remove, [remove_ids, password], [report, status], api_name="index_remove")
    reset_button.click(reset, password, [report, status], api_name="index_reset")
    caption_button.click(
        caption_all,
        [overwrite, password],
        [caption_report, status],
        api_name="caption_gallery",
        concurrency_limit=1,
    )
    reembed.click(rebuild, password, [report, status], api_name="index_reembed")
    refresh.click(friendly(status_text), None, status, api_name="info")
    return status
