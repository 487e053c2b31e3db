"""The Caption tab: a caption of one image, how it was made, and what the model saw.

Decoding controls are shown only for a model that declares them (``Capabilities``) and
follow the Model menu: a label-based captioner gets none, and a prefix typed for BLIP is
cleared when the menu moves to one that cannot use it. Examples come from ui/examples.py.
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
from mmdemo.ui.i18n import register, t

register({"tab.caption": ("Caption", "图片描述")})
TITLE = t("tab.caption")
ID = "caption"
ORDER = 30


def caption_markdown(result: CaptionResult) -> str:
    lines = [f"*Method:* {result.method}."]
    if result.nearest:
        lines.append("\n**Closest human-written captions in the gallery:**")
        lines += [f"- {s.label} *(similarity {s.probability:.2f})*" for s in result.nearest]
    return random_note(result.random_weights) + "\n".join(lines)


MODE_LABELS = {"beam": "Beam search", "sample": "Nucleus sampling"}
NO_RESULT = "⚠️ **No caption** — the image could not be captioned (the message says why)."


def intro(choices: list[tasks.ModelChoice]) -> str:
    """What the loaded caption models do, in plain words (the first is the default)."""
    lines = ["Describe an image in a sentence."]
    for choice in choices:
        if choice.capabilities.generative:
            text = "writes a new sentence for the image, word by word"
        else:
            text = (
                "names what an image classifier recognises, with how sure it is; when it is "
                "not sure it says so and lists its closest guesses"
            )
        note = " (random test weights)" if choice.is_random else ""
        lines.append(f"- **{choice.label}**{note}: {text}.")
    return "\n".join(lines)


def example_rows(assets: Path, preset: str) -> list[list[str]]:
    paths = (examples.existing(assets, e.image) for e in examples.caption_examples(preset))
    return [[path] for path in paths if path]


def controls_for(can: Capabilities):
    """(decoding accordion, mode, prefix) updates: only what the model can honour."""
    modes = [(MODE_LABELS.get(m, m), m) for m in can.decoding] or [(MODE_LABELS["beam"], "beam")]
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
    gr.Markdown(intro(choices), elem_id="caption-intro")
    with gr.Row():
        with gr.Column():
            image = image_input("Image", "caption-image")
            model = model_dropdown(server, "caption", "caption-model")
            # Shown only for a model that declares decoding options (Capabilities), and
            # rebuilt when the Model menu changes: a label-based captioner gets none.
            with gr.Accordion("Decoding", open=False, visible=first.generative) as decoding:
                modes = [(MODE_LABELS.get(m, m), m) for m in first.decoding] or [
                    (MODE_LABELS["beam"], "beam")
                ]
                mode = gr.Radio(
                    modes,
                    value=tasks.DEFAULT_MODE,
                    label="Mode",
                    elem_id="caption-mode",
                    visible=len(modes) > 1,
                )
                max_length = gr.Slider(
                    5, 100, value=tasks.DEFAULT_MAX_TOKENS, step=1, label="Max new tokens"
                )
                prefix = gr.Textbox(
                    value="",
                    label="Start the caption with (conditional captioning)",
                    placeholder="e.g. a photo of",
                    elem_id="caption-prefix",
                    visible=first.prefix,
                )
            button = gr.Button("Caption", variant="primary", elem_id="caption-button")
        with gr.Column():
            text = gr.Textbox(label="Caption", elem_id="caption-output", interactive=False)
            labels = gr.Label(label="What the image model saw", elem_id="caption-labels")
            notes = gr.Markdown(elem_id="caption-notes")
    rows = example_rows(Path(ctx.settings.assets_dir), server.preset)
    if rows:
        gr.Examples(rows, inputs=[image], label="Try", elem_id="caption-examples")

    @friendly
    def caption(
        upload,
        mode_name=tasks.DEFAULT_MODE,
        length=tasks.DEFAULT_MAX_TOKENS,
        start="",
        model_name=None,  # the API's parameter names are part of its contract
    ):
        picture, _ = ctx.upload_image(upload)
        result = tasks.caption(
            server, picture, model=model_name, mode=mode_name, max_length=length, prefix=start
        )
        scores = {s.label: s.probability for s in result.labels} or None
        return result.caption, scores, caption_markdown(result)

    event = button.click(
        caption,
        [image, mode, max_length, prefix, model],
        [text, labels, notes],
        api_name="caption",
        preprocess=False,
        concurrency_limit=server.max_batch,  # let the micro-batcher see company
        concurrency_id=MODEL_QUEUE["caption"],
    )
    # a failed request must not leave the previous image's caption standing beside it
    event.failure(
        lambda: ("", None, NO_RESULT), None, [text, labels, notes], api_visibility="private"
    )
    model.change(
        lambda name: controls_for(can.get(name, first)),
        model,
        [decoding, mode, prefix],
        api_visibility="private",
    )
    image.change(lambda: ("", None, ""), None, [text, labels, notes], api_visibility="private")
