"""The Gallery tab: every image the search looks through, a page of thumbnails at a time,
and what can be done to it - add images (their own names kept), remove the ones selected
in the grid, reset to the default gallery, caption all, re-embed, status.

Who may do what follows ``services.access``: in per-visitor mode a visitor sees the shared
photos plus their own uploads, and removes or resets only their own; changing the shared
gallery (re-embed, caption all, remove or reset it) asks for the admin password when the
server is public. The API keeps its endpoints and input orders (``index_add``,
``index_remove`` by typed ids, ``index_reset``, ``index_reembed``, ``caption_gallery``,
``info``); the selection in the grid travels in ``index_remove``'s ids input.

Languages: fixed text is a key the browser translates; the reports (added, skipped and
why, removed, captioned), the page note and the status are composed here from the
services' structured results in the request's language - English for the API, with the
very wording ``core.results`` prints for the CLI (a unit test holds the two together).
"""

from __future__ import annotations

import re

import gradio as gr

from mmdemo.core.errors import BadInputError
from mmdemo.core.results import AddReport, CaptionReport, Duplicate
from mmdemo.services.browse import PAGE_SIZE, GalleryPage, browse, names_of
from mmdemo.services.captioning import caption_gallery
from mmdemo.services.gallery import parse_ids
from mmdemo.services.visitors import OVERLAY_FIRST_ID
from mmdemo.ui.common import TabContext, friendly, session_of, upload_paths
from mmdemo.ui.i18n import localised, register, request_language, t, text
from mmdemo.ui.status import status_markdown
from mmdemo.ui.strings.gallery import STRINGS

register(STRINGS)
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
NOTHING_SELECTED = t("gallery.nothing_selected")  # one fixed sentence: the browser translates


def md_escape(value: str) -> str:
    """A user's file name or caption as literal markdown text (no markup, no HTML)."""
    return re.sub(r"([\\`*_\[\]#|<>~])", r"\\\1", str(value))


def duplicate_sentence(duplicate: Duplicate, language: str | None = None) -> str:
    """Which image a skipped file repeats (``Duplicate.sentence``, in ``language``); the
    names are escaped, the sentence is not markdown."""
    name, existing = md_escape(duplicate.name), md_escape(duplicate.existing or "")
    if duplicate.in_upload:
        return text("gallery.same_in_upload", language, name=name, existing=existing)
    if duplicate.existing:
        return text("gallery.already_as", language, name=name, existing=existing)
    return text("gallery.already", language, name=name)


def report_markdown(report: AddReport, language: str | None = None) -> str:
    """The add report for the page: the counts, then one line per skipped file."""
    headline = text(
        "gallery.added",
        language,
        added=report.added,
        duplicates=report.duplicates,
        unreadable=len(report.unreadable),
        total=report.total,
    )
    lines = [headline + text("gallery.end", language)]
    lines += [f"- {duplicate_sentence(d, language)}" for d in report.duplicate_of]
    lines += [
        "- "
        + text(
            "gallery.unreadable",
            language,
            name=md_escape(u.path),
            reason=md_escape(localised(u.reason, language)),
        )
        for u in report.unreadable
    ]
    return "\n".join(lines)


def caption_markdown(report: CaptionReport, language: str | None = None) -> str:
    """A gallery-captioning run for the page (``CaptionReport.summary``, in ``language``)."""
    line = text(
        "gallery.captioned",
        language,
        captioned=report.captioned,
        skipped=report.skipped,
        failed=len(report.failed),
        seconds=f"{report.seconds:.1f}",
    )
    if report.unsure:
        line += text("gallery.unsure", language, unsure=len(report.unsure))
    if report.model:
        # the model's name, with "writes English only ..." when it could not write the
        # visitor's language (core.i18n has that sentence; a bare name stays as it is)
        model = report.model if language == "en" else localised(report.model, language)
        line += text("gallery.captioned_with", language, model=model)
    line += text("gallery.captioned_total", language, total=report.total)
    failed = [
        "  "
        + text(
            "gallery.caption_failed",
            language,
            name=md_escape(name),
            reason=md_escape(localised(reason, language)),
        )
        for name, reason in report.failed
    ]
    return "\n\n".join([line, *failed])


def item_label(meta, own: bool, per_visitor: bool, language: str | None = None) -> str:
    """A thumbnail's caption: its name, what it shows, and (per-visitor) whose it is."""
    label = meta.display_name
    if meta.caption:
        label += f" — {meta.caption}"
    if per_visitor:
        label += text("gallery.yours" if own else "gallery.shared", language)
    return label


def page_note(view: GalleryPage, language: str | None = None) -> str:
    if not view.total:
        return text("gallery.empty", language)
    missing = sum(item.thumbnail is None for item in view.items)
    note = text("gallery.page", language, page=view.page, pages=view.pages, total=view.total)
    if missing:
        note += text("gallery.missing", language, missing=missing)
    return note


def who_note(ctx: TabContext, language: str = "en") -> str:
    """Who sees what in this gallery (shared, or each visitor's own uploads too)."""
    if ctx.access.per_visitor:
        hours = f"{ctx.settings.session_ttl_s / 3600:g}"
        who = text("gallery.who_visitor", language, hours=hours)
    else:
        who = text("gallery.who_shared", language)
    return text("gallery.intro", language, who=who)


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
    intro = gr.Markdown(who_note(ctx), elem_id="gallery-intro")
    ctx.in_language(intro, lambda lang: gr.Markdown(value=who_note(ctx, lang)))
    note = gr.Markdown(elem_id="gallery-page-note")
    with gr.Row():
        previous = gr.Button(
            t("gallery.previous"), size="sm", min_width=110, elem_id="gallery-previous"
        )
        following = gr.Button(t("gallery.next"), size="sm", min_width=110, elem_id="gallery-next")
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
            t("gallery.remove"), variant="stop", size="sm", scale=0, elem_id="index-remove-button"
        )
        clear_button = gr.Button(t("gallery.clear"), size="sm", scale=0, elem_id="gallery-clear")
    report = gr.Markdown(elem_id="index-add-report")
    with gr.Accordion(t("gallery.add_fold"), open=True):
        files = gr.File(
            label=t("gallery.files"),
            file_count="multiple",
            elem_id="index-add-files",
            file_types=["image"],
        )
        add_button = gr.Button(t("gallery.add"), variant="primary", elem_id="index-add-button")
    with gr.Accordion(t("gallery.manage_fold"), open=False):
        password = gr.Textbox(
            value="",
            type="password",
            label=t("gallery.password"),
            elem_id="admin-password",
            visible=access.public or access.per_visitor,
        )
        with gr.Row():
            reset_button = gr.Button(
                t("gallery.reset"),
                size="sm",
                elem_id="index-reset-button",
            )
            reembed = gr.Button(t("gallery.reembed"), size="sm", elem_id="index-reembed-button")
        with gr.Row():
            caption_button = gr.Button(
                t("gallery.caption"), size="sm", elem_id="caption-gallery-button"
            )
            overwrite = gr.Checkbox(
                value=False,
                label=t("gallery.overwrite"),
                elem_id="caption-gallery-overwrite",
            )
        caption_report = gr.Markdown(elem_id="caption-gallery-report")
    with gr.Accordion(t("gallery.status_fold"), open=False):
        status = gr.Markdown(elem_id="status")
        refresh = gr.Button(t("gallery.refresh"), size="sm")
    gr.HTML("", head=GRID_CSS, elem_id="gallery-css", padding=False)

    def status_text(request: gr.Request = None):
        language = request_language(request)
        return status_markdown(server, gallery, visitors, session_of(request), language)

    def overlay(request):
        return ctx.overlay(request)

    def chosen_markdown(ids: list[int], request) -> str:
        names = names_of(gallery, overlay(request), ids)
        if not names:
            return NOTHING_SELECTED
        shown = ", ".join(md_escape(name) for name in names.values())
        return text("gallery.selected", count=len(names), names=shown)

    @friendly
    def show(number=1, size=PAGE_SIZE, chosen_ids=(), request: gr.Request = None):
        """One page of thumbnails, the page note, the page shown (clamped), the items."""
        view = browse(gallery, overlay(request), page=number, page_size=size)
        lang = request_language(request)
        items = [
            (
                item.meta.id,
                item.thumbnail,
                item_label(item.meta, item.own, access.per_visitor, lang),
            )
            for item in view.items
            if item.thumbnail is not None
        ]
        marked = grid_pairs(items, set(chosen_ids or ()))
        return marked, page_note(view, lang), view.page, view.to_json(), items

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
        typed = ", ".join(str(i) for i in chosen)
        return chosen, typed, chosen_markdown(chosen, request), grid_value(items, set(chosen))

    def clear(items):
        return [], "", NOTHING_SELECTED, grid_value(items, set())

    def forget():  # after a removal or a reset: the selected images are gone
        return [], "", NOTHING_SELECTED

    @friendly
    def add(upload, progress=gr.Progress(), request: gr.Request = None):
        paths, names = upload_paths(upload)
        lang = request_language(request)
        if not paths:
            raise BadInputError("No files given: choose one or more images to add.")

        def step(done: int, total: int) -> None:
            progress((done, total), desc=text("gallery.embedding", lang))

        if visitors is not None:
            result = visitors.add(session_of(request), paths, names=names, progress=step)
        else:
            result = gallery.add_files(paths, names=names, copy=True, progress=step)
        return report_markdown(result, lang), status_text(request)

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
        said = text("gallery.removed", removed=removed, wanted=len(wanted))
        if removed and names:
            shown = ", ".join(md_escape(name) for name in names.values())
            said = text("gallery.removed_names", removed=said, names=shown)
        return said + text("gallery.end"), status_text(request)

    @friendly
    def reset(admin_password="", request: gr.Request = None):
        if visitors is not None:
            visitors.reset(session_of(request))
            if not access.is_admin(admin_password):
                return text("gallery.uploads_gone"), status_text(request)
        access.check_shared_change("Resetting the shared gallery", admin_password)
        result = gallery.reset()
        return text("gallery.back_to_default", total=result.total), status_text(request)

    @friendly
    def rebuild(admin_password="", progress=gr.Progress(), request: gr.Request = None):
        access.check_shared_change("Re-embedding the index", admin_password)
        desc = text("gallery.reembedding")
        result = gallery.reembed(progress=lambda done, total: progress((done, total), desc=desc))
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

        desc = text("gallery.captioning")

        def step(done: int, total: int) -> None:
            if total:
                progress((done, total), desc=desc)

        # in the language of whoever asked (the API: English); a model that writes English
        # only captions in English and the report says so
        lang = request_language(request)
        result = caption_gallery(
            target, server, overwrite=bool(overwrite), progress=step, language=lang
        )
        return caption_markdown(result, lang), status_text(request)

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
