"""The Generate tab: text -> image with a few-step diffusion model, a progress bar per step and
Cancel, then the loop back into the shared space (add to gallery, find similar photos,
caption it, ask about it) on the image just drawn.

Why the drawn image lives in a ``gr.State`` path (a PNG we wrote, in a private temp folder,
``services.drawn_images``: bounded, removed at exit, never served itself): the loop's buttons
act on what this server drew for this session, never on a path the browser sends.
``/generate`` is the API; the loop's buttons are private (an API caller holds the image file
and has ``/index_add``, ``/search_image``, ``/caption`` and ``/vqa``).

Chinese prompts are refused with a plain message (``services.generation.check_english``):
SD-Turbo's CLIP text encoder read English captions only, so a Chinese prompt would draw
something unrelated while looking like it worked. Examples are English in both languages.
lite has no diffusion model: the tab is one plain line saying it needs ``full``.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

import gradio as gr

from mmdemo.core.errors import BadInputError
from mmdemo.core.generate_results import (
    MAX_SEED,
    MAX_SIDE,
    MAX_STEPS,
    MIN_SIDE,
    SIDE_MULTIPLE,
    GenerateResult,
)
from mmdemo.core.imaging import load_image
from mmdemo.services import generation, tasks
from mmdemo.services.drawn_images import DrawnImages
from mmdemo.ui.common import MODEL_QUEUE, TabContext, friendly, model_dropdown, session_of
from mmdemo.ui.i18n import localised, register, request_language, t, text
from mmdemo.ui.panels.search_results import hit_label, shown_file
from mmdemo.ui.strings.generate import STRINGS
from mmdemo.ui.tabs._model_labels import model_label, model_menu
from mmdemo.ui.tabs.gallery import report_markdown

log = logging.getLogger(__name__)

register(STRINGS)
TITLE = t("tab.generate")
ID = "generate"
ORDER = 55  # after Chat (45) and Sentiment (50), before the Gallery (60) and Explore (70)

# Each is a promise: tests/integration/tabs/test_generate_tab.py draws every one (tiny).
EXAMPLES = (
    "a red fox in the snow, photo",
    "a lighthouse on a cliff at sunset, oil painting",
    "a bowl of ramen on a wooden table, studio light",
)
SIMILAR_K = 6


def done_markdown(result: GenerateResult, language: str | None = None) -> str:
    """What drew the image and how (and a stop, or the model's note), in ``language``."""
    lines = []
    if result.stopped == "time":
        lines.append(text("generate.time", language, done=result.steps_done, steps=result.steps))
    lines.append(
        text(
            "generate.done_one" if result.steps_done == 1 else "generate.done",
            language,
            model=result.model,
            seconds=f"{result.seconds:.1f}",
            steps=result.steps_done,
            seed=result.seed,
            width=result.width,
            height=result.height,
        )
    )
    if result.note:
        lines.append(f"*{localised(result.note, language)}*")
    return "\n\n".join(lines)


def intro(server, language: str = "en") -> str:
    if not generation.available(server):
        return text("generate.needs_full", language)
    default = tasks.model_choices(server, "generate")[0]
    note = text("generate.random", language) if default.is_random else ""
    label = model_label("generate", default, language)
    return text("generate.intro", language, model=label, note=note)


def loading_markdown(server, chosen: tasks.ModelChoice, language: str | None = None) -> str:
    """The wait before a drawing while ``chosen`` loads, naming it in ``language`` (the
    service's English line is the CLI's)."""
    label = model_label("generate", chosen, language)
    last = server.last_load_seconds("generate", chosen.name)
    if last is None:
        return text("generate.loading", language, model=label)
    return text("generate.loading_last", language, model=label, seconds=f"{last:.0f}")


def build(ctx: TabContext) -> None:
    server = ctx.server
    shown = gr.Markdown(intro(server), elem_id="generate-intro")
    if not generation.available(server):
        ctx.in_language(shown, lambda lang: gr.update(value=intro(server, lang)))
        return  # lite: the one line above, no fake controls
    choices = tasks.model_choices(server, "generate")
    by_name = {c.name: c for c in choices}
    drawings = DrawnImages(max_age_s=ctx.settings.upload_cache_ttl_s)
    drawn = gr.State(None)  # the PNG this session drew last (our path, never the browser's)
    with gr.Row():
        with gr.Column():
            prompt = gr.Textbox(
                label=t("generate.prompt"),
                placeholder=t("generate.placeholder"),
                elem_id="generate-prompt",
                lines=2,
            )
            with gr.Row():
                steps = gr.Slider(1, MAX_STEPS, value=1, step=1, label=t("generate.steps"))
                seed = gr.Number(
                    value=0, precision=0, minimum=0, maximum=MAX_SEED, label=t("generate.seed")
                )
            lucky = gr.Button(t("generate.random_seed"), size="sm", elem_id="generate-seed")
            with gr.Row():
                width = gr.Slider(
                    MIN_SIDE, MAX_SIDE, value=512, step=SIDE_MULTIPLE, label=t("generate.width")
                )
                height = gr.Slider(
                    MIN_SIDE, MAX_SIDE, value=512, step=SIDE_MULTIPLE, label=t("generate.height")
                )
            model = model_dropdown(server, "generate", "generate-model")
            with gr.Row():
                button = gr.Button(
                    t("generate.button"), variant="primary", elem_id="generate-button"
                )
                cancel = gr.Button(t("generate.cancel"), elem_id="generate-cancel")
        with gr.Column():
            image = gr.Image(
                label=t("generate.image"),
                type="filepath",
                format="png",
                interactive=False,
                elem_id="generate-image",
                height=360,
            )
            notes = gr.Markdown(elem_id="generate-notes")
            details = gr.JSON(label=t("generate.details"), elem_id="generate-json", visible=False)
    gr.Examples([[p] for p in EXAMPLES], inputs=[prompt], label=t("generate.examples"))
    ctx.in_language(
        [shown, model],
        lambda lang: (
            gr.update(value=intro(server, lang)),
            model_menu("generate", choices, lang),
        ),
    )
    with gr.Accordion(t("generate.loop"), open=True, elem_id="generate-loop"):
        with gr.Row():
            add = gr.Button(t("generate.add"), elem_id="generate-add")
            similar = gr.Button(t("generate.similar"), elem_id="generate-similar")
            caption = gr.Button(t("generate.caption"), elem_id="generate-caption")
        with gr.Row():
            question = gr.Textbox(
                label=t("generate.question"),
                placeholder=t("generate.question_placeholder"),
                elem_id="generate-question",
                scale=3,
            )
            ask = gr.Button(t("generate.ask"), elem_id="generate-ask", scale=1)
        loop_note = gr.Markdown(elem_id="generate-loop-note")
        found = gr.Gallery(
            label=t("generate.similar_results"),
            columns=3,
            height="auto",
            elem_id="generate-similar-results",
            visible=False,
        )

    def draw(
        text_prompt,
        n_steps=1,
        seed_value=0,
        w=512,
        h=512,
        model_name=None,  # the API's parameter names and defaults are part of its contract
        previous=None,
        progress=gr.Progress(),
    ):
        """A generator (so Cancel closes it, and the service's ``finally`` stops the worker)
        whose every step goes through ``friendly`` (errors as a toast in the visitor's words)."""
        steps_of = drawing(text_prompt, n_steps, seed_value, w, h, model_name, previous, progress)
        try:
            while True:
                going, value = advance(steps_of)
                if not going:
                    return
                yield value
        finally:
            steps_of.close()

    def drawing(
        text_prompt,
        n_steps=1,
        seed_value=0,
        w=512,
        h=512,
        model_name=None,
        previous=None,
        progress=gr.Progress(),
    ):
        language = request_language()
        options = {"steps": _whole(n_steps), "seed": _whole(seed_value)}
        options |= {"width": _whole(w), "height": _whole(h)}
        chosen = tasks.choice(model_name, "The image model")
        result = None
        for item in generation.generate_steps(server, text_prompt, options, chosen):
            if isinstance(item, str):  # the model is loading: say so, with the last wait
                line = loading_markdown(server, by_name.get(chosen, choices[0]), language)
                progress(None, desc=line)
                yield gr.skip(), gr.skip(), line, gr.skip()
            elif isinstance(item, tuple):
                done, total = item
                progress(
                    (done, total), desc=text("generate.step", language, done=done, total=total)
                )
            else:
                result = item
        if result is None or result.image is None:
            yield None, None, text("generate.cancelled", language), None
            return
        path = drawings.save(result.image)  # our own PNG: never the visitor's bytes
        drawings.forget(previous)  # this session's last one (a gallery add made a copy)
        yield str(path), result.to_json(), done_markdown(result, language), str(path)

    event = gr.on(
        [button.click, prompt.submit],
        draw,
        [prompt, steps, seed, width, height, model, drawn],
        [image, details, notes, drawn],
        api_name="generate",
        concurrency_limit=server.settings.generate_concurrency,
        concurrency_id=MODEL_QUEUE["generate"],
    )
    event.failure(
        lambda: (None, None, text("generate.no_result")),
        None,
        [image, details, notes],
        api_visibility="private",
    )
    cancel.click(None, None, None, cancels=[event], api_visibility="private")
    lucky.click(lambda: random.randint(0, MAX_SEED), None, seed, api_visibility="private")

    def picture(path):
        if not path:
            raise BadInputError("Draw an image first: there is nothing to use yet.")
        if not drawings.owns(path):  # cleared as one of the oldest (services.drawn_images)
            raise BadInputError(
                "That drawing was cleared from the server (older drawings are removed); "
                "draw it again."
            )
        return load_image(path, max_pixels=ctx.settings.max_image_pixels)

    @friendly
    def add_it(path, request: gr.Request = None):
        picture(path)
        name = [f"{Path(path).stem}.png"]
        if ctx.visitors is not None:  # per-visitor: the visitor's own overlay, as the Gallery tab
            report = ctx.visitors.add(session_of(request), [path], names=name)
        else:  # anyone may add to a shared gallery; changing what is there needs the admin
            report = ctx.gallery.add_files([path], names=name, copy=True)
        return report_markdown(report, request_language(request))

    @friendly
    def similar_to(path, request: gr.Request = None):
        result = ctx.search.image(picture(path), SIMILAR_K, overlay=ctx.overlay(request))
        language = request_language(request)
        items = [(shown_file(h), hit_label(h, language)) for h in result.hits]
        note = text("generate.similar_count", language, count=len(items))
        if not items:
            note = text("generate.similar_none", language)
        return gr.update(value=items, visible=True), note

    @friendly
    def caption_it(path):
        language = request_language()
        result = tasks.caption(server, picture(path), language=language)
        return result.caption

    @friendly
    def ask_it(path, asked):
        result = tasks.answer(server, picture(path), asked)
        if not result.answers:
            return localised(result.message) if result.message else ""
        best = result.answers[0]
        return text("generate.answered", answer=best.label, confidence=f"{best.probability:.0%}")

    private = {"api_visibility": "private"}
    add.click(add_it, drawn, loop_note, concurrency_id=MODEL_QUEUE["embed"], **private)
    similar.click(
        similar_to, drawn, [found, loop_note], concurrency_id=MODEL_QUEUE["embed"], **private
    )
    caption.click(caption_it, drawn, loop_note, concurrency_id=MODEL_QUEUE["caption"], **private)
    gr.on(
        [ask.click, question.submit],
        ask_it,
        [drawn, question],
        loop_note,
        concurrency_id=MODEL_QUEUE["vqa"],
        **private,
    )


@friendly
def advance(steps) -> tuple[bool, object]:
    """(True, the next item) or (False, None) at the end: ``StopIteration`` must not reach
    ``friendly``'s handler for unexpected errors."""
    try:
        return True, next(steps)
    except StopIteration:
        return False, None


def _whole(value) -> int:
    """A slider/number value as an int (Gradio sends floats); anything else is refused by
    ``GenerateOptions`` with its own message."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
