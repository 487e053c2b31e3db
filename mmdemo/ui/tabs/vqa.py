"""The Ask (VQA) tab: a question about an image, ranked answers, and the questions asked.

Controls follow the chosen model's declared ``Capabilities``: suggested questions and
example rows are only of kinds it answers (``ui/examples.py``, where each one's right
answer is written down and tested), and the fusion menu appears only for a model with
fusions and an image from the shapes world they apply to.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from mmdemo.core.errors import BadInputError
from mmdemo.core.results import VqaResult
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

register({"tab.vqa": ("Ask (VQA)", "提问（视觉问答）")})
TITLE = t("tab.vqa")
ID = "vqa"
ORDER = 40

NO_RESULT = "⚠️ **No answer** — the question could not be asked (the message says why)."


def vqa_markdown(result: VqaResult) -> str:
    lines = [f"*Answered by:* {result.model}."]
    if result.message:
        lines.insert(0, result.message if result.answered else f"**{result.message}**")
    return random_note(result.random_weights) + "\n\n".join(lines)


def upload_name(upload) -> str | None:
    """The file name the visitor (or an example row) gave the image."""
    if not upload:
        return None
    name = upload.get("orig_name") or upload.get("path", "") if isinstance(upload, dict) else upload
    return Path(str(name)).name or None


def intro(choices: list[tasks.ModelChoice]) -> str:
    """What the loaded VQA models do, in plain words (the first is the default)."""
    lines = ["Ask a question about an image and get ranked answers with their confidence."]
    for choice in choices:
        can = choice.capabilities
        if can.answers("open", "photo"):
            text = "answers open questions about any photo"
        elif can.answers("what", "photo"):
            text = (
                "answers *what is this?* and *is there a …?* about photos, by comparing the "
                "photo with words in the shared image-text space"
            )
        else:
            text = "answers only about images of one coloured shape"
        if can.answers("shape", "shapes") and not can.answers("open", "shapes"):
            text += (
                "; images of one coloured shape go to a small model **trained here** (a CNN "
                "for the image, a GRU for the question, then a fusion of the two you can "
                "choose)"
            )
        note = " (random test weights)" if choice.is_random else ""
        lines.append(f"- **{choice.label}**{note}: {text}.")
    return "\n".join(lines)


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


def example_rows(assets: Path, can: Capabilities) -> list[list[str]]:
    """(image, question) rows for gr.Examples: what the default model answers truly."""
    rows = []
    for image, question in examples.vqa_examples(can):
        path = examples.existing(assets, image.image)
        if path:
            rows.append([path, question.text])
    return rows


def build(ctx: TabContext) -> None:
    server = ctx.server
    choices = tasks.model_choices(server, "vqa")
    can = {c.name: c.capabilities for c in choices}
    default = choices[0].name
    gr.Markdown(intro(choices), elem_id="vqa-intro")
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
            every_fusion = list(next((c.fusions for c in can.values() if c.fusions), ()))
            every_fusion = every_fusion or ["product"]
            # Always a value, also when the menu is hidden: a component without one makes
            # the input required in the API, and /vqa with only (image, question) must keep
            # working. Shown only for a model with fusions and an image of the shapes world
            # (the fusions are our shapes model's; photos go elsewhere).
            fusion = gr.Dropdown(
                every_fusion,
                value="product" if "product" in every_fusion else every_fusion[0],
                label="Fusion of the shapes model (how image and question features combine)",
                elem_id="vqa-fusion",
                visible=False,
            )
            button = gr.Button("Ask", variant="primary", elem_id="vqa-button")
        with gr.Column():
            answers = gr.Label(label="Answers", elem_id="vqa-answers", num_top_classes=5)
            notes = gr.Markdown(elem_id="vqa-notes")
            asked = gr.Markdown(elem_id="vqa-history")
    rows = example_rows(Path(ctx.settings.assets_dir), can[default])
    if rows:
        gr.Examples(rows, inputs=[image, question], label="Try", elem_id="vqa-examples")

    @friendly
    def ask(upload, text, fusion_name="product", model_name=None):
        if not upload:
            raise BadInputError("No image: upload the image your question is about.")
        picture, _ = ctx.upload_image(upload)
        chosen = tasks.choice(model_name, "The VQA model")
        # the menu is sent with every call; it means something only to a model with fusions
        fusion_name = fusion_name if can.get(chosen or default, can[default]).fusions else None
        result = tasks.answer(server, picture, text, model=chosen, fusion=fusion_name)
        scores = {s.label: s.probability for s in result.answers}
        return scores or None, vqa_markdown(result)

    def remember(text, shown, past):
        past = [*(past or []), [text, top_answer(shown)]][-10:]
        return past, history_markdown(past)

    def domain_of(upload) -> str:
        known = examples.vqa_image(upload_name(upload))
        if known is not None:
            return known.domain
        try:
            return examples.image_domain(ctx.upload_image(upload)[0])
        except Exception:  # an unreadable upload: asking will say why, in a toast
            return "photo"

    def follow(upload, model_name):
        """Suggestions and the fusion menu for this image and model."""
        model_can = can.get(model_name or default, can[default])
        if not upload:
            return gr.update(choices=[], value=None), gr.update(visible=False)
        domain = domain_of(upload)
        offered = examples.suggested_questions(model_can, upload_name(upload), domain)
        return (
            gr.update(choices=[q.text for q in offered], value=None),
            gr.update(visible=bool(model_can.fusions) and domain == "shapes"),
        )

    def new_image(upload, model_name):
        return (*follow(upload, model_name), [], "", None, "")

    event = gr.on(
        [button.click, question.submit],
        ask,
        [image, question, fusion, model],
        [answers, notes],
        api_name="vqa",
        preprocess=False,
        concurrency_limit=server.max_batch,  # let the micro-batcher see company
        concurrency_id=MODEL_QUEUE["vqa"],
    )
    event.success(
        remember, [question, answers, history], [history, asked], api_visibility="private"
    )
    # a failed request must not leave the previous image's answer standing beside it
    event.failure(lambda: (None, NO_RESULT), None, [answers, notes], api_visibility="private")
    image.change(
        new_image,
        [image, model],
        [suggestions, fusion, history, asked, answers, notes],
        preprocess=False,
        api_visibility="private",
    )
    model.change(
        follow, [image, model], [suggestions, fusion], preprocess=False, api_visibility="private"
    )
    suggestions.input(lambda q: q or gr.update(), suggestions, question, api_visibility="private")
