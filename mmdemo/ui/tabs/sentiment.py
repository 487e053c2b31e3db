"""The Sentiment tab: text, image or both, each modality's reading, and how they were fused.

The tab shows the client's last idea (multimodal sentiment) as a picture - one stacked bar
per modality and one for the fused result - and says which way each modality pulled. All
the work is ``tasks.sentiment``, the call the CLI makes too, so the page, the API and the
command line cannot disagree. Early fusion is offered only once a head has been trained;
before that the page says what it needs and the one command that trains it.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from mmdemo.core.errors import MMDemoError
from mmdemo.services import tasks
from mmdemo.services.sentiment import DEFAULT_FUSION, DEFAULT_TEXT_WEIGHT, FUSIONS, SentimentFusion
from mmdemo.serving import ModelServer
from mmdemo.ui import examples
from mmdemo.ui.common import MODEL_QUEUE, TabContext, friendly, image_input
from mmdemo.ui.i18n import register, t

TRAIN_COMMAND = "python -m mmdemo train sentiment-fusion --data CSV"

register({"tab.sentiment": ("Sentiment", "情感")})
TITLE = t("tab.sentiment")
ID = "sentiment"
ORDER = 50

NO_RESULT = "⚠️ **No result** — the request could not be analysed (the message says why)."
SENTIMENT_COLOURS = {"negative": "#dc2626", "neutral": "#9ca3af", "positive": "#16a34a"}
SERIES_ORDER = ["text", "image", "fused"]


def example_rows(assets: Path, preset: str) -> list[list]:
    """(text, image, fusion, text weight) rows for ``preset``, from ui/examples.py (where
    each one's intended result is written down and tested)."""
    rows = []
    for example in examples.sentiment_examples(preset):
        image = examples.existing(assets, example.image)
        if example.image is None or image:
            rows.append([example.text, image, example.fusion, example.text_weight])
    return rows


def intro(server: ModelServer) -> str:
    """What the loaded models do, in plain words."""
    text = server.spec_for("sentiment").label
    image = server.spec_for("image_sentiment").label
    caption = server.spec_for("caption").label
    return (
        "Sentiment of a text, a photo, or both together. The **text** is read by "
        f"*{text}*; the **photo** by *{image}*. A **fusion** step combines the two: pick "
        "one and see which way each pulled. For the caption bridge the photo is first "
        f"described in words (*{caption}*) and the text model reads both."
    )


EARLY_NEEDS_HEAD = (
    "*Feature level (early fusion)* needs a small head trained on examples of images and "
    "texts with their sentiment; none has been trained on this server yet. Whoever runs "
    "the server can train one with one command: `{command}`, then restart the app."
)


def chart_frame(result):
    """The result as rows for a stacked bar chart: x = modality, colour = sentiment."""
    import pandas as pd

    return pd.DataFrame(result.chart_rows())


def result_markdown(result) -> str:
    """The fused verdict, each modality's reading and pull, then the fusion's own notes."""
    how = result.fusion + " fusion"
    if result.text_weight is not None and len(result.modalities) > 1:
        how += f", text weight {result.text_weight:.2f}"
    lines = [f"**Fused: {result.label}** ({how})", ""]
    for m in result.modalities:
        top = max(m.probabilities, key=lambda s: s.probability)
        lines.append(
            f"- **{m.modality.capitalize()}** — {m.source}: {top.label} {top.probability:.0%}; "
            f"pulled {m.pull if m.pull != 'neither' else 'neither way'}"
        )
    if result.notes:
        lines += ["", *[f"{note}" for note in result.notes]]
    return "\n".join(lines)


def fusion_help(server: ModelServer, name: str) -> str:
    """The chosen fusion's explanation; for early fusion, also whether a head is trained."""
    info = FUSIONS.get(name)
    if info is None:
        return ""
    text = f"*{info.title}:* {info.explanation}"
    if name == "early":
        try:
            text += "\n\n" + SentimentFusion(server).head_status()
        except MMDemoError as err:
            text += f"\n\n**{err}**"
    return text


def build(ctx: TabContext) -> None:
    server = ctx.server
    gr.Markdown(intro(server), elem_id="sentiment-intro")
    early = SentimentFusion(server).head_trained()
    offered = {name: info for name, info in FUSIONS.items() if early or name != "early"}
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text", elem_id="sentiment-text", lines=3)
            image = image_input("Image (optional)", "sentiment-image", height=220)
            fusion = gr.Radio(
                [(info.title, name) for name, info in offered.items()],
                value=DEFAULT_FUSION,
                label="Fusion",
                elem_id="sentiment-fusion",
            )
            explanation = gr.Markdown(FUSIONS[DEFAULT_FUSION].explanation, elem_id="fusion-help")
            if not early:  # shown as what it needs, not offered as a choice that fails
                gr.Markdown(
                    EARLY_NEEDS_HEAD.format(command=TRAIN_COMMAND), elem_id="sentiment-early-needs"
                )
            weight = gr.Slider(
                0,
                1,
                value=DEFAULT_TEXT_WEIGHT,
                step=0.05,
                label="Text weight (late fusion): 1 = text only, 0 = image only",
                elem_id="sentiment-weight",
            )
            button = gr.Button("Analyse", variant="primary", elem_id="sentiment-button")
        with gr.Column():
            fused = gr.Label(label="Fused sentiment", elem_id="sentiment-output")
            chart = gr.BarPlot(
                x="series",
                y="probability",
                color="sentiment",
                color_map=SENTIMENT_COLOURS,
                sort=SERIES_ORDER,
                y_lim=[0, 1],
                label="Each modality and the fused (green positive, grey neutral, red negative)",
                elem_id="sentiment-chart",
                height=260,
            )
            notes = gr.Markdown(elem_id="sentiment-notes")
            with gr.Accordion("Raw result (JSON)", open=False):
                raw = gr.JSON(elem_id="sentiment-json")
    gr.Examples(
        example_rows(Path(ctx.settings.assets_dir), server.preset),
        inputs=[text, image, fusion, weight],
        label="Try (the first pairs text and image that disagree)",
        elem_id="sentiment-examples",
    )

    @friendly
    def analyse(value, upload=None, fusion_name=DEFAULT_FUSION, text_weight=DEFAULT_TEXT_WEIGHT):
        picture = ctx.upload_image(upload)[0] if upload else None
        result = tasks.sentiment(
            server, value, picture, fusion=fusion_name, text_weight=text_weight
        )
        return (
            {s.label: s.probability for s in result.probabilities},
            chart_frame(result),
            result_markdown(result),
            result.to_json(),
        )

    event = gr.on(
        [button.click, text.submit],
        analyse,
        [text, image, fusion, weight],
        [fused, chart, notes, raw],
        api_name="sentiment",
        preprocess=False,
        concurrency_id=MODEL_QUEUE["sentiment"],
    )
    # a failed request must not leave the previous result standing as if it were this one's
    event.failure(
        lambda: (None, None, NO_RESULT, None),
        None,
        [fused, chart, notes, raw],
        api_visibility="private",
    )
    fusion.change(
        lambda name: (
            fusion_help(server, name),
            gr.update(interactive=name == "late"),
        ),
        fusion,
        [explanation, weight],
        api_visibility="private",
    )
