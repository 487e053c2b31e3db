"""The Caption tab: a caption of one image, how it was made, and what the model saw.

Decoding controls are shown only for a model that declares them (``Capabilities``): a
label-based captioner gets none.
"""

from __future__ import annotations

import gradio as gr

from mmdemo.core.results import CaptionResult
from mmdemo.services import tasks
from mmdemo.ui.common import (
    MODEL_QUEUE,
    TabContext,
    friendly,
    image_input,
    model_dropdown,
    random_note,
)

TITLE = "Caption"
ID = "caption"
ORDER = 30


def caption_markdown(result: CaptionResult) -> str:
    lines = [f"*Method:* {result.method}."]
    if result.nearest:
        lines.append("\n**Closest human-written captions in the gallery:**")
        lines += [f"- {s.label} *(similarity {s.probability:.2f})*" for s in result.nearest]
    return random_note(result.random_weights) + "\n".join(lines)


def build(ctx: TabContext) -> None:
    server = ctx.server
    generative = {c.name: c.capabilities.generative for c in tasks.model_choices(server, "caption")}
    with gr.Row():
        with gr.Column():
            image = image_input("Image", "caption-image")
            model = model_dropdown(server, "caption", "caption-model")
            with gr.Accordion(
                "Decoding (generative captioners such as BLIP)",
                open=False,
                visible=generative[server.choices("caption")[0]],
            ) as decoding:
                mode = gr.Radio(
                    [("Beam search", "beam"), ("Nucleus sampling", "sample")],
                    value=tasks.DEFAULT_MODE,
                    label="Mode",
                    elem_id="caption-mode",
                )
                max_length = gr.Slider(
                    5, 100, value=tasks.DEFAULT_MAX_TOKENS, step=1, label="Max new tokens"
                )
                prefix = gr.Textbox(
                    value="",
                    label="Start the caption with (conditional captioning)",
                    placeholder="e.g. a photo of",
                    elem_id="caption-prefix",
                )
            button = gr.Button("Caption", variant="primary", elem_id="caption-button")
        with gr.Column():
            text = gr.Textbox(label="Caption", elem_id="caption-output", interactive=False)
            labels = gr.Label(label="What the image model saw", elem_id="caption-labels")
            notes = gr.Markdown(elem_id="caption-notes")

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

    button.click(
        caption,
        [image, mode, max_length, prefix, model],
        [text, labels, notes],
        api_name="caption",
        preprocess=False,
        concurrency_limit=server.max_batch,  # let the micro-batcher see company
        concurrency_id=MODEL_QUEUE["caption"],
    )
    model.change(
        lambda name: gr.update(visible=generative.get(name, False)),
        model,
        decoding,
        api_visibility="private",
    )
