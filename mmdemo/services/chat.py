"""A conversation about an image, streamed: the one path the Chat tab, ``/chat`` and the
``chat`` command share.

Why a service: a reply holds a CPU for up to a minute, so everything that can be refused is
refused before any model work (the image through the safe loader's limits, the turns and
options through ``core.chat_results``), and the reply runs in one of the few slots of
``server.long_jobs("chat")`` - a full server says "busy" at once instead of queueing. The
generator's ``finally`` sets the job's cancel event, so a closed stream (Gradio's Stop
button, a dropped connection, Ctrl-C) stops the backend's worker at its next token.

When the chosen model is not loaded yet (first use, or unloaded by the memory budget) the
stream starts with a ``ChatLoading`` item: the page shows "Loading <model>…" rather than
a silent wait. ``save_as_caption`` sends an answer to the gallery as the photo's caption.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from mmdemo.core.chat_results import (
    MAX_TURN_CHARS,
    MAX_TURNS,
    ChatOptions,
    ChatReply,
    ChatTurn,
    check_turns,
)
from mmdemo.core.errors import BadInputError
from mmdemo.core.imaging import check_shape, file_sha256, load_image
from mmdemo.models.presets import get_preset
from mmdemo.models.registry import EnglishOnlyError
from mmdemo.services.tasks import choice, whole_number
from mmdemo.serving import ModelServer

log = logging.getLogger(__name__)

TASK = "chat"
# A history sent as JSON text is refused above this size before it is parsed.
MAX_HISTORY_CHARS = 2 * MAX_TURNS * (MAX_TURN_CHARS + 64)
NO_CHAT_MODEL = (
    "Chat needs a vision-language model, and none installs from PyPI: the {preset} preset "
    "has none. Start the app with the full preset (MMDEMO_PRESET=full) to chat; lite can "
    "still caption this image or answer a question about it."
)


@dataclass(frozen=True)
class ChatLoading:
    """The first item of a stream whose model is not loaded yet: who is loading, and how
    long it took last time (None: never loaded in this process)."""

    model: str
    last_seconds: float | None

    @property
    def message(self) -> str:
        if self.last_seconds is None:
            return f"Loading {self.model} …"
        return f"Loading {self.model} … (about {self.last_seconds:.0f} s last time)"


def can_chat(server: ModelServer) -> bool:
    """Whether this server's preset (or ``MMDEMO_BACKENDS``) has a chat model; nothing loads."""
    return TASK in server.overrides or TASK in get_preset(server.preset)


def require_chat(server: ModelServer) -> None:
    """Refuse, before any work, on a preset without a chat model (lite)."""
    if not can_chat(server):
        raise BadInputError(NO_CHAT_MODEL.format(preset=server.preset))


# -- inputs as the browser, the API and argparse send them --------------------------------
def chat_options(
    temperature: object = 0.7, top_p: object = 0.9, max_new_tokens: object = 256, seed=None
) -> ChatOptions:
    """Options from slider values (floats), API numbers or argparse; checked by ChatOptions."""
    tokens = whole_number(max_new_tokens, "The maximum new tokens", 1)

    def number(value):  # "0.5" from a form is 0.5; anything else ChatOptions refuses
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return value
        return value

    seed = None if seed in (None, "") else whole_number(seed, "The seed", 0)
    return ChatOptions(
        temperature=number(temperature),
        top_p=number(top_p),
        max_new_tokens=tokens,
        seed=seed,
    )


def _text_of(content) -> str:
    """The text of a chatbot message's content: a string, a {"text": ...} part, or a list
    of parts (files and components are not text: they are left out)."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return content["text"] if isinstance(content.get("text"), str) else ""
    if isinstance(content, list | tuple):
        return "".join(_text_of(part) for part in content)
    return ""


def history_turns(history: object) -> list[ChatTurn]:
    """Earlier turns from what a caller sends: a Chatbot's messages (``[{"role", "content"}]``),
    [user, assistant] pairs, or either as JSON text. Checked in size before parsing."""
    if history is None or history == "":
        return []
    if isinstance(history, str):
        if len(history) > MAX_HISTORY_CHARS:
            raise BadInputError(
                f"The conversation history is {len(history)} characters of JSON; the limit "
                f"is {MAX_HISTORY_CHARS}. Clear it and start again."
            )
        try:
            history = json.loads(history)
        except ValueError:
            raise BadInputError(
                "The conversation history must be a JSON list of messages, each with a role "
                "and a content."
            ) from None
    if not isinstance(history, list | tuple):
        raise BadInputError("The conversation history must be a list of messages.")
    if len(history) > MAX_TURNS:
        raise BadInputError(
            f"The conversation has {len(history)} turns; the limit is {MAX_TURNS}. "
            "Clear it and start again."
        )
    turns: list[ChatTurn] = []
    for item in history:
        if isinstance(item, dict) and "role" in item:
            if item["role"] == "system":
                continue
            turns.append(ChatTurn(str(item["role"]), _text_of(item.get("content"))))
        elif isinstance(item, list | tuple) and len(item) == 2:
            user, assistant = item
            if user:
                turns.append(ChatTurn("user", _text_of(user)))
            if assistant:
                turns.append(ChatTurn("assistant", _text_of(assistant)))
        else:
            raise BadInputError(
                "Each message of the history must have a role and a content, or be a "
                "[question, answer] pair."
            )
    return [turn for turn in turns if turn.text.strip()]


def conversation(history: object, message: object) -> tuple[ChatTurn, ...]:
    """The turns to answer: the history, then ``message`` as the user's new question."""
    if message is not None and not isinstance(message, str):
        raise BadInputError(f"The message must be text, not {type(message).__name__}.")
    turns = history_turns(history)
    if message and message.strip():
        turns.append(ChatTurn("user", message.strip()))
    elif not turns or turns[-1].role != "user":  # an empty message may only regenerate
        raise BadInputError("The question is empty: type what you want to know about the image.")
    return check_turns(turns)


def chat_image(image: object, max_pixels: int) -> Image.Image | None:
    """A PIL image checked against the pixel limit, or a file read by the safe loader."""
    if image is None:
        return None
    if isinstance(image, Image.Image):
        check_shape("image", image.width, image.height, max_pixels)
        return image if image.mode == "RGB" else image.convert("RGB")
    if isinstance(image, str | Path):
        return load_image(image, max_pixels=max_pixels)
    raise BadInputError(f"The image must be an image file, not {type(image).__name__}.")


# -- the stream ---------------------------------------------------------------------------
def chat_stream(
    server: ModelServer,
    image: object,
    turns: Sequence[ChatTurn],
    options: ChatOptions | None = None,
    backend: str | None = None,
) -> Iterator[str | ChatReply | ChatLoading]:
    """Validate, take a chat slot, then yield (``ChatLoading``,) text deltas, one ChatReply.

    Everything is checked when this is called, not when the stream is first read: a bad
    request and a busy server fail before the caller starts showing a reply."""
    require_chat(server)
    backend = choice(backend, "The chat model")
    spec = server.spec_for(TASK, backend)
    picture = chat_image(image, server.settings.max_image_pixels)
    turns = check_turns(turns)
    for turn in turns:  # the backend says so too; here it costs no load and no slot
        if turn.role == "user" and not spec.capabilities.reads(turn.text):
            raise EnglishOnlyError(
                f"The model {spec.label} reads English only, and this question is mostly in "
                "another script: its answer would mean nothing. Ask in English, or choose "
                "Qwen2-VL, which reads Chinese."
            )
    options = options if options is not None else ChatOptions()
    if not isinstance(options, ChatOptions):
        raise BadInputError("The chat options must be ChatOptions.")
    slot = server.long_jobs(TASK).slot()
    job = slot.__enter__()  # BusyError now, before the caller's first read
    return ChatStream(_stream(server, spec, backend, picture, turns, options, job), slot, job)


class ChatStream:
    """The reply's iterator. Why not a bare generator: one that is closed (or dropped)
    before its first item never runs its ``finally``, and its chat slot would stay taken;
    ``close`` here frees the slot and cancels the job however far the stream got."""

    def __init__(self, items: Iterator, slot, job):
        self._items, self._slot, self.job = items, slot, job
        self._released = False

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._items)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self.job.cancel.set()
        try:
            self._items.close()  # stops the backend's worker (its own finally)
        finally:
            if not self._released:
                self._released = True
                self._slot.__exit__(None, None, None)

    def __del__(self):
        self.close()


def _stream(server, spec, backend, picture, turns, options, job):
    if not server.is_loaded(TASK, backend):
        yield ChatLoading(spec.label, server.last_load_seconds(TASK, backend))
    model = server.get(TASK, backend)
    stream = model.stream_reply(picture, turns, options, job.cancel, job.deadline)
    try:
        for item in stream:
            if isinstance(item, ChatReply):
                item.random_weights = server.is_random(TASK, backend)
            yield item
    finally:
        job.cancel.set()
        close = getattr(stream, "close", None)
        if close is not None:
            close()


def chat(
    server: ModelServer,
    image: object,
    turns: Sequence[ChatTurn],
    options: ChatOptions | None = None,
    backend: str | None = None,
) -> ChatReply:
    """The whole reply at once (the last item of ``chat_stream``)."""
    reply = None
    for item in chat_stream(server, image, turns, options, backend):
        if isinstance(item, ChatReply):
            reply = item
    if reply is None:  # a backend that broke its promise: a bug, not a visitor's mistake
        raise RuntimeError("The chat backend ended without a ChatReply.")
    return reply


# -- an answer as the photo's caption -----------------------------------------------------
@dataclass(frozen=True)
class SavedCaption:
    """Where a chat answer went: the gallery item's id, and whether the image was added."""

    item_id: int
    added: bool
    caption: str

    def to_json(self) -> dict:
        return {"id": self.item_id, "added": self.added, "caption": self.caption}


def clean_caption(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise BadInputError("There is no answer to save yet: ask a question first.")
    text = " ".join(text.split())
    if len(text) > MAX_TURN_CHARS:
        raise BadInputError(
            f"The answer is {len(text)} characters long; a caption may have {MAX_TURN_CHARS}."
        )
    return text


def find_image(gallery, path: str | Path) -> int | None:
    """The id of the gallery item with the same file content (sha256), or None."""
    sha = file_sha256(path)
    for meta in gallery.index.items():
        if meta.sha256 == sha:
            return meta.id
    return None


def save_as_caption(gallery, image: str | Path, text: object, *, name: str | None = None):
    """Send a chat answer to ``gallery`` as the caption of ``image`` (a file): if the same
    image (content hash) is there its caption is replaced, else it is added with it.

    Who may change which gallery is the caller's decision (``services.access``)."""
    caption = clean_caption(text)
    item_id = find_image(gallery, image)
    added = False
    if item_id is None:
        report = gallery.add_files([str(image)], names=[name or Path(image).name], copy=True)
        if report.unreadable:
            problem = report.unreadable[0]
            raise BadInputError(f"The image could not be added: {problem.problem}.")
        item_id = report.added_ids[0] if report.added_ids else find_image(gallery, image)
        added = bool(report.added_ids)
        if item_id is None:  # removed by someone else in between
            raise BadInputError("The image was removed from the gallery meanwhile; try again.")
    gallery.store_captions({item_id: caption}, overwrite=True)
    log.info("Chat answer saved as the caption of item %d (added: %s)", item_id, added)
    return SavedCaption(item_id, added, caption)
