"""The Sentiment tab: text, image or both, each modality's reading, and how they were fused.

The tab shows the client's last idea (multimodal sentiment) as a picture - one stacked bar
per modality and one for the fused result - and says which way each modality pulled. All
the work is ``tasks.sentiment``, the call the CLI makes too, so the page, the API and the
command line cannot disagree.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from mmdemo.core.errors import MMDemoError
from mmdemo.services import tasks
from mmdemo.services.sentiment import DEFAULT_FUSION, DEFAULT_TEXT_WEIGHT, FUSIONS, SentimentFusion
from mmdemo.serving import ModelServer
from mmdemo.ui.common import MODEL_QUEUE, TabContext, friendly, image_input

TITLE = "Sentiment"
ID = "sentiment"
ORDER = 50

SENTIMENT_COLOURS = {"negative": "#dc2626", "neutral": "#9ca3af", "positive": "#16a34a"}
SERIES_ORDER = ["text", "image", "fused"]


def sentiment_examples(assets: Path) -> list[list]:
    """(text, image, fusion, text weight) rows, including text and image that disagree."""
    photos, examples = assets / "gallery", assets / "examples" / "sentiment"
    rows = [
        ["Great, another rainy day.", examples / "temple_grey_overcast.jpg", "late", 0.5],
        ["I love this place, the coffee is wonderful!", photos / "coffee_cup.png", "late", 0.5],
        ["What a terrible, awful day.", photos / "flower.jpg", "late", 0.5],
        ["Great, another rainy day.", examples / "temple_grey_overcast.jpg", "caption", 0.5],
        ["The service was slow and the food was cold.", None, "late", 0.5],
        ["", photos / "flower.jpg", "late", 0.5],
    ]
    return [
        [text, str(image) if image else None, fusion, weight]
        for text, image, fusion, weight in rows
        if image is None or image.is_file()
    ]


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
    gr.Markdown(
        "Multimodal sentiment. The **text** is read by a text model (DistilBERT with `full`, "
        "the VADER lexicon with `lite`); the **image** by zero-shot prompts (*a photo that "
        "feels happy / sad …*) in the shared image-text space. A **fusion** step combines "
        "them: pick one and see which way each modality pulled. Text or image alone works too."
    )
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text", elem_id="sentiment-text", lines=3)
            image = image_input("Image (optional)", "sentiment-image", height=220)
            fusion = gr.Radio(
                [(info.title, name) for name, info in FUSIONS.items()],
                value=DEFAULT_FUSION,
                label="Fusion",
                elem_id="sentiment-fusion",
            )
            explanation = gr.Markdown(FUSIONS[DEFAULT_FUSION].explanation, elem_id="fusion-help")
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
        sentiment_examples(Path(ctx.settings.assets_dir)),
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

    gr.on(
        [button.click, text.submit],
        analyse,
        [text, image, fusion, weight],
        [fused, chart, notes, raw],
        api_name="sentiment",
        preprocess=False,
        concurrency_id=MODEL_QUEUE["sentiment"],
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
