"""The Caption, Ask (VQA) and Sentiment tabs: one backend call each, through the model server.

Each tab shows what the model is and how sure it is, and says so plainly when the active
backend is label-based, rule-based or cannot answer a kind of question.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from mmdemo.config import PROJECT_ROOT
from mmdemo.errors import BadInputError
from mmdemo.serving import ModelServer
from mmdemo.types import CaptionResult, SentimentResult, VqaResult
from mmdemo.ui_parts import friendly, image_input, upload_image

EXAMPLES_DIR = PROJECT_ROOT / "assets" / "examples"
SENTIMENT_EXAMPLES = [
    "I love this place, the coffee is wonderful!",
    "The service was slow and the food was cold.",
    "The train leaves at nine.",
    "Great, another rainy Monday.",
]


SHAPE_QUESTIONS = [
    "What shape is in the image?",
    "What color is the shape?",
    "Is there a triangle?",
    "Does the image contain a blue shape?",
]


def random_note(server: ModelServer, task: str) -> str:
    """A warning line when ``task`` rests on random weights (tiny): never shown as real."""
    if server.is_random(task):
        return "⚠️ *Random test weights (preset `tiny`): this output is meaningless.*\n\n"
    return ""


def caption_markdown(result: CaptionResult) -> str:
    lines = [f"*Method:* {result.method}."]
    if result.nearest:
        lines.append("\n**Closest human-written captions in the gallery:**")
        lines += [f"- {s.label} *(similarity {s.probability:.2f})*" for s in result.nearest]
    return "\n".join(lines)


def vqa_markdown(result: VqaResult) -> str:
    lines = [f"*Answered by:* {result.model}."]
    if result.message:
        lines.insert(0, result.message if result.answered else f"**{result.message}**")
    return "\n\n".join(lines)


def sentiment_markdown(result: SentimentResult) -> str:
    details = ", ".join(
        f"{k} {v:.3f}" if isinstance(v, float) else f"{k}: {v}" for k, v in result.details.items()
    )
    return f"**{result.label}** · *model:* {result.model}" + (
        f"\n\n*Details:* {details}" if details else ""
    )


def caption_tab(server: ModelServer) -> None:
    with gr.Row():
        with gr.Column():
            image = image_input("Image", "caption-image")
            with gr.Accordion("Decoding (generative captioners such as BLIP)", open=False):
                mode = gr.Radio(
                    [("Beam search", "beam"), ("Nucleus sampling", "sample")],
                    value="beam",
                    label="Mode",
                    elem_id="caption-mode",
                )
                max_length = gr.Slider(5, 100, value=30, step=1, label="Max new tokens")
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
    def caption(upload, mode_name="beam", length=30, start=""):
        picture, _ = upload_image(upload, server.settings.max_image_pixels)
        backend = server.get("caption")
        options = {}
        if getattr(backend, "generative", False):
            try:
                length = int(float(length))
            except (TypeError, ValueError):
                raise BadInputError(f"Max new tokens must be a number, not {length!r}.") from None
            options = {"mode": mode_name or "beam", "max_length": length, "prefix": start or ""}
        elif (start or "").strip():
            raise BadInputError(
                "A caption prefix needs a generative captioner (the full preset's BLIP); the "
                "active one is label-based."
            )
        result = backend.caption(picture, **options)
        return (
            result.caption,
            {s.label: s.probability for s in result.labels} or None,
            random_note(server, "caption") + caption_markdown(result),
        )

    button.click(
        caption,
        [image, mode, max_length, prefix],
        [text, labels, notes],
        api_name="caption",
        preprocess=False,
    )


def vqa_examples() -> list[list[str]]:
    """Shapes images with questions the shapes model knows, and photos for the photo VQA."""
    shapes = sorted((EXAMPLES_DIR / "shapes").glob("*.png"))
    gallery = PROJECT_ROOT / "assets" / "gallery"
    rows = [[str(p), q] for p, q in zip(shapes, SHAPE_QUESTIONS, strict=False)]
    rows += [
        [str(gallery / "coffee_cup.png"), "What is this?"],
        [str(gallery / "chelsea_the_cat.png"), "Is there a cat in the picture?"],
        [str(gallery / "falcon9_rocket_launch.jpg"), "How many people are watching?"],
    ]
    return [row for row in rows if Path(row[0]).is_file()]


def vqa_tab(server: ModelServer) -> None:
    gr.Markdown(
        "Visual question answering. With the `full` preset a BLIP VQA model answers. With "
        "`lite`, images of one coloured shape (the easy-VQA world) go to "
        "a small model **trained here**: a CNN for the image, word embeddings + GRU for the "
        "question, a product fusion (four fusions compared in docs/quality.md), a classifier "
        "over 13 answers. Ordinary photos get "
        "answers ranked in the shared image–text space, for the question kinds that allows."
    )
    with gr.Row():
        with gr.Column():
            image = image_input("Image", "vqa-image")
            question = gr.Textbox(
                label="Question", elem_id="vqa-question", placeholder="e.g. What is this?"
            )
            fusion = gr.Dropdown(
                ["product", "sum", "attention", "concat"],
                value="product",
                label="Fusion of the shapes model (how image and question features combine)",
                elem_id="vqa-fusion",
            )
            button = gr.Button("Ask", variant="primary", elem_id="vqa-button")
        with gr.Column():
            answers = gr.Label(label="Answers", elem_id="vqa-answers", num_top_classes=5)
            notes = gr.Markdown(elem_id="vqa-notes")
    examples = vqa_examples()
    if examples:
        gr.Examples(examples, inputs=[image, question], label="Try", elem_id="vqa-examples")

    @friendly
    def ask(upload, text, fusion_name="product"):
        if not upload:
            raise BadInputError("No image: upload the image your question is about.")
        picture, _ = upload_image(upload, server.settings.max_image_pixels)
        backend = server.get("vqa")
        if getattr(backend, "fusions", ()):  # the routed lite VQA: pick the shapes fusion
            result = backend.answer(picture, text, fusion=fusion_name or None)
        else:
            result = backend.answer(picture, text)
        scores = {s.label: s.probability for s in result.answers}
        return scores or None, random_note(server, "vqa") + vqa_markdown(result)

    for trigger in (button.click, question.submit):
        trigger(ask, [image, question, fusion], [answers, notes], api_name="vqa", preprocess=False)


def sentiment_tab(server: ModelServer) -> None:
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text", elem_id="sentiment-text", lines=3)
            button = gr.Button("Analyse", variant="primary", elem_id="sentiment-button")
            gr.Examples(SENTIMENT_EXAMPLES, inputs=text, label="Try")
        with gr.Column():
            probabilities = gr.Label(label="Sentiment", elem_id="sentiment-output")
            notes = gr.Markdown(elem_id="sentiment-notes")

    @friendly
    def analyse(value):
        result = server.get("sentiment").analyze(value or "")
        return (
            {s.label: s.probability for s in result.probabilities},
            random_note(server, "sentiment") + sentiment_markdown(result),
        )

    for trigger in (button.click, text.submit):
        trigger(analyse, text, [probabilities, notes], api_name="sentiment")
