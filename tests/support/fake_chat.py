"""A fake chat model (tests only): streams a fixed answer word by word, honouring cancel
and the deadline the way the real backends do, so the chat service, tab and command can be
tested before (and apart from) the tiny vision-language twins.

``fake-chat`` reads any language; ``fake-chat-en`` reads English only (as SmolVLM).
"""

from __future__ import annotations

import time

from mmdemo.core.chat_results import ChatReply, check_turns
from mmdemo.models.presets import PRESETS
from mmdemo.models.registry import BackendSpec, Capabilities, add_backend, remove_backend

PRESET = "chatfake"
WORDS = ("a", "red", "square", "on", "white")
CALLS: list[dict] = []  # one per stream: its turns, options and cancel event


class FakeChat:
    task = "chat"

    def __init__(self, spec):
        self.spec = spec
        self.model_label = spec.label

    def stream_reply(self, image, turns, options, cancel, deadline=None):
        turns = check_turns(turns)
        call = {"turns": turns, "options": options, "cancel": cancel, "image": image}
        CALLS.append(call)
        return self._stream(turns, options, cancel, deadline, call)

    def _stream(self, turns, options, cancel, deadline, call):
        start = time.monotonic()
        pause = float(self.spec.option("pause", 0.0))
        sent, stopped, first = [], "eos", None
        words = WORDS * 50
        try:
            for i, word in enumerate(words):
                if i >= options.max_new_tokens:
                    stopped = "length"
                    break
                if cancel.is_set():
                    stopped = "cancelled"
                    break
                if deadline is not None and time.monotonic() > deadline:
                    stopped = "time"
                    break
                if i == len(WORDS) and not pause:
                    break  # the plain fake says its five words and ends
                delta = word if i == 0 else " " + word
                sent.append(delta)
                first = first if first is not None else time.monotonic() - start
                yield delta
                if pause:
                    cancel.wait(pause)
            yield ChatReply(
                "".join(sent),
                self.spec.label,
                self.spec.name,
                len(sent),
                time.monotonic() - start,
                first,
                stopped,
            )
        finally:
            call["closed"] = True


def load_fake(spec, ctx):
    return FakeChat(spec)


def specs():
    return [
        BackendSpec(
            "chat",
            "fake-chat",
            load_fake,
            "test",
            label="Fake chat (tests)",
            capabilities=Capabilities(languages=("*",)),
            is_random=True,
        ),
        BackendSpec(
            "chat",
            "fake-chat-en",
            load_fake,
            "test",
            label="Fake chat, English",
            capabilities=Capabilities(languages=("en",)),
        ),
        BackendSpec(
            "chat",
            "fake-chat-slow",
            load_fake,
            "test",
            label="Fake chat, slow",
            options={"pause": 0.05},
            capabilities=Capabilities(languages=("*",)),
        ),
    ]


def register_fakes() -> None:
    for spec in specs():
        add_backend(spec, replace=True)
    PRESETS[PRESET] = {
        "embed": PRESETS["tiny"]["embed"],
        "chat": ("fake-chat", "fake-chat-en", "fake-chat-slow"),
    }


def unregister_fakes() -> None:
    PRESETS.pop(PRESET, None)
    for spec in specs():
        remove_backend("chat", spec.name)
