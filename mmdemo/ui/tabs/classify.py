"""The Classify tab: zero-shot classification with labels the visitor types.

Examples (image, labels) come from ui/examples.py per preset, each with the label it must
put first; tests/integration/test_examples.py checks them.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from mmdemo.services import tasks
from mmdemo.ui import examples
from mmdemo.ui.common import MODEL_QUEUE, TabContext, friendly, image_input
from mmdemo.ui.i18n import register, t

register({"tab.classify": ("Classify", "分类")})
TITLE = t("tab.classify")
ID = "classify"
ORDER = 20

DEFAULT_LABELS = examples.CLASSIFY_LABELS
DEFAULT_TEMPLATE = "a photo of {}."


def intro(model: str) -> str:
    """What the tab does with the loaded model, in plain words."""
    return (
        "Type the labels you want, separated by commas: each becomes a short sentence "
        "(*a photo of a …*), and the image model (*" + model + "*) scores how well each "
        "sentence fits the image. The scores are shown as probabilities that add up to 100%."
    )


def example_rows(assets: Path, preset: str) -> list[list[str]]:
    rows = []
    for example in examples.classify_examples(preset):
        path = examples.existing(assets, example.image)
        if path:
            rows.append([path, example.labels])
    return rows


def build(ctx: TabContext) -> None:
    gr.Markdown(intro(ctx.server.spec_for("embed").label), elem_id="classify-intro")
    with gr.Row():
        with gr.Column():
            image = image_input("Image", "classify-image")
            labels = gr.Textbox(
                label="Labels, comma-separated", value=DEFAULT_LABELS, elem_id="classify-labels"
            )
            template = gr.Textbox(label="Prompt template ({} is the label)", value=DEFAULT_TEMPLATE)
            button = gr.Button("Classify", variant="primary", elem_id="classify-button")
        probabilities = gr.Label(label="Probabilities", elem_id="classify-output")
    rows = example_rows(Path(ctx.settings.assets_dir), ctx.server.preset)
    if rows:
        gr.Examples(rows, inputs=[image, labels], label="Try", elem_id="classify-examples")

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
