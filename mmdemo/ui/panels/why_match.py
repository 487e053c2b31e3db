""" "Why this match": an image and a text in, the heatmap of where the text matched out.

A reusable panel (``build``): the Classify tab puts it under its result ("Why this label?"),
reading the tab's own image and starting from the top label; it can stand alone too
(its own image box). It owns the ``/explain`` endpoint: (image upload, query text) ->
(overlay image, the ``ExplainResult`` JSON). The note under the map - the method and the
score in the visitor's language - is written by a private follow-up event from that JSON,
so the API returns just the two values. Everything is ``services.explain``: this file is
layout and events.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from mmdemo.models.shared.imagenet import chinese_name
from mmdemo.services import explain as service
from mmdemo.ui.common import MODEL_QUEUE, TabContext, friendly, image_input, random_note
from mmdemo.ui.i18n import localised, register, request_language, t, text

register(
    {
        "why.title": ("Why this match?", "为什么匹配？"),
        "why.intro": (
            "Type a text and see where in the image it matched: the warmer the colour, the "
            "more that part of the picture made the match.",
            "输入一段文字，看看它和图片的哪里匹配：颜色越暖，这部分画面对匹配的贡献越大。",
        ),
        "why.image": ("Image", "图片"),
        "why.query": ("Text to look for", "要找的文字"),
        "why.query_placeholder": ("e.g. a cat", "例如：一只猫"),
        "why.button": ("Show where it matched", "显示匹配的位置"),
        "why.output": ("Where it matched", "匹配的位置"),
        "why.json": ("Relevance map (JSON)", "相关性图（JSON）"),
        "why.legend_low": ("low", "低"),
        "why.legend_high": ("high match", "高度匹配"),
        "why.note": (
            "Method: **{method}** · match score **{score}** (the image-text cosine, as "
            "search scores it)",
            "方法：**{method}** · 匹配分数 **{score}**（图片与文字的余弦相似度，和搜索的打分一样）",
        ),
        "why.classes": (
            "The map follows the ImageNet classes closest to the text: {classes}",
            "这张图依据的是与文字最接近的 ImageNet 类别：{classes}",
        ),
    }
)


@dataclass(frozen=True)
class WhyMatch:
    """The panel's components, for the tab that placed it (e.g. to fill ``query``)."""

    image: gr.components.Component
    query: gr.Textbox
    button: gr.Button
    overlay: gr.Image
    note: gr.Markdown
    raw: gr.JSON


def note_for(data: dict | None, language: str | None = None) -> str:
    """The line under the map in ``language`` (the request's when None), from the JSON."""
    if not data or "method" not in data:
        return ""
    details = data.get("details") or {}
    note = random_note(bool(details.get("random_weights")), language)
    method = localised(data["method"], language)
    note += text("why.note", language, method=method, score=f"{data['score']:.3f}")
    classes = details.get("classes")
    if classes:
        lang = language or request_language()
        joiner = "、" if lang == "zh" else ", "
        names = joiner.join(
            f"{chinese_name(c['class']) if lang == 'zh' else c['class']} ({c['weight']:.0%})"
            for c in classes
        )
        note += "\n\n" + text("why.classes", language, classes=names)
    return note


def build(
    ctx: TabContext,
    image: gr.components.Component | None = None,
    *,
    elem_id: str = "why",
    api_name: str | None = "explain",
) -> WhyMatch:
    """Lay the panel out where it is called; ``image`` is the tab's own image input (else the
    panel gets one). ``api_name``: the endpoint (one per page: pass another where a second
    panel is placed)."""
    gr.Markdown(t("why.intro"), elem_id=f"{elem_id}-intro")
    with gr.Row():
        with gr.Column():
            if image is None:
                image = image_input(t("why.image"), f"{elem_id}-image")
            query = gr.Textbox(
                label=t("why.query"),
                placeholder=t("why.query_placeholder"),
                elem_id=f"{elem_id}-query",
                max_lines=1,
            )
            button = gr.Button(t("why.button"), elem_id=f"{elem_id}-button")
        with gr.Column():
            shown = gr.Image(
                label=t("why.output"),
                type="pil",
                format="png",
                interactive=False,
                elem_id=f"{elem_id}-overlay",
            )
            note = gr.Markdown(elem_id=f"{elem_id}-note")
    raw = gr.JSON(label=t("why.json"), visible=False, elem_id=f"{elem_id}-json")

    @friendly
    def explain(upload, query_text):
        picture, _ = ctx.upload_image(upload)
        result = service.explain(ctx.server, picture, query_text)
        legend = (text("why.legend_low"), text("why.legend_high"))
        return service.overlay(picture, result, legend=legend), result.to_json()

    def clear():
        return None, None, ""

    triggers = [button.click, query.submit]
    event = gr.on(
        triggers,
        explain,
        [image, query],
        [shown, raw],
        api_name=api_name,
        preprocess=False,
        concurrency_id=MODEL_QUEUE["embed"],
    )
    event.success(lambda data: note_for(data), raw, note, api_visibility="private")
    event.failure(clear, None, [shown, raw, note], api_visibility="private")
    image.change(clear, None, [shown, raw, note], api_visibility="private")
    return WhyMatch(image, query, button, shown, note, raw)
