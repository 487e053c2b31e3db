"""The Explore tab's "Near-duplicates" section: find groups of near-identical images, see
each group as a row of thumbnails, and (where this visitor may) remove the extra copies.

Why the removal asks again: the ids the page shows travel back with the click, and only
those that are *still* extra copies in the current report are removed - a gallery changed
meanwhile never loses an image the visitor did not see grouped. Who may remove what is the
Gallery tab's rule (``services.access``): a visitor removes their own uploads; copies in
the shared gallery need the admin password where the deployment says so. The oldest copy
of each group is always kept.

Endpoints: ``/duplicates`` (the report's JSON) and ``/duplicates_remove``.
"""

from __future__ import annotations

import html
from urllib.parse import quote

import gradio as gr

from mmdemo.core.duplicate_results import DuplicateReport
from mmdemo.core.errors import BadInputError
from mmdemo.services.duplicates import find_duplicates
from mmdemo.services.gallery import parse_ids
from mmdemo.services.visitors import OVERLAY_FIRST_ID
from mmdemo.ui.common import MODEL_QUEUE, TabContext, friendly, session_of
from mmdemo.ui.i18n import register, t, text

MAX_SHOWN_GROUPS = 60  # rows drawn on the page (the JSON has them all)

register(
    {
        "duplicates.title": (
            "### Near-duplicates\nImages that are copies of one picture - resized, "
            "recompressed or lightly cropped. The oldest copy of each group is kept.",
            "### 近似重复\n同一张图片的多个副本：缩放过、重新压缩过或轻微裁剪过。"
            "每组保留最早的一张。",
        ),
        "duplicates.find": ("Find near-duplicates", "查找近似重复"),
        "duplicates.remove": ("Remove the extra copies", "删除多余的副本"),
        "duplicates.password": (
            "Admin password (for the shared gallery)",
            "管理员密码（用于共用图库）",
        ),
        "duplicates.none": (
            "No near-duplicates among {checked} images.",
            "在 {checked} 张图片中没有发现近似重复。",
        ),
        "duplicates.found": (
            "{groups} group(s) of near-duplicates among {checked} images: {extra} extra "
            "cop(ies) could go.",
            "在 {checked} 张图片中发现 {groups} 组近似重复：可以删除 {extra} 张多余的副本。",
        ),
        "duplicates.shown_only": (
            "The first {shown} groups are shown.",
            "这里只显示前 {shown} 组。",
        ),
        "duplicates.uncalibrated": (
            "The thresholds were not measured for this model: defaults are used.",
            "这些阈值没有针对当前模型测量过：使用的是默认值。",
        ),
        "duplicates.group": ("Group {n}", "第 {n} 组"),
        "duplicates.kept": ("kept", "保留"),
        "duplicates.extra": ("extra copy", "多余副本"),
        "duplicates.removed": (
            "Removed {removed} extra cop(ies); the oldest of each group stays.",
            "已删除 {removed} 张多余的副本；每组最早的一张保留。",
        ),
        "duplicates.left_shared": (
            "{count} extra cop(ies) in the shared gallery stay: removing them needs the admin "
            "password.",
            "共用图库中的 {count} 张多余副本保留：删除它们需要管理员密码。",
        ),
        "duplicates.nothing_to_remove": (
            "Nothing to remove: none of these images is an extra copy any more.",
            "没有可删除的图片：这些图片都已不再是多余的副本。",
        ),
    }
)

NO_GROUPS_SHOWN = (
    "No near-duplicates are shown: find them first (through the API, give the ids to remove)."
)


def summary(report: DuplicateReport, language: str | None = None) -> str:
    """The sentence above the rows, in the visitor's language."""
    if not report.groups:
        said = text("duplicates.none", language, checked=report.checked)
    else:
        said = text(
            "duplicates.found",
            language,
            groups=len(report.groups),
            checked=report.checked,
            extra=report.extra_copies,
        )
        if len(report.groups) > MAX_SHOWN_GROUPS:
            said += " " + text("duplicates.shown_only", language, shown=MAX_SHOWN_GROUPS)
    if not report.calibrated:
        said += " " + text("duplicates.uncalibrated", language)
    return said


def _url(path: str | None) -> str:
    return f"/gradio_api/file={quote(str(path))}" if path else ""


def rows_html(report: DuplicateReport, language: str | None = None) -> str:
    """One row of thumbnails per group, each image named by id and file name."""
    rows = []
    for n, group in enumerate(report.groups[:MAX_SHOWN_GROUPS], start=1):
        cells = []
        for i, (item, name) in enumerate(zip(group.ids, group.names, strict=False)):
            thumb = group.thumbnails[i] if i < len(group.thumbnails) else None
            tag = text("duplicates.kept" if i == 0 else "duplicates.extra", language)
            image = (
                f'<img src="{html.escape(_url(thumb))}" alt="{html.escape(name)}" loading="lazy">'
                if thumb
                else '<div class="dup-missing">?</div>'
            )
            cells.append(
                f'<figure class="dup-item{" dup-kept" if i == 0 else ""}" data-id="{item}">'
                f"{image}<figcaption>#{item} · {html.escape(name)}<br><em>{html.escape(tag)}"
                "</em></figcaption></figure>"
            )
        heading = html.escape(text("duplicates.group", language, n=n))
        rows.append(
            f'<div class="dup-group"><div class="dup-heading">{heading}</div>'
            f'<div class="dup-row">{"".join(cells)}</div></div>'
        )
    if not rows:
        return ""
    # the section's own CSS travels with its rows: no empty component in the layout
    return f'<style>{CSS}</style><div id="duplicates-rows">{"".join(rows)}</div>'


CSS = """
#duplicates-rows .dup-group { margin: 0.5rem 0 1rem; }
#duplicates-rows .dup-heading { font-weight: 600; margin-bottom: 0.25rem; }
#duplicates-rows .dup-row { display: flex; flex-wrap: wrap; gap: 0.5rem; }
#duplicates-rows figure { margin: 0; width: 112px; }
#duplicates-rows img, #duplicates-rows .dup-missing {
  width: 112px; height: 84px; object-fit: cover; border-radius: 6px; display: block;
  border: 2px solid transparent; }
#duplicates-rows .dup-kept img { border-color: var(--color-accent, #3b82f6); }
#duplicates-rows figcaption { font-size: 0.75rem; line-height: 1.2; overflow-wrap: anywhere; }
"""


def build(ctx: TabContext) -> gr.HTML:
    """The section, laid out inside the calling tab; returns the rows component."""
    gallery, access, visitors = ctx.gallery, ctx.access, ctx.visitors
    may_remove = (
        access.per_visitor or not access.public or access.login or bool(access.admin_password)
    )
    gr.Markdown(t("duplicates.title"), elem_id="duplicates-title")
    with gr.Row():
        find = gr.Button(t("duplicates.find"), variant="primary", elem_id="duplicates-find")
        remove = gr.Button(
            t("duplicates.remove"),
            variant="stop",
            elem_id="duplicates-remove",
            visible=may_remove,
            interactive=True,
        )
    password = gr.Textbox(
        value="",  # an API caller may leave it out, as the Gallery tab's
        label=t("duplicates.password"),
        type="password",
        elem_id="duplicates-password",
        visible=may_remove and (access.public or access.per_visitor),
    )
    said = gr.Markdown("", elem_id="duplicates-summary")
    rows = gr.HTML("", elem_id="duplicates-groups")
    report_json = gr.JSON(visible=False)
    extra_ids = gr.Textbox(value="", visible=False, elem_id="duplicates-extra-ids")

    def current(request):
        return find_duplicates(gallery, overlay=ctx.overlay(request))

    def shown(report: DuplicateReport):
        extra = ", ".join(str(i) for g in report.groups for i in g.extra)
        return summary(report), rows_html(report), report.to_json(), extra

    @friendly
    def on_find(request: gr.Request = None):
        return shown(current(request))

    @friendly
    def on_remove(ids, admin_password="", request: gr.Request = None):
        if not str(ids or "").strip():
            raise BadInputError(NO_GROUPS_SHOWN)
        asked = set(parse_ids(ids))
        report = current(request)
        still = [i for g in report.groups for i in g.extra if i in asked]
        if not still:
            return (text("duplicates.nothing_to_remove"), *shown(report)[1:])
        if visitors is not None:
            mine = [i for i in still if i >= OVERLAY_FIRST_ID]
            shared = [i for i in still if i < OVERLAY_FIRST_ID]
            if shared and not access.is_admin(admin_password):
                if admin_password:  # meant for the shared gallery, but not the right one
                    access.check_shared_change(
                        "Removing images from the shared gallery", admin_password
                    )
                left, shared = len(shared), []
            else:
                left = 0
        else:
            mine, shared, left = [], still, 0
        if shared:  # refused before anything is removed, so a refusal changes nothing
            access.check_shared_change("Removing images from the shared gallery", admin_password)
        removed = visitors.remove(session_of(request), mine) if mine else 0
        removed += gallery.remove(shared) if shared else 0
        message = text("duplicates.removed", removed=removed)
        if left:
            message += " " + text("duplicates.left_shared", count=left)
        after = current(request)
        return (message + "\n\n" + summary(after), *shown(after)[1:])

    outputs = [said, rows, report_json, extra_ids]
    find.click(on_find, None, outputs, api_name="duplicates", concurrency_id=MODEL_QUEUE["embed"])
    remove.click(
        on_remove,
        [extra_ids, password],
        outputs,
        api_name="duplicates_remove",
        concurrency_id=MODEL_QUEUE["embed"],
    )
    return rows
