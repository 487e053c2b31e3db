"""The Caption tab: a caption of one image, how it was made, and what the model saw.

Decoding controls are shown only for a model that declares them (``Capabilities``) and
follow the Model menu: a label-based captioner gets none, and a prefix typed for BLIP is
cleared when the menu moves to one that cannot use it. Examples come from ui/examples.

The caption is asked for in the visitor's language (``request_language``: English for API
callers): the label-based captioner writes Chinese, BLIP English only (its note says so).
The notes are the service's English, shown through the package catalogue (``localised``).
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from mmdemo.core.results import CaptionResult
from mmdemo.models.registry import Capabilities
from mmdemo.services import tasks
from mmdemo.ui import examples
from mmdemo.ui.common import (
    MODEL_QUEUE,
    TabContext,
    friendly,
    image_input,
    model_dropdown,
    random_note,
)
from mmdemo.ui.i18n import localised, register, request_language, t, text
from mmdemo.ui.tabs._model_labels import model_label, model_menu

register(
    {
        "tab.caption": ("Caption", "图片描述"),
        "caption.intro_head": ("Describe an image in a sentence.", "用一句话描述一张图片。"),
        "caption.intro_line": ("- **{label}**{note}: {does}.", "- **{label}**{note}：{does}。"),
        "caption.does_generative": (
            "writes a new sentence for the image, word by word",
            "为图片逐词写出一句新的话",
        ),
        "caption.does_generative_english": (
            "writes a new sentence for the image, word by word",
            "为图片逐词写出一句新的话（只会写英文）",
        ),
        "caption.does_labels": (
            "names what an image classifier recognises, with how sure it is; when it is "
            "not sure it says so and lists its closest guesses",
            "说出图像分类器认出了什么，以及有多确定；不确定时会直说，并列出最接近的几个猜测",
        ),
        "caption.random": (" (random test weights)", "（随机测试权重）"),
        "caption.image": ("Image", "图片"),
        "caption.decoding": ("Decoding", "解码方式"),
        "caption.mode": ("Mode", "方式"),
        "caption.mode_beam": ("Beam search", "束搜索"),
        "caption.mode_sample": ("Nucleus sampling", "核采样"),
        "caption.max_tokens": ("Max new tokens", "最多生成的词元数"),
        "caption.prefix": (
            "Start the caption with (conditional captioning)",
            "描述的开头（条件式描述，用英文）",
        ),
        "caption.prefix_placeholder": ("e.g. a photo of", "例如 a photo of"),
        "caption.button": ("Caption", "生成描述"),
        "caption.output": ("Caption", "描述"),
        "caption.labels": ("What the image model saw", "图像模型看到了什么"),
        "caption.examples": ("Try", "试试这些"),
        "caption.method": ("*Method:* {method}.", "*方法：* {method}。"),
        "caption.nearest": (
            "**Closest human-written captions in the gallery:**",
            "**图库里最接近的人工描述：**",
        ),
        "caption.nearest_line": (
            "- {caption} *(similarity {score})*",
            "- {caption} *（相似度 {score}）*",
        ),
        "caption.no_result": (
            "⚠️ **No caption** — the image could not be captioned (the message says why).",
            "⚠️ **没有描述** — 这张图片没能生成描述（提示消息里说明了原因）。",
        ),
    }
)
TITLE = t("tab.caption")
ID = "caption"
ORDER = 30

MODES = ("beam", "sample")  # the modes with a registered label ("caption.mode_<name>")


def caption_markdown(result: CaptionResult, language: str | None = None) -> str:
    """How the caption was made and the nearest human captions, in ``language``."""
    lines = [text("caption.method", language, method=localised(result.method, language))]
    if result.nearest:
        lines.append("\n" + text("caption.nearest", language))
        lines += [
            text("caption.nearest_line", language, caption=s.label, score=f"{s.probability:.2f}")
            for s in result.nearest
        ]
    return random_note(result.random_weights, language) + "\n".join(lines)


def writes_chinese(can: Capabilities) -> bool:
    return "zh" in can.languages or "*" in can.languages


def intro(choices: list[tasks.ModelChoice], language: str = "en") -> str:
    """What the loaded caption models do, in plain words (the first is the default)."""
    lines = [text("caption.intro_head", language)]
    for choice in choices:
        can = choice.capabilities
        if can.generative:
            key = (
                "caption.does_generative"
                if writes_chinese(can)
                else "caption.does_generative_english"
            )
        else:
            key = "caption.does_labels"
        note = text("caption.random", language) if choice.is_random else ""
        does = text(key, language)
        label = model_label("caption", choice, language)
        lines.append(text("caption.intro_line", language, label=label, note=note, does=does))
    return "\n".join(lines)


def example_rows(assets: Path, preset: str) -> list[list[str]]:
    paths = (examples.existing(assets, e.image) for e in examples.caption_examples(preset))
    return [[path] for path in paths if path]


def mode_choices(can: Capabilities, language: str | None = None) -> list[tuple[str, str]]:
    """(label, value) of the decoding modes ``can`` offers; the values stay English (API)."""

    def label(mode: str) -> str:
        return text(f"caption.mode_{mode}", language) if mode in MODES else mode

    return [(label(m), m) for m in can.decoding] or [(label("beam"), "beam")]


def controls_for(can: Capabilities, language: str | None = None):
    """(decoding accordion, mode, prefix) updates: only what the model can honour."""
    modes = mode_choices(can, language)
    mode_value = tasks.DEFAULT_MODE if tasks.DEFAULT_MODE in can.decoding else modes[0][1]
    prefix = gr.update(visible=can.prefix) if can.prefix else gr.update(visible=False, value="")
    return (
        gr.update(visible=can.generative),
        gr.update(choices=modes, value=mode_value, visible=len(modes) > 1),
        prefix,
    )


def build(ctx: TabContext) -> None:
    server = ctx.server
    choices = tasks.model_choices(server, "caption")
    can = {c.name: c.capabilities for c in choices}
    first = choices[0].capabilities
    shown = gr.Markdown(intro(choices), elem_id="caption-intro")
    with gr.Row():
        with gr.Column():
            image = image_input(t("caption.image"), "caption-image")
            model = model_dropdown(server, "caption", "caption-model")
            # Shown only for a model that declares decoding options (Capabilities), and
            # rebuilt when the Model menu changes: a label-based captioner gets none.
            with gr.Accordion(
                t("caption.decoding"), open=False, visible=first.generative
            ) as decoding:
                modes = mode_choices(first, "en")
                mode = gr.Radio(
                    modes,
                    value=tasks.DEFAULT_MODE,
                    label=t("caption.mode"),
                    elem_id="caption-mode",
                    visible=len(modes) > 1,
                )
                max_length = gr.Slider(
                    5,
                    100,
                    value=tasks.DEFAULT_MAX_TOKENS,
                    step=1,
                    label=t("caption.max_tokens"),
                )
                prefix = gr.Textbox(
                    value="",
                    label=t("caption.prefix"),
                    placeholder=t("caption.prefix_placeholder"),
                    elem_id="caption-prefix",
                    visible=first.prefix,
                )
            button = gr.Button(t("caption.button"), variant="primary", elem_id="caption-button")
        with gr.Column():
            caption_text = gr.Textbox(
                label=t("caption.output"), elem_id="caption-output", interactive=False
            )
            labels = gr.Label(label=t("caption.labels"), elem_id="caption-labels")
            notes = gr.Markdown(elem_id="caption-notes")
    rows = example_rows(Path(ctx.settings.assets_dir), server.preset)
    if rows:
        gr.Examples(rows, inputs=[image], label=t("caption.examples"), elem_id="caption-examples")

    # the intro and the menus' labels are composed here; the menus keep their values
    ctx.in_language(
        [shown, model, mode],
        lambda lang: (
            gr.update(value=intro(choices, lang)),
            model_menu("caption", choices, lang),
            gr.update(choices=mode_choices(first, lang)),
        ),
    )

    @friendly
    def caption(
        upload,
        mode_name=tasks.DEFAULT_MODE,
        length=tasks.DEFAULT_MAX_TOKENS,
        start="",
        model_name=None,  # the API's parameter names are part of its contract
    ):
        picture, _ = ctx.upload_image(upload)
        language = request_language()  # English for API callers: the API keeps English
        result = tasks.caption(
            server,
            picture,
            model=model_name,
            mode=mode_name,
            max_length=length,
            prefix=start,
            language=language,
        )
        scores = {s.label: s.probability for s in result.labels} or None
        return result.caption, scores, caption_markdown(result, language)

    event = button.click(
        caption,
        [image, mode, max_length, prefix, model],
        [caption_text, labels, notes],
        api_name="caption",
        preprocess=False,
        concurrency_limit=server.max_batch,  # let the micro-batcher see company
        concurrency_id=MODEL_QUEUE["caption"],
    )
    # a failed request must not leave the previous image's caption standing beside it
    event.failure(
        lambda: ("", None, text("caption.no_result")),
        None,
        [caption_text, labels, notes],
        api_visibility="private",
    )
    model.change(
        lambda name: controls_for(can.get(name, first)),
        model,
        [decoding, mode, prefix],
        api_visibility="private",
    )
    image.change(
        lambda: ("", None, ""), None, [caption_text, labels, notes], api_visibility="private"
    )
