"""The Classify tab: zero-shot classification with labels the visitor types.

Examples (image, labels) come from ui/examples per preset and language, each with the label
it must put first; tests/integration/test_examples.py checks them. A Chinese visitor gets
Chinese default labels, template and examples only when the embedder reads Chinese (the
multilingual open_clip of ``full``/``tiny``, lite's bridge once it declares Chinese): for an
English-only model Chinese labels are refused, so the intro asks for English labels instead.
The Textboxes' built values stay English, so the API's defaults stay English.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from mmdemo.services import tasks
from mmdemo.ui import examples
from mmdemo.ui.common import (
    MODEL_QUEUE,
    TabContext,
    examples_per_language,
    friendly,
    image_input,
    shown_examples,
)
from mmdemo.ui.i18n import register, t, text
from mmdemo.ui.panels import why_match

register(
    {
        "tab.classify": ("Classify", "分类"),
        "classify.intro": (
            "Type the labels you want, separated by commas: each becomes a short sentence "
            "(*a photo of a …*), and the image model (*{model}*) scores how well each "
            "sentence fits the image. The scores are shown as probabilities that add up to 100%.",
            "输入你想要的标签，用逗号分开：每个标签会变成一句短句（*一张……的照片*），"
            "图像模型（*{model}*）给每句话与图片的吻合程度打分。分数以概率显示，加起来是 100%。",
        ),
        "classify.intro_english_only": (
            "Type the labels you want, separated by commas: each becomes a short sentence "
            "(*a photo of a …*), and the image model (*{model}*) scores how well each "
            "sentence fits the image. The scores are shown as probabilities that add up to 100%.",
            "输入你想要的标签，用逗号“,”分开：每个标签会变成一句短句（*a photo of a …*），"
            "图像模型（*{model}*）给每句话与图片的吻合程度打分。分数以概率显示，加起来是 100%。"
            "**这个模型只读英文：请用英文写标签**（例如 a cat, a dog）。",
        ),
        "classify.image": ("Image", "图片"),
        "classify.labels": ("Labels, comma-separated", "标签（用逗号分隔）"),
        "classify.template": ("Prompt template ({} is the label)", "提示模板（{} 代表标签）"),
        "classify.button": ("Classify", "分类"),
        "classify.output": ("Probabilities", "概率"),
        "classify.examples": ("Try", "试试这些"),
        "classify.why": ("Why this label?", "为什么是这个标签？"),
    }
)
TITLE = t("tab.classify")
ID = "classify"
ORDER = 20

DEFAULT_LABELS = examples.CLASSIFY_LABELS
DEFAULT_TEMPLATE = "a photo of {}."
DEFAULT_TEMPLATES = {"en": DEFAULT_TEMPLATE, "zh": "一张{}的照片。"}


def reads_chinese(ctx: TabContext) -> bool:
    """Whether the embedder (which reads the labels) can read Chinese labels."""
    return ctx.server.spec_for("embed").capabilities.reads(examples.CLASSIFY_LABELS_ZH)


def labels_language(lang: str, chinese_ok: bool) -> str:
    """The language of the labels a visitor in ``lang`` is offered (English if unreadable)."""
    return "zh" if lang == "zh" and chinese_ok else "en"


def intro(model: str, lang: str = "en", chinese_ok: bool = True) -> str:
    """What the tab does with the loaded model, in plain words, in ``lang``."""
    key = "classify.intro" if chinese_ok else "classify.intro_english_only"
    return text(key, lang, model=model)


def defaults(lang: str, chinese_ok: bool) -> tuple[str, str]:
    """(labels, template) a visitor in ``lang`` starts with."""
    chosen = labels_language(lang, chinese_ok)
    return examples.DEFAULT_LABELS[chosen], DEFAULT_TEMPLATES[chosen]


def example_rows(assets: Path, preset: str, language: str = "en") -> list[list[str]]:
    rows = []
    for example in examples.classify_examples(preset, language):
        path = examples.existing(assets, example.image)
        if path:
            rows.append([path, example.labels])
    return rows


def build(ctx: TabContext) -> None:
    model_label = ctx.server.spec_for("embed").label
    chinese_ok = reads_chinese(ctx)
    shown = gr.Markdown(intro(model_label, "en", chinese_ok), elem_id="classify-intro")
    with gr.Row():
        with gr.Column():
            image = image_input(t("classify.image"), "classify-image")
            labels = gr.Textbox(
                label=t("classify.labels"), value=DEFAULT_LABELS, elem_id="classify-labels"
            )
            template = gr.Textbox(
                label=t("classify.template"), value=DEFAULT_TEMPLATE, elem_id="classify-template"
            )
            button = gr.Button(t("classify.button"), variant="primary", elem_id="classify-button")
        probabilities = gr.Label(label=t("classify.output"), elem_id="classify-output")
    assets = Path(ctx.settings.assets_dir)
    sets = examples_per_language(
        lambda language: example_rows(assets, ctx.server.preset, language),
        [image, labels],
        t("classify.examples"),
        "classify-examples",
        ("en", "zh") if chinese_ok else ("en",),
    )

    def render(lang: str) -> tuple:
        return (
            gr.update(value=intro(model_label, lang, chinese_ok)),
            *defaults(lang, chinese_ok),
            *shown_examples(sets, labels_language(lang, chinese_ok)),
        )

    ctx.in_language([shown, labels, template, *sets.values()], render)

    @friendly
    def classify(upload, labels=DEFAULT_LABELS, template=DEFAULT_TEMPLATE):
        picture, _ = ctx.upload_image(upload)
        result = tasks.classify(ctx.server, picture, labels, template)
        return {s.label: s.probability for s in result.scores}

    event = button.click(
        classify,
        [image, labels, template],
        probabilities,
        api_name="classify",
        preprocess=False,
        concurrency_id=MODEL_QUEUE["classify"],
    )
    # a failed request must not leave the previous image's probabilities standing
    event.failure(lambda: None, None, probabilities, api_visibility="private")
    image.change(lambda: None, None, probabilities, api_visibility="private")
    with gr.Accordion(t("classify.why"), open=False, elem_id="classify-why"):
        why = why_match.build(ctx, image, elem_id="classify-why")
    # the top label, put into the template it was scored with, is what "why" explains
    event.success(top_label_query, [probabilities, template], why.query, api_visibility="private")


def top_label_query(probabilities, template: str | None = DEFAULT_TEMPLATE) -> str:
    """The top label of a Classify result as the sentence it was scored as ("" if none)."""
    if isinstance(probabilities, dict) and "confidences" in probabilities:
        best = probabilities.get("label") or ""
    elif isinstance(probabilities, dict) and probabilities:
        best = max(probabilities, key=lambda k: probabilities[k])
    else:
        return ""
    template = (template or "").strip()
    return template.replace("{}", best) if "{}" in template else best
