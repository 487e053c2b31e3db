"""The Chat tab: a multi-turn conversation about one image, the answer streamed as written.

Why a generator per answer: the chatbot grows token by token, and Gradio's Stop button
(``cancels=[...]``) closes the generator, whose ``finally`` (services.chat) cancels the
backend's worker at its next token and frees the chat slot. Replies run in their own queue
(``MODEL_QUEUE["chat"]``) with ``settings.chat_concurrency`` at once, so a long reply never
holds up searches; a further one is refused at once ("busy") rather than queued for minutes.

Why the question is shown by a step of its own (checked, appended, the box cleared; in an
unlimited queue of its own, so it never waits for a chat slot, and errors reach the visitor
as the toast every tab shows) before the answer's step in the chat queue, as Gradio's
ChatInterface does: Stop cancels only the answer, so a question stopped before its first
token stays in the conversation, where Regenerate can answer it; a question that fails its
checks stays in the box, unchanged.

On a preset without a chat model (lite) no chat is built: one plain line says why, and the
image can be captioned or asked about with lite's own models instead - never a fake chat.
``/chat`` (API only) streams the growing answer text for an image, a message and a history.
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr

from mmdemo.core.chat_results import ChatReply
from mmdemo.core.errors import BadInputError
from mmdemo.services import chat, tasks
from mmdemo.ui.common import (
    MODEL_QUEUE,
    TabContext,
    examples_per_language,
    friendly,
    image_input,
    model_dropdown,
    session_of,
    shown_examples,
    upload_paths,
)
from mmdemo.ui.i18n import localised, request_language, t, text
from mmdemo.ui.strings import chat as _strings  # noqa: F401  (registers the tab's strings)
from mmdemo.ui.tabs._model_labels import model_label, model_menu
from mmdemo.ui.tabs.vqa import top_answer

TITLE = t("tab.chat")
ID = "chat"
ORDER = 45  # between Ask (VQA, 40) and Sentiment (50)

# (image in assets/, question) per language; tests/integration/tabs/test_chat_tab.py asks each.
EXAMPLES = {
    "en": [
        ("gallery/chelsea_the_cat.png", "What animal is this, and what is it doing?"),
        ("gallery/coffee_cup.png", "Describe this picture in one sentence."),
    ],
    "zh": [
        ("gallery/china_temple.jpg", "这张照片里是什么建筑？"),
        ("gallery/chelsea_the_cat.png", "这是什么动物？"),
    ],
}


def _raise(err: BaseException):
    raise err


def toast(err: BaseException):
    """The error as ``friendly`` shows it (a localised gr.Error): for generators, whose
    errors arrive while they are read, not when the handler is called."""
    return friendly(_raise)(err)


def reads_chinese(choice: tasks.ModelChoice) -> bool:
    languages = choice.capabilities.languages
    return "*" in languages or "zh" in languages


def model_line(choice: tasks.ModelChoice, language: str | None = None) -> str:
    note = text("chat.random", language) if choice.is_random else ""
    if not reads_chinese(choice) and (language or request_language()) != "en":
        note += text("chat.english_only", language)
    return text("chat.model_line", language, model=model_label("chat", choice, language), note=note)


def example_rows(assets: Path, language: str, model: str | None) -> list[list]:
    rows = []
    for image, question in EXAMPLES.get(language, ()):
        path = assets / image
        if path.is_file():
            rows.append([str(path), question] + ([model] if model else []))
    return rows


def loading_line(item: chat.ChatLoading, language: str | None = None) -> str:
    if item.last_seconds is None:
        return text("chat.loading", language, model=item.model)
    seconds = f"{item.last_seconds:.0f}"
    return text("chat.loading_last", language, model=item.model, seconds=seconds)


def done_line(reply: ChatReply, language: str | None = None) -> str:
    speed = reply.tokens_per_s
    return text(
        "chat.done",
        language,
        tokens=reply.tokens,
        seconds=f"{reply.seconds:.1f}",
        speed=text("chat.speed", language, speed=f"{speed:.1f}") if speed else "",
        stopped=text(f"chat.stopped_{reply.stopped}", language),
    )


def shown_messages(history) -> list[dict]:
    """A chatbot value (raw payload or plain dicts) as {role, content: text} messages."""
    return [{"role": turn.role, "content": turn.text} for turn in chat.history_turns(history or [])]


def last_answer(history) -> str:
    for message in reversed(shown_messages(history)):
        if message["role"] == "assistant":
            return message["content"]
    return ""


def build(ctx: TabContext) -> None:
    if not chat.can_chat(ctx.server):
        build_unavailable(ctx)
    else:
        build_chat(ctx)


def build_chat(ctx: TabContext) -> None:
    server = ctx.server
    choices = tasks.model_choices(server, "chat")
    by_name = {c.name: c for c in choices}
    default = choices[0]
    chinese_model = next((c.name for c in choices if reads_chinese(c)), None)
    gr.Markdown(t("chat.intro"), elem_id="chat-intro")
    with gr.Row():
        with gr.Column(scale=2):
            image = image_input(t("chat.image"), "chat-image", height=240)
            model = model_dropdown(server, "chat", "chat-model")
            with gr.Accordion(t("chat.settings"), open=False):
                temperature = gr.Slider(
                    0, 2, value=0.7, step=0.05, label=t("chat.temperature"), elem_id="chat-temp"
                )
                top_p = gr.Slider(0.05, 1, value=0.9, step=0.05, label=t("chat.top_p"))
                max_tokens = gr.Slider(
                    1, 1024, value=256, step=1, label=t("chat.max_tokens"), elem_id="chat-max"
                )
        with gr.Column(scale=3):
            named = gr.Markdown(model_line(default, "en"), elem_id="chat-model-name")
            chatbot = gr.Chatbot(label=t("chat.chatbot"), elem_id="chat-chatbot", height=380)
            message = gr.Textbox(
                label=t("chat.message"),
                placeholder=t("chat.placeholder"),
                elem_id="chat-message",
                lines=1,
            )
            with gr.Row():
                send = gr.Button(t("chat.send"), variant="primary", elem_id="chat-send")
                stop = gr.Button(t("chat.stop"), variant="stop", elem_id="chat-stop")
                again = gr.Button(t("chat.regenerate"), elem_id="chat-regenerate")
                clear = gr.Button(t("chat.clear"), elem_id="chat-clear")
            status = gr.Markdown(elem_id="chat-status")
            with gr.Row():
                save = gr.Button(t("chat.save"), size="sm", elem_id="chat-save")
                password = gr.Textbox(
                    value="",  # an API caller may leave it out, as the Gallery tab's
                    label=t("chat.save_info"),
                    type="password",
                    elem_id="chat-password",
                )
            saved = gr.Markdown(elem_id="chat-saved")
    assets = Path(ctx.settings.assets_dir)
    languages = ("en", "zh") if chinese_model else ("en",)
    sets = examples_per_language(
        lambda lang: example_rows(assets, lang, None if lang == "en" else chinese_model),
        [image, message] + ([model] if chinese_model else []),
        t("chat.examples"),
        "chat-examples",
        languages,
    )
    # hidden: the /chat endpoint's history input and streamed text / final reply outputs
    api_history = gr.Textbox(visible=False)
    api_text = gr.Textbox(visible=False)
    api_reply = gr.JSON(visible=False)
    api_button = gr.Button(visible=False)

    def render(lang: str) -> tuple:
        placeholder = "chat.placeholder" if reads_chinese(default) else "chat.placeholder_english"
        return (
            gr.update(value=model_line(default, lang)),
            gr.update(placeholder=text(placeholder, lang)),
            model_menu("chat", choices, lang),
            *shown_examples(sets, lang),
        )

    ctx.in_language([named, message, model, *sets.values()], render)

    def picture_of(upload):
        """The uploaded image through the safe loader, or a BadInputError saying what to do."""
        if not upload:
            raise BadInputError("No image: upload the image your question is about.")
        return ctx.upload_image(upload)[0]

    def answer_stream(upload, turns, temperature, top_p, max_tokens, model_name):
        """Checks first (image, options, model: refused before any slot), then the stream."""
        picture = picture_of(upload)
        options = chat.chat_options(temperature, top_p, max_tokens)
        name = tasks.choice(model_name, "The chat model")
        return chat.chat_stream(server, picture, turns, options, name)

    def show_question(upload, said, history):
        """The question checked (the image decodes through the safe loader, text and history
        within limits) and shown, the box cleared; on bad input nothing changes and the
        toast says why. The answer step decodes the image again: milliseconds, beside
        seconds of generation, and no decoded image is kept between the steps."""
        try:
            picture_of(upload)
            chat.conversation(history, said)
        except Exception as err:
            toast(err)
        shown = shown_messages(history)
        if said and said.strip():
            shown.append({"role": "user", "content": said.strip()})
        return shown, ""

    def respond(upload, history, temperature, top_p, max_tokens, model_name):
        """The answer to the question last in ``history`` (put there by ``show_question``,
        or left by Regenerate): the chatbot with the growing answer and the status line.
        The message box is left alone: the visitor may be typing the next question."""
        try:
            shown = shown_messages(history)
            turns = chat.conversation(history, "")
            stream = answer_stream(upload, turns, temperature, top_p, max_tokens, model_name)
        except Exception as err:
            toast(err)
        answer = ""
        try:
            for item in stream:
                if isinstance(item, chat.ChatLoading):
                    yield shown, loading_line(item)
                elif isinstance(item, ChatReply):
                    final = [*shown, {"role": "assistant", "content": item.text}]
                    yield final, done_line(item)
                else:
                    answer += item
                    partial = [*shown, {"role": "assistant", "content": answer}]
                    yield partial, text("chat.writing")
        except Exception as err:
            toast(err)
        finally:
            stream.close()

    def regenerate(upload, history, temperature, top_p, max_tokens, model_name):
        """The last answer dropped and written again (the same question)."""
        shown = shown_messages(history)
        while shown and shown[-1]["role"] == "assistant":
            shown.pop()
        yield from respond(upload, shown, temperature, top_p, max_tokens, model_name)

    def api_chat(upload, said, history, temperature=0.7, top_p=0.9, max_tokens=256, name=None):
        """/chat: the answer text as it grows, then the finished reply's JSON."""
        try:
            turns = chat.conversation(history, said)
            stream = answer_stream(upload, turns, temperature, top_p, max_tokens, name)
        except Exception as err:
            toast(err)
        answer = ""
        try:
            for item in stream:
                if isinstance(item, ChatReply):
                    yield item.text, item.to_json()
                elif isinstance(item, str):
                    answer += item
                    yield answer, None
        except Exception as err:
            toast(err)
        finally:
            stream.close()

    queue = dict(
        preprocess=False,
        concurrency_limit=ctx.settings.chat_concurrency,
        concurrency_id=MODEL_QUEUE["chat"],
    )
    settings = [temperature, top_p, max_tokens, model]
    question_shown = gr.on(
        [send.click, message.submit],
        show_question,
        [image, message, chatbot],
        [chatbot, message],
        api_visibility="private",
        preprocess=False,  # the upload reaches our safe loader, never Gradio's own decode
        show_progress="hidden",  # instant; a refusal is the toast, not an "Error" over the box
        concurrency_limit=None,  # no model: never waits behind the answers' slots
        concurrency_id="chat-question",
    )
    asked = question_shown.success(
        respond,
        [image, chatbot, *settings],
        [chatbot, status],
        api_visibility="private",
        **queue,
    )
    redone = again.click(
        regenerate,
        [image, chatbot, *settings],
        [chatbot, status],
        api_visibility="private",
        **queue,
    )
    api_event = api_button.click(
        api_chat,
        [image, message, api_history, *settings],
        [api_text, api_reply],
        api_name="chat",
        **queue,
    )
    for failed in (question_shown, asked, redone):  # "No answer"; the toast says why
        failed.failure(lambda: text("chat.failed"), None, status, api_visibility="private")
    stop.click(None, None, None, cancels=[asked, redone, api_event], api_visibility="private")
    clear.click(
        lambda: ([], "", "", ""), None, [chatbot, message, status, saved], api_visibility="private"
    )
    image.change(lambda: ([], "", ""), None, [chatbot, status, saved], api_visibility="private")

    def follow(name):
        """The model named above the chat, and a placeholder saying if it reads English only."""
        choice = by_name.get(name or default.name, default)
        key = "chat.placeholder" if reads_chinese(choice) else "chat.placeholder_english"
        return model_line(choice), gr.update(placeholder=text(key))

    model.change(follow, model, [named, message], api_visibility="private")

    @friendly
    def save_caption(upload, answer, admin_password="", request: gr.Request = None):
        """An answer as the image's caption, in the gallery this visitor may change."""
        caption = chat.clean_caption(answer)
        paths, names = upload_paths(upload)
        if not paths:
            raise BadInputError("No image: upload the image your question is about.")
        path, name = paths[0], names[0]
        access, visitors = ctx.access, ctx.visitors
        if visitors is not None and not access.is_admin(admin_password):
            if admin_password:  # meant for the shared gallery, but not the right password
                access.check_shared_change(
                    "Changing the caption of a shared gallery image", admin_password
                )
            target = ctx.overlay(request, create=True)
            if chat.find_image(target, path) is None:
                visitors.add(session_of(request), [path], names=[name])
        else:
            target = ctx.gallery
            if chat.find_image(target, path) is not None:
                access.check_shared_change(
                    "Changing the caption of a shared gallery image", admin_password
                )
        result = chat.save_as_caption(target, path, caption, name=name)
        key = "chat.saved_added" if result.added else "chat.saved_updated"
        return text(key, id=result.item_id), json.dumps(result.to_json())

    save_json = gr.JSON(visible=False)
    save_text = gr.Textbox(visible=False)  # the last answer, what /chat_save_caption takes
    save.click(last_answer, chatbot, save_text, api_visibility="private").then(
        save_caption,
        [image, save_text, password],
        [saved, save_json],
        api_name="chat_save_caption",
        preprocess=False,
    )


def build_unavailable(ctx: TabContext) -> None:
    """lite: one plain line, and lite's caption and VQA offered for the same image."""
    server = ctx.server
    gr.Markdown(t("chat.unavailable"), elem_id="chat-unavailable")
    with gr.Row():
        with gr.Column():
            image = image_input(t("chat.image"), "chat-image", height=240)
        with gr.Column():
            question = gr.Textbox(
                label=t("chat.lite_question"), value="What is this?", elem_id="chat-lite-question"
            )
            with gr.Row():
                caption_button = gr.Button(t("chat.lite_caption"), elem_id="chat-lite-caption")
                vqa_button = gr.Button(t("chat.lite_vqa"), elem_id="chat-lite-vqa")
            result = gr.Markdown(elem_id="chat-lite-result")

    ctx.in_language(
        question, lambda lang: gr.update(value="这是什么？" if lang == "zh" else "What is this?")
    )

    @friendly
    def caption(upload):
        if not upload:
            raise BadInputError("No image: upload the image your question is about.")
        picture, _ = ctx.upload_image(upload)
        found = tasks.caption(server, picture, language=request_language())
        return text("chat.lite_caption_result", caption=found.caption)

    @friendly
    def answer(upload, said):
        if not upload:
            raise BadInputError("No image: upload the image your question is about.")
        picture, _ = ctx.upload_image(upload)
        found = tasks.answer(server, picture, said)
        scores = {s.label: s.probability for s in found.answers}
        shown = top_answer(scores) if scores else localised(found.message or "")
        return text("chat.lite_vqa_result", answer=shown)

    caption_button.click(
        caption,
        image,
        result,
        preprocess=False,
        api_visibility="private",
        concurrency_id=MODEL_QUEUE["caption"],
    )
    vqa_button.click(
        answer,
        [image, question],
        result,
        preprocess=False,
        api_visibility="private",
        concurrency_id=MODEL_QUEUE["vqa"],
    )
