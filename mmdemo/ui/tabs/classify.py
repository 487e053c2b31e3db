"""The Classify tab: zero-shot classification with labels the visitor types."""

from __future__ import annotations

import gradio as gr

from mmdemo.services import tasks
from mmdemo.ui.common import MODEL_QUEUE, TabContext, friendly, image_input

TITLE = "Classify"
ID = "classify"
ORDER = 20

DEFAULT_LABELS = "a cat, a dog, a cup of coffee, a rocket launch, an astronaut, a flower"
DEFAULT_TEMPLATE = "a photo of {}."


def build(ctx: TabContext) -> None:
    gr.Markdown(
        "Zero-shot classification: each label becomes a sentence (*a photo of a …*), both are "
        "embedded in the same space, and the softmax of their similarities (scaled by the "
        "model's learned temperature) gives the probabilities."
    )
    with gr.Row():
        with gr.Column():
            image = image_input("Image", "classify-image")
            labels = gr.Textbox(
                label="Labels, comma-separated", value=DEFAULT_LABELS, elem_id="classify-labels"
            )
            template = gr.Textbox(label="Prompt template ({} is the label)", value=DEFAULT_TEMPLATE)
            button = gr.Button("Classify", variant="primary", elem_id="classify-button")
        probabilities = gr.Label(label="Probabilities", elem_id="classify-output")

    @friendly
    def classify(upload, labels=DEFAULT_LABELS, template=DEFAULT_TEMPLATE):
        picture, _ = ctx.upload_image(upload)
        result = tasks.classify(ctx.server, picture, labels, template)
        return {s.label: s.probability for s in result.scores}

    button.click(
        classify,
        [image, labels, template],
        probabilities,
        api_name="classify",
        preprocess=False,
        concurrency_id=MODEL_QUEUE["classify"],
    )
