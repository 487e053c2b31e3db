"""The Ask (VQA) tab: a question about an image, ranked answers, and the questions asked.

The fusion menu appears only for a model that declares fusions (our shapes model, through
the routed VQA); suggested questions follow the chosen example image.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from mmdemo.core.errors import BadInputError
from mmdemo.core.results import VqaResult
from mmdemo.services import tasks
from mmdemo.ui.common import (
    MODEL_QUEUE,
    TabContext,
    friendly,
    image_input,
    model_dropdown,
    random_note,
)

TITLE = "Ask (VQA)"
ID = "vqa"
ORDER = 40

# Questions that fit each example image (by file name); other images get generic ones.
EXAMPLE_QUESTIONS = {
    "blue_rectangle.png": ["What shape is in the image?", "What color is the shape?"],
    "red_circle.png": ["What shape is this?", "Is there a circle?", "Is the shape green?"],
    "teal_circle.png": ["What color is the shape?", "Is there a triangle?"],
    "yellow_triangle.png": ["Does the image contain a triangle?", "What color is the shape?"],
    "coffee_cup.png": ["What is this?", "Is there a cup?", "What color is the saucer?"],
    "chelsea_the_cat.png": ["Is there a cat in the picture?", "What animal is this?"],
    "falcon9_rocket_launch.jpg": ["What is this?", "Is it daytime?", "How many rockets?"],
    "astronaut_eileen_collins.png": ["Is there a person?", "What is the person wearing?"],
}
GENERIC_QUESTIONS = ["What is this?", "What color is it?", "How many people are there?"]


def vqa_markdown(result: VqaResult) -> str:
    lines = [f"*Answered by:* {result.model}."]
    if result.message:
        lines.insert(0, result.message if result.answered else f"**{result.message}**")
    return random_note(result.random_weights) + "\n\n".join(lines)


def suggested_questions(upload) -> list[str]:
    """Questions to offer for an uploaded image: its own if it is an example, else generic."""
    if not upload:
        return []
    name = upload.get("orig_name") or upload.get("path", "") if isinstance(upload, dict) else upload
    return EXAMPLE_QUESTIONS.get(Path(str(name)).name, GENERIC_QUESTIONS)


def history_markdown(history: list[list[str]]) -> str:
    if not history:
        return ""
    lines = ["**Asked about this image:**"]
    lines += [f"{i}. {q} → **{a}**" for i, (q, a) in enumerate(history, 1)]
    return "\n".join(lines)


def top_answer(answers) -> str:
    """The best answer in a gr.Label value ({answer: confidence}), or a note when none."""
    if isinstance(answers, dict) and answers:
        label, confidence = max(answers.items(), key=lambda item: item[1])
        return f"{label} ({confidence:.0%})"
    return "no answer"


def vqa_examples(assets: Path) -> list[list[str]]:
    """Shapes images with questions the shapes model knows, and photos for the photo VQA."""
    shapes = sorted((assets / "examples" / "shapes").glob("*.png"))
    photos = assets / "gallery"  # the default gallery folder
    rows = [[str(p), EXAMPLE_QUESTIONS[p.name][0]] for p in shapes if p.name in EXAMPLE_QUESTIONS]
    rows += [
        [str(photos / "coffee_cup.png"), "What is this?"],
        [str(photos / "chelsea_the_cat.png"), "Is there a cat in the picture?"],
        [str(photos / "falcon9_rocket_launch.jpg"), "How many rockets?"],
    ]
    return [row for row in rows if Path(row[0]).is_file()]


def build(ctx: TabContext) -> None:
    server = ctx.server
    fusions = {c.name: c.capabilities.fusions for c in tasks.model_choices(server, "vqa")}
    default_fusions = fusions[server.choices("vqa")[0]]
    gr.Markdown(
        "Visual question answering. With the `full` preset BLIP generates an answer, or ViLT "
        "ranks its 3,129 known answers (faster). Our own model, **trained here**, answers "
        "about images of one coloured shape (the easy-VQA world): a CNN for the image, word "
        "embeddings + GRU for the question, then a fusion of the two (four fusions compared "
        "in docs/quality.md) and a classifier over 13 answers; ordinary photos get answers "
        "ranked in the shared image-text space, for the question kinds that allows."
    )
    history = gr.State([])
    with gr.Row():
        with gr.Column():
            image = image_input("Image", "vqa-image")
            question = gr.Textbox(
                label="Question", elem_id="vqa-question", placeholder="e.g. What is this?"
            )
            suggestions = gr.Radio(
                [], label="Suggested questions for this image", elem_id="vqa-suggestions"
            )
            model = model_dropdown(server, "vqa", "vqa-model")
            every_fusion = list(next((f for f in fusions.values() if f), ())) or ["product"]
            # Always a value, also when no model has fusions (the menu is hidden then): a
            # component without one makes the input required in the API, and /vqa with
            # only (image, question) must keep working.
            fusion = gr.Dropdown(
                every_fusion,
                value="product" if "product" in every_fusion else every_fusion[0],
                label="Fusion of the shapes model (how image and question features combine)",
                elem_id="vqa-fusion",
                visible=bool(default_fusions),
            )
            button = gr.Button("Ask", variant="primary", elem_id="vqa-button")
        with gr.Column():
            answers = gr.Label(label="Answers", elem_id="vqa-answers", num_top_classes=5)
            notes = gr.Markdown(elem_id="vqa-notes")
            asked = gr.Markdown(elem_id="vqa-history")
    examples = vqa_examples(Path(ctx.settings.assets_dir))
    if examples:
        gr.Examples(examples, inputs=[image, question], label="Try", elem_id="vqa-examples")

    @friendly
    def ask(upload, text, fusion_name="product", model_name=None):
        if not upload:
            raise BadInputError("No image: upload the image your question is about.")
        picture, _ = ctx.upload_image(upload)
        chosen = tasks.choice(model_name, "The VQA model")
        # the menu is sent with every call; it means something only to a model with fusions
        fusion_name = fusion_name if fusions.get(chosen or server.choices("vqa")[0]) else None
        result = tasks.answer(server, picture, text, model=chosen, fusion=fusion_name)
        scores = {s.label: s.probability for s in result.answers}
        return scores or None, vqa_markdown(result)

    def remember(text, shown, past):
        past = [*(past or []), [text, top_answer(shown)]][-10:]
        return past, history_markdown(past)

    def new_image(upload):
        return gr.update(choices=suggested_questions(upload), value=None), [], ""

    gr.on(
        [button.click, question.submit],
        ask,
        [image, question, fusion, model],
        [answers, notes],
        api_name="vqa",
        preprocess=False,
        concurrency_limit=server.max_batch,  # let the micro-batcher see company
        concurrency_id=MODEL_QUEUE["vqa"],
    ).success(remember, [question, answers, history], [history, asked], api_visibility="private")
    image.change(
        new_image, image, [suggestions, history, asked], preprocess=False, api_visibility="private"
    )
    suggestions.input(lambda q: q or gr.update(), suggestions, question, api_visibility="private")
    if any(fusions.values()):
        model.change(
            lambda name: gr.update(visible=bool(fusions.get(name))),
            model,
            fusion,
            api_visibility="private",
        )
