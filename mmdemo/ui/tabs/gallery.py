"""The Gallery tab: every image the search looks through, a page of thumbnails at a time,
and what can be done to it - add images (their own names kept), remove the ones selected
in the grid, reset to the default gallery, caption all, re-embed, status.

Who may do what follows ``services.access``: in per-visitor mode a visitor sees the shared
photos plus their own uploads, and removes or resets only their own; changing the shared
gallery (re-embed, caption all, remove or reset it) asks for the admin password when the
server is public. The API keeps its endpoints and input orders (``index_add``,
``index_remove`` by typed ids, ``index_reset``, ``index_reembed``, ``caption_gallery``,
``info``); the selection in the grid travels in ``index_remove``'s ids input.
"""

from __future__ import annotations

import re

import gradio as gr

from mmdemo.core.errors import BadInputError
from mmdemo.core.results import AddReport
from mmdemo.services.browse import PAGE_SIZE, GalleryPage, browse, names_of
from mmdemo.services.captioning import caption_gallery
from mmdemo.services.gallery import parse_ids
from mmdemo.services.visitors import OVERLAY_FIRST_ID
from mmdemo.ui.common import TabContext, friendly, session_of, upload_paths
from mmdemo.ui.i18n import register, t
from mmdemo.ui.status import status_markdown

register({"tab.gallery": ("Gallery", "图库")})
TITLE = t("tab.gallery")
ID = "gallery"
ORDER = 60

SELECTED = "✓ "  # marks a selected image's caption in the grid
# gr.Gallery's columns are a fixed number (6 x >= 100 px), which on a 390 px phone hides
# half of each row off to the side: narrow screens get 3 columns. Injected into the page's
# <head> by this tab's own (empty) HTML block, so the tab stays one file.
GRID_CSS = (
    "<style>@media (max-width: 640px) {#gallery-grid .grid-container "
    "{grid-template-columns: repeat(3, minmax(0, 1fr)) !important;}}</style>"
)
NOTHING_SELECTED = "Click images in the grid to select them for removal."


def md_escape(text: str) -> str:
    """A user's file name or caption as literal markdown text (no markup, no HTML)."""
    return re.sub(r"([\\`*_\[\]#|<>~])", r"\\\1", str(text))


def report_markdown(report: AddReport) -> str:
    """The add report for the page: the counts, then one line per skipped file."""
    lines = [f"{report.headline()}."]
    lines += [f"- {md_escape(line)}" for line in report.details()]
    return "\n".join(lines)


def item_label(meta, own: bool, per_visitor: bool) -> str:
    """A thumbnail's caption: its name, what it shows, and (per-visitor) whose it is."""
    label = meta.display_name
    if meta.caption:
        label += f" — {meta.caption}"
    if per_visitor:
        label += " · yours" if own else " · shared"
    return label


def page_note(view: GalleryPage) -> str:
    if not view.total:
        return "The gallery is empty: add images below."
    missing = sum(item.thumbnail is None for item in view.items)
    note = f"**Page {view.page} of {view.pages}** · {view.total} images"
    if missing:
        note += f" · {missing} could not be shown (file missing or unreadable)"
    return note


def grid_pairs(items: list, chosen: set[int]) -> list[tuple[str, str]]:
    """The grid's (thumbnail, caption) pairs, selected ones marked with a tick."""
    return [(thumb, (SELECTED if i in chosen else "") + label) for i, thumb, label in items]


def grid_value(items: list, chosen: set[int]) -> gr.Gallery:
    """``grid_pairs`` for the page, with Gradio's own highlight (the last image clicked)
    switched off: it would also mark an image just unselected, so the tick is the one sign
    of a selection. (The API's ``gallery_page`` returns the plain pairs.)"""
    return gr.Gallery(value=grid_pairs(items, chosen), selected_index=None)


def build(ctx: TabContext) -> gr.Markdown:
    """Lay the tab out; returns the status markdown."""
    server, gallery, access, visitors = ctx.server, ctx.gallery, ctx.access, ctx.visitors
    if access.per_visitor:
        who = (
            "You see the shared photos and your own uploads. Your uploads are yours: nobody "
            "else sees them, and they are deleted after "
            f"{ctx.settings.session_ttl_s / 3600:g} h without a visit. You may remove your "
            "own; the shared photos need the admin password."
        )
    else:
        who = "Everyone using this server sees the same gallery."
    gr.Markdown(
        "Every image the search looks through, newest first. Click images to select "
        f"them, then remove them. {who}",
        elem_id="gallery-intro",
    )
    note = gr.Markdown(elem_id="gallery-page-note")
    with gr.Row():
        previous = gr.Button("◀ Previous", size="sm", min_width=110, elem_id="gallery-previous")
        following = gr.Button("Next ▶", size="sm", min_width=110, elem_id="gallery-next")
    page = gr.Number(value=1, precision=0, visible=False, elem_id="gallery-page")
    page_size = gr.Number(value=PAGE_SIZE, precision=0, visible=False)
    grid = gr.Gallery(
        show_label=False,
        columns=6,
        height=560,
        allow_preview=False,
        object_fit="cover",
        fit_columns=False,  # a page of one or two photos keeps thumbnail-sized tiles
        buttons=[],
        interactive=False,
        elem_id="gallery-grid",
    )
    page_items = gr.State([])  # [(id, thumbnail, label)] in grid order, for the clicks
    page_json = gr.JSON(visible=False)  # the page for API callers: ids, names, captions
    # The selection is kept on the server (a State, read when the event runs, so quick
    # clicks queue up and none is lost) and mirrored into the ids /index_remove reads.
    selection = gr.State([])
    remove_ids = gr.Textbox(value="", visible=False, elem_id="index-remove-ids")
    with gr.Row(equal_height=True):
        chosen_note = gr.Markdown(NOTHING_SELECTED, elem_id="gallery-selected")
        remove_button = gr.Button(
            "Remove selected", variant="stop", size="sm", scale=0, elem_id="index-remove-button"
        )
        clear_button = gr.Button("Clear selection", size="sm", scale=0, elem_id="gallery-clear")
    report = gr.Markdown(elem_id="index-add-report")
    with gr.Accordion("Add images", open=True):
        files = gr.File(
            label="Images", file_count="multiple", elem_id="index-add-files", file_types=["image"]
        )
        add_button = gr.Button("Add to the gallery", variant="primary", elem_id="index-add-button")
    with gr.Accordion("Manage the gallery", open=False):
        password = gr.Textbox(
            value="",
            type="password",
            label="Admin password (to change the shared gallery on a public server)",
            elem_id="admin-password",
            visible=access.public or access.per_visitor,
        )
        with gr.Row():
            reset_button = gr.Button(
                "Reset to the default gallery (uploads are dropped)",
                size="sm",
                elem_id="index-reset-button",
            )
            reembed = gr.Button(
                "Re-embed with the active model", size="sm", elem_id="index-reembed-button"
            )
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
    with gr.Accordion("Status", open=False):
        status = gr.Markdown(elem_id="status")
        refresh = gr.Button("Refresh", size="sm")
    gr.HTML("", head=GRID_CSS, elem_id="gallery-css", padding=False)

    def status_text(request: gr.Request = None):
        return status_markdown(server, gallery, visitors, session_of(request))

    def overlay(request):
        return ctx.overlay(request)

    def chosen_markdown(ids: list[int], request) -> str:
        names = names_of(gallery, overlay(request), ids)
        if not names:
            return NOTHING_SELECTED
        shown = ", ".join(md_escape(name) for name in names.values())
        return f"**Selected ({len(names)}):** {shown}"

    @friendly
    def show(number=1, size=PAGE_SIZE, chosen_ids=(), request: gr.Request = None):
        """One page of thumbnails, the page note, the page shown (clamped), the items."""
        view = browse(gallery, overlay(request), page=number, page_size=size)
        items = [
            (item.meta.id, item.thumbnail, item_label(item.meta, item.own, access.per_visitor))
            for item in view.items
            if item.thumbnail is not None
        ]
        marked = grid_pairs(items, set(chosen_ids or ()))
        return marked, page_note(view), view.page, view.to_json(), items

    def show_again(number=1, size=PAGE_SIZE, chosen_ids=(), request: gr.Request = None):
        """``show`` after a click or a change: Gradio's highlight of the last click off."""
        grid_items, *rest = show(number, size, chosen_ids, request)
        return gr.Gallery(value=grid_items, selected_index=None), *rest

    @friendly
    def toggle(chosen, items, evt: gr.SelectData, request: gr.Request = None):
        """A click on a thumbnail selects it, or unselects it if it was selected."""
        chosen = list(chosen or [])
        if not isinstance(evt.index, int) or not 0 <= evt.index < len(items):
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        item_id = int(items[evt.index][0])
        chosen = [i for i in chosen if i != item_id] if item_id in chosen else [*chosen, item_id]
        text = ", ".join(str(i) for i in chosen)
        return chosen, text, chosen_markdown(chosen, request), grid_value(items, set(chosen))

    def clear(items):
        return [], "", NOTHING_SELECTED, grid_value(items, set())

    def forget():  # after a removal or a reset: the selected images are gone
        return [], "", NOTHING_SELECTED

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
        return report_markdown(result), status_text(request)

    @friendly
    def remove(ids, admin_password="", request: gr.Request = None):
        if not str(ids or "").strip():
            raise BadInputError(
                "No images selected: click the images to remove in the grid (through the "
                "API, give their ids)."
            )
        wanted = parse_ids(ids)
        if visitors is not None:  # a visitor's own uploads have overlay ids
            mine = [i for i in wanted if i >= OVERLAY_FIRST_ID]
            shared = [i for i in wanted if i < OVERLAY_FIRST_ID]
        else:
            mine, shared = [], wanted
        if shared:  # refused before anything is removed, so a refusal changes nothing
            access.check_shared_change("Removing images from the shared gallery", admin_password)
        names = names_of(gallery, overlay(request), wanted)
        removed = visitors.remove(session_of(request), mine) if mine else 0
        removed += gallery.remove(shared) if shared else 0
        text = f"Removed {removed} of {len(wanted)} image(s)"
        if removed and names:
            text += ": " + ", ".join(md_escape(name) for name in names.values())
        return text + ".", status_text(request)

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
        return report_markdown(result), status_text(request)

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
        return result.summary().replace("\n", "\n\n"), status_text(request)

    view_inputs, view_outputs = (
        [page, page_size, selection],
        [grid, note, page, page_json, page_items],
    )

    def refresh_view(event, **kwargs):
        """After a change: the page again (and the status), never a new API endpoint."""
        return event.success(
            show_again, view_inputs, view_outputs, api_visibility="private", **kwargs
        )

    def step_page(delta: int):
        return lambda number: max(1, int(number or 1) + delta)

    # Shown when the tab is opened, not on every page load: a page is up to 60 thumbnails
    # a visitor of another tab need not fetch. ``Context.block`` is the gr.Tab that
    # ui/page.py builds this tab in (the page's load when built elsewhere).
    tab = gr.context.Context.block
    opened = tab.select if isinstance(tab, gr.Tab) else gr.context.Context.root_block.load
    gr.on(
        [opened],
        show,
        view_inputs,
        view_outputs,
        api_name="gallery_page",
        api_visibility="undocumented",
    ).then(status_text, None, status, api_visibility="private")
    for button, delta in ((previous, -1), (following, 1)):
        refresh_view(button.click(step_page(delta), page, page, api_visibility="private"))
    picked = [selection, remove_ids, chosen_note, grid]
    grid.select(
        toggle,
        [selection, page_items],
        picked,
        api_visibility="private",
        show_progress="hidden",
        trigger_mode="multiple",  # every click counts, in order
        concurrency_limit=1,
    )
    clear_button.click(clear, page_items, picked, api_visibility="private")

    adding = add_button.click(add, files, [report, status], api_name="index_add", preprocess=False)
    refresh_view(adding.success(lambda: None, None, files, api_visibility="private"))  # added
    removal = remove_button.click(
        remove, [remove_ids, password], [report, status], api_name="index_remove"
    )
    forgotten = [selection, remove_ids, chosen_note]
    refresh_view(removal.success(forget, None, forgotten, api_visibility="private"))
    resetting = reset_button.click(reset, password, [report, status], api_name="index_reset")
    refresh_view(resetting.success(forget, None, forgotten, api_visibility="private"))
    refresh_view(
        caption_button.click(
            caption_all,
            [overwrite, password],
            [caption_report, status],
            api_name="caption_gallery",
            concurrency_limit=1,
        )
    )
    refresh_view(reembed.click(rebuild, password, [report, status], api_name="index_reembed"))
    refresh.click(friendly(status_text), None, status, api_name="info")
    return status
