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
from mmdemo.types import CaptionResult, VqaResult
from mmdemo.ui_parts import friendly, image_input, upload_image

EXAMPLES_DIR = PROJECT_ROOT / "assets" / "examples"


def random_note(server: ModelServer, task: str, backend: str | None = None) -> str:
    """A warning line when ``task`` rests on random weights (tiny): never shown as real."""
    if server.is_random(task, backend or None):
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


# How each choosable backend is named in a model dropdown (unknown names show as they are).
MODEL_LABELS = {
    "blip-caption": "BLIP (generated caption)",
    "blip-caption-tiny": "BLIP, tiny random (tests)",
    "label-caption": "Label-based (classes of the shared image-text space)",
    "blip-vqa": "BLIP VQA (generates one answer)",
    "blip-vqa-tiny": "BLIP VQA, tiny random (tests)",
    "vilt-vqa": "ViLT (faster; ranked answers with probabilities)",
    "vilt-vqa-tiny": "ViLT, tiny random (tests)",
    "routed-vqa": "Shapes model trained here + similarity answers for photos",
}


def model_dropdown(server: ModelServer, task: str, elem_id: str) -> gr.Dropdown:
    """The models a person may pick for ``task`` (hidden when there is only one)."""
    names = server.choices(task)
    return gr.Dropdown(
        [(MODEL_LABELS.get(name, name), name) for name in names],
        value=names[0],
        label="Model",
        elem_id=elem_id,
        visible=len(names) > 1,
    )


def caption_tab(server: ModelServer) -> None:
    with gr.Row():
        with gr.Column():
            image = image_input("Image", "caption-image")
            model = model_dropdown(server, "caption", "caption-model")
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
    def caption(upload, mode_name="beam", length=30, start="", model_name=None):
        picture, _ = upload_image(upload, server.settings.max_image_pixels)
        backend = server.get("caption", model_name or None)
        options = {}
        if getattr(backend, "generative", False):
            try:
                length = int(float(length))
            except (TypeError, ValueError):
                raise BadInputError(f"Max new tokens must be a number, not {length!r}.") from None
            options = {"mode": mode_name or "beam", "max_length": length, "prefix": start or ""}
        elif (start or "").strip():
            raise BadInputError(
                "A caption prefix needs a generative captioner (BLIP); the chosen one is "
                "label-based."
            )
        result = server.run("caption", "caption", picture, backend=model_name or None, **options)
        return (
            result.caption,
            {s.label: s.probability for s in result.labels} or None,
            random_note(server, "caption", model_name) + caption_markdown(result),
        )

    button.click(
        caption,
        [image, mode, max_length, prefix, model],
        [text, labels, notes],
        api_name="caption",
        preprocess=False,
        concurrency_limit=server.max_batch,  # let the micro-batcher see company
    )


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


def vqa_examples() -> list[list[str]]:
    """Shapes images with questions the shapes model knows, and photos for the photo VQA."""
    shapes = sorted((EXAMPLES_DIR / "shapes").glob("*.png"))
    gallery = PROJECT_ROOT / "assets" / "gallery"
    rows = [[str(p), EXAMPLE_QUESTIONS[p.name][0]] for p in shapes if p.name in EXAMPLE_QUESTIONS]
    rows += [
        [str(gallery / "coffee_cup.png"), "What is this?"],
        [str(gallery / "chelsea_the_cat.png"), "Is there a cat in the picture?"],
        [str(gallery / "falcon9_rocket_launch.jpg"), "How many rockets?"],
    ]
    return [row for row in rows if Path(row[0]).is_file()]


def vqa_tab(server: ModelServer) -> None:
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
            routed = "routed-vqa" in server.choices("vqa")
            fusion = gr.Dropdown(
                ["product", "sum", "attention", "concat"],
                value="product",
                label="Fusion of the shapes model (how image and question features combine)",
                elem_id="vqa-fusion",
                visible=server.choices("vqa")[0] == "routed-vqa",
            )
            button = gr.Button("Ask", variant="primary", elem_id="vqa-button")
        with gr.Column():
            answers = gr.Label(label="Answers", elem_id="vqa-answers", num_top_classes=5)
            notes = gr.Markdown(elem_id="vqa-notes")
            asked = gr.Markdown(elem_id="vqa-history")
    examples = vqa_examples()
    if examples:
        gr.Examples(examples, inputs=[image, question], label="Try", elem_id="vqa-examples")

    @friendly
    def ask(upload, text, fusion_name="product", model_name=None):
        if not upload:
            raise BadInputError("No image: upload the image your question is about.")
        picture, _ = upload_image(upload, server.settings.max_image_pixels)
        name = model_name or None
        if getattr(server.get("vqa", name), "fusions", ()):  # routed: pick the shapes fusion
            result = server.run(
                "vqa", "answer", picture, text, backend=name, fusion=fusion_name or None
            )
        else:
            result = server.run("vqa", "answer", picture, text, backend=name)
        scores = {s.label: s.probability for s in result.answers}
        return scores or None, random_note(server, "vqa", name) + vqa_markdown(result)

    def remember(text, shown, past):
        past = [*(past or []), [text, top_answer(shown)]][-10:]
        return past, history_markdown(past)

    def new_image(upload):
        return gr.update(choices=suggested_questions(upload), value=None), [], ""

    for trigger in (button.click, question.submit):
        trigger(
            ask,
            [image, question, fusion, model],
            [answers, notes],
            api_name="vqa",
            preprocess=False,
            concurrency_limit=server.max_batch,
        ).success(
            remember, [question, answers, history], [history, asked], api_visibility="private"
        )
    image.change(
        new_image, image, [suggestions, history, asked], preprocess=False, api_visibility="private"
    )
    suggestions.input(lambda q: q or gr.update(), suggestions, question, api_visibility="private")
    if routed:
        model.change(
            lambda name: gr.update(visible=name == "routed-vqa"),
            model,
            fusion,
            api_visibility="private",
        )
