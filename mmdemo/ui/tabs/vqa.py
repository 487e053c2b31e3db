"""The Ask (VQA) tab: a question about an image, ranked answers, and the questions asked.

Controls follow the chosen model's declared ``Capabilities``: suggested questions and
example rows are only of kinds it answers (``ui/examples``, where each one's right answer
is written down and tested), and the fusion menu appears only for a model with fusions and
an image from the shapes world they apply to.

A Chinese visitor is offered Chinese questions where the model reads them (lite's photo
VQA, which answers in Chinese); BLIP and ViLT read English only, so they are offered the
English questions and the intro says so (a Chinese question gets a Chinese refusal toast).
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
    examples_per_language,
    friendly,
    image_input,
    model_dropdown,
    random_note,
    shown_examples,
)
from mmdemo.ui.i18n import localised, register, request_language, t, text
from mmdemo.ui.tabs._model_labels import model_label, model_menu

register(
    {
        "tab.vqa": ("Ask (VQA)", "提问（视觉问答）"),
        "vqa.intro_head": (
            "Ask a question about an image and get ranked answers with their confidence.",
            "就一张图片提一个问题，得到按把握大小排序的答案。",
        ),
        "vqa.intro_line": ("- **{label}**{note}: {does}.", "- **{label}**{note}：{does}。"),
        "vqa.does_open": ("answers open questions about any photo", "回答关于任何照片的开放式问题"),
        "vqa.does_what": (
            "answers *what is this?* and *is there a …?* about photos, by comparing the "
            "photo with words in the shared image-text space",
            "回答关于照片的“这是什么？”和“有没有……？”，方法是在图文共享空间里把照片和词语作比较",
        ),
        "vqa.does_shapes_only": (
            "answers only about images of one coloured shape",
            "只回答关于单个彩色形状图片的问题",
        ),
        "vqa.does_shapes": (
            "; images of one coloured shape go to a small model **trained here** (a CNN "
            "for the image, a GRU for the question, then a fusion of the two you can choose)",
            "；单个彩色形状的图片交给一个**在这里训练的**小模型（图像用 CNN，问题用 GRU，"
            "再把两者融合，融合方式可以选）",
        ),
        "vqa.english_only": (
            "; it reads questions in English only",
            "；它只读英文问题，请用英文提问",
        ),
        "vqa.shapes_english_only": (
            "; questions about shapes in English only",
            "；关于形状的问题只能用英文问",
        ),
        "vqa.random": (" (random test weights)", "（随机测试权重）"),
        "vqa.image": ("Image", "图片"),
        "vqa.question": ("Question", "问题"),
        "vqa.placeholder": ("e.g. What is this?", "例如：这是什么？"),
        "vqa.placeholder_english": ("e.g. What is this?", "例如 What is this?（请用英文提问）"),
        "vqa.suggestions": ("Suggested questions for this image", "适合这张图片的问题"),
        "vqa.fusion": (
            "Fusion of the shapes model (how image and question features combine)",
            "形状模型的融合方式（图像特征和问题特征怎样结合）",
        ),
        "vqa.button": ("Ask", "提问"),
        "vqa.answers": ("Answers", "答案"),
        "vqa.examples": ("Try", "试试这些"),
        "vqa.answered_by": ("*Answered by:* {model}.", "*回答的模型：* {model}。"),
        "vqa.history": ("**Asked about this image:**", "**关于这张图片问过的：**"),
        "vqa.no_answer": ("no answer", "没有答案"),
        "vqa.no_result": (
            "⚠️ **No answer** — the question could not be asked (the message says why).",
            "⚠️ **没有答案** — 这个问题没能提交（提示消息里说明了原因）。",
        ),
    }
)
TITLE = t("tab.vqa")
ID = "vqa"
ORDER = 40


def vqa_markdown(result: VqaResult, language: str | None = None) -> str:
    """Which model answered and its note (the package's English, localised)."""
    lines = [text("vqa.answered_by", language, model=result.model)]
    if result.message:
        message = localised(result.message, language)
        lines.insert(0, message if result.answered else f"**{message}**")
    return random_note(result.random_weights, language) + "\n\n".join(lines)


def upload_name(upload) -> str | None:
    """The file name the visitor (or an example row) gave the image."""
    if not upload:
        return None
    name = upload.get("orig_name") or upload.get("path", "") if isinstance(upload, dict) else upload
    return Path(str(name)).name or None


def intro(choices: list[tasks.ModelChoice], language: str = "en") -> str:
    """What the loaded VQA models do, in plain words (the first is the default)."""
    lines = [text("vqa.intro_head", language)]
    for choice in choices:
        can = choice.capabilities
        if can.answers("open", "photo"):
            does = text("vqa.does_open", language)
        elif can.answers("what", "photo"):
            does = text("vqa.does_what", language)
        else:
            does = text("vqa.does_shapes_only", language)
        if can.answers("shape", "shapes") and not can.answers("open", "shapes"):
            does += text("vqa.does_shapes", language)
        if language != "en":  # what an English reader needs no warning about
            if not examples.reads_chinese(can):
                does += text("vqa.english_only", language)
            elif can.answers("shape", "shapes"):
                does += text("vqa.shapes_english_only", language)
        note = text("vqa.random", language) if choice.is_random else ""
        label = model_label("vqa", choice, language)
        lines.append(text("vqa.intro_line", language, label=label, note=note, does=does))
    return "\n".join(lines)


def history_markdown(history: list[list[str]], language: str | None = None) -> str:
    if not history:
        return ""
    lines = [text("vqa.history", language)]
    lines += [f"{i}. {q} → **{a}**" for i, (q, a) in enumerate(history, 1)]
    return "\n".join(lines)


def top_answer(answers, language: str | None = None) -> str:
    """The best answer in a gr.Label value ({answer: confidence}), or a note when none."""
    if isinstance(answers, dict) and answers:
        label, confidence = max(answers.items(), key=lambda item: item[1])
        return f"{label} ({confidence:.0%})"
    return text("vqa.no_answer", language)


def example_rows(assets: Path, can: Capabilities, language: str = "en") -> list[list[str]]:
    """(image, question) rows for gr.Examples: what the default model answers truly."""
    rows = []
    for image, question in examples.vqa_examples(can, language):
        path = examples.existing(assets, image.image)
        if path:
            rows.append([path, question.text])
    return rows


def build(ctx: TabContext) -> None:
    server = ctx.server
    choices = tasks.model_choices(server, "vqa")
    can = {c.name: c.capabilities for c in choices}
    default = choices[0].name
    chinese_ok = examples.reads_chinese(can[default])
    shown = gr.Markdown(intro(choices), elem_id="vqa-intro")
    history = gr.State([])
    with gr.Row():
        with gr.Column():
            image = image_input(t("vqa.image"), "vqa-image")
            question = gr.Textbox(
                label=t("vqa.question"), elem_id="vqa-question", placeholder=t("vqa.placeholder")
            )
            suggestions = gr.Radio([], label=t("vqa.suggestions"), elem_id="vqa-suggestions")
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
                label=t("vqa.fusion"),
                elem_id="vqa-fusion",
                visible=False,
            )
            button = gr.Button(t("vqa.button"), variant="primary", elem_id="vqa-button")
        with gr.Column():
            answers = gr.Label(label=t("vqa.answers"), elem_id="vqa-answers", num_top_classes=5)
            notes = gr.Markdown(elem_id="vqa-notes")
            asked = gr.Markdown(elem_id="vqa-history")
    assets = Path(ctx.settings.assets_dir)
    sets = examples_per_language(
        lambda language: example_rows(assets, can[default], language),
        [image, question],
        t("vqa.examples"),
        "vqa-examples",
        ("en", "zh") if chinese_ok else ("en",),
    )

    def render(lang: str) -> tuple:
        placeholder = "vqa.placeholder" if chinese_ok else "vqa.placeholder_english"
        return (
            gr.update(value=intro(choices, lang)),
            gr.update(placeholder=text(placeholder, lang)),
            model_menu("vqa", choices, lang),
            *shown_examples(sets, lang),
        )

    ctx.in_language([shown, question, model, *sets.values()], render)

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
        """Suggestions (in the visitor's language where the model reads it) and the fusion
        menu for this image and model."""
        model_can = can.get(model_name or default, can[default])
        if not upload:
            return gr.update(choices=[], value=None), gr.update(visible=False)
        domain = domain_of(upload)
        offered = examples.suggested_questions(
            model_can, upload_name(upload), domain, request_language()
        )
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
    event.failure(
        lambda: (None, text("vqa.no_result")), None, [answers, notes], api_visibility="private"
    )
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
