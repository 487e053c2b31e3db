"""A conversation about an image: its turns, the generation options, and a finished reply.

Why here, with no torch: the chat service, the UI, the CLI and the API all check a
conversation the same way before any model work (how many turns, how long each, which
options), and print one JSON shape (``ChatReply.to_json``). A backend streams text deltas
and ends with exactly one ``ChatReply`` (``stream_reply``); ``stopped`` says why it ended.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from mmdemo.core.errors import BadInputError

ROLES = ("user", "assistant")
STOPS = ("eos", "length", "cancelled", "time")
MAX_TURNS = 20  # turns of a conversation sent to a model (user and assistant together)
MAX_TURN_CHARS = 2000  # characters of one turn
MAX_NEW_TOKENS = 1024  # tokens one reply may generate
MAX_TEMPERATURE = 2.0


@dataclass(frozen=True)
class ChatTurn:
    """One turn: who spoke (``user`` or ``assistant``) and what was said."""

    role: str
    text: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise BadInputError(f"A chat turn's role must be user or assistant, not {self.role!r}.")
        if not isinstance(self.text, str):
            raise BadInputError(f"A chat turn must be text, not {type(self.text).__name__}.")
        if len(self.text) > MAX_TURN_CHARS:
            raise BadInputError(
                f"A chat message is {len(self.text)} characters long; the limit is "
                f"{MAX_TURN_CHARS}. Shorten it."
            )

    def to_json(self) -> dict:
        return {"role": self.role, "text": self.text}


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class ChatOptions:
    """How a reply is generated: ``temperature`` 0 is greedy (deterministic), else nucleus
    sampling with ``top_p``; ``seed`` makes sampling reproducible (None: a fresh draw)."""

    temperature: float = 0.7
    top_p: float = 0.9
    max_new_tokens: int = 256
    seed: int | None = None

    def __post_init__(self) -> None:
        if not _is_number(self.temperature):
            raise BadInputError(f"The temperature must be a number, not {self.temperature!r}.")
        temperature = float(self.temperature)
        if not 0.0 <= temperature <= MAX_TEMPERATURE:
            raise BadInputError(
                f"The temperature must be between 0 and {MAX_TEMPERATURE:g}, not {temperature:g}."
            )
        if not _is_number(self.top_p):
            raise BadInputError(f"The top-p must be a number, not {self.top_p!r}.")
        top_p = float(self.top_p)
        if not 0.0 < top_p <= 1.0:
            raise BadInputError(f"Top-p must be above 0 and at most 1, not {top_p:g}.")
        tokens = self.max_new_tokens
        if isinstance(tokens, bool) or not isinstance(tokens, int):
            raise BadInputError(f"The maximum new tokens must be a whole number, not {tokens!r}.")
        if not 1 <= tokens <= MAX_NEW_TOKENS:
            raise BadInputError(
                f"The maximum new tokens must be between 1 and {MAX_NEW_TOKENS}, not {tokens}."
            )
        seed = self.seed
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise BadInputError(f"The seed must be a whole number, not {seed!r}.")
        if seed is not None and not 0 <= seed < 2**32:
            raise BadInputError(f"The seed must be between 0 and {2**32 - 1}, not {seed}.")
        object.__setattr__(self, "temperature", temperature)
        object.__setattr__(self, "top_p", top_p)

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0

    def to_json(self) -> dict:
        return {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_new_tokens": self.max_new_tokens,
            "seed": self.seed,
        }


def check_turns(turns: Sequence[ChatTurn]) -> tuple[ChatTurn, ...]:
    """The conversation as a tuple, refused before any model work when it cannot be answered:
    empty, over ``MAX_TURNS``, not ending on a user turn, or with an empty last question."""
    turns = tuple(turns)
    if not all(isinstance(turn, ChatTurn) for turn in turns):
        raise BadInputError("A conversation must be a list of chat turns.")
    if not turns:
        raise BadInputError("The conversation is empty: ask a question about the image.")
    if len(turns) > MAX_TURNS:
        raise BadInputError(
            f"The conversation has {len(turns)} turns; the limit is {MAX_TURNS}. "
            "Clear it and start again."
        )
    if turns[-1].role != "user":
        raise BadInputError("The last turn of a conversation must be the user's question.")
    if not turns[-1].text.strip():
        raise BadInputError("The question is empty: type what you want to know about the image.")
    return turns


@dataclass
class ChatReply:
    """A finished reply. ``tokens`` generated, ``seconds`` from the call to the end,
    ``first_token_s`` until the first text arrived (None: none did); ``stopped`` is "eos"
    (the model finished), "length" (max_new_tokens), "cancelled" or "time" (the deadline).
    ``dropped_turns``: oldest turns left out so the conversation fits the model."""

    text: str
    model: str
    backend: str
    tokens: int
    seconds: float
    first_token_s: float | None
    stopped: str
    dropped_turns: int = 0
    random_weights: bool = False

    def __post_init__(self) -> None:
        if self.stopped not in STOPS:
            raise ValueError(f"stopped must be one of {STOPS}, not {self.stopped!r}")

    @property
    def tokens_per_s(self) -> float | None:
        """Decoding speed after the first token (None with fewer than two tokens)."""
        if self.first_token_s is None or self.tokens < 2 or self.seconds <= self.first_token_s:
            return None
        return (self.tokens - 1) / (self.seconds - self.first_token_s)

    def to_json(self) -> dict:
        """``chat --json`` and the API print exactly this."""
        speed = self.tokens_per_s
        return {
            "text": self.text,
            "model": self.model,
            "backend": self.backend,
            "tokens": self.tokens,
            "seconds": round(self.seconds, 4),
            "first_token_s": None if self.first_token_s is None else round(self.first_token_s, 4),
            "tokens_per_s": None if speed is None else round(speed, 3),
            "stopped": self.stopped,
            "dropped_turns": self.dropped_turns,
            "random_weights": self.random_weights,
        }
