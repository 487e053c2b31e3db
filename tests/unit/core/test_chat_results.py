"""The conversation checks run before any model work, and the one JSON shape of a reply."""

import pytest

from mmdemo.core.chat_results import (
    MAX_NEW_TOKENS,
    MAX_TURN_CHARS,
    MAX_TURNS,
    ChatOptions,
    ChatReply,
    ChatTurn,
    check_turns,
)
from mmdemo.core.errors import BadInputError
from mmdemo.core.i18n import translate
from tests.support.catalogue import english_left


def test_defaults_are_valid_and_sampled():
    options = ChatOptions()
    assert (options.temperature, options.top_p, options.max_new_tokens) == (0.7, 0.9, 256)
    assert not options.greedy and ChatOptions(temperature=0).greedy


@pytest.mark.parametrize(
    "kwargs",
    [
        {"temperature": -0.1},
        {"temperature": 2.5},
        {"temperature": float("nan")},
        {"temperature": "hot"},
        {"top_p": 0},
        {"top_p": 1.5},
        {"max_new_tokens": 0},
        {"max_new_tokens": MAX_NEW_TOKENS + 1},
        {"max_new_tokens": 3.5},
        {"max_new_tokens": True},
        {"seed": -1},
        {"seed": "x"},
    ],
)
def test_bad_options_are_refused_with_chinese(kwargs):
    with pytest.raises(BadInputError) as err:
        ChatOptions(**kwargs)
    assert english_left(str(err.value)) == [], str(err.value)
    assert translate(str(err.value), "zh") != str(err.value)


def test_turns_are_checked():
    with pytest.raises(BadInputError):
        ChatTurn("system", "hi")
    with pytest.raises(BadInputError, match="characters long"):
        ChatTurn("user", "x" * (MAX_TURN_CHARS + 1))
    with pytest.raises(BadInputError, match="empty"):
        check_turns([])
    with pytest.raises(BadInputError, match="limit is 20"):
        check_turns([ChatTurn("user", "hi")] * (MAX_TURNS + 1))
    with pytest.raises(BadInputError, match="last turn"):
        check_turns([ChatTurn("user", "hi"), ChatTurn("assistant", "hello")])
    with pytest.raises(BadInputError, match="question is empty"):
        check_turns([ChatTurn("user", "  ")])
    turns = [ChatTurn("user", "What is it?")]
    assert check_turns(turns) == tuple(turns)


def test_reply_json_and_speed():
    reply = ChatReply("a cat", "SmolVLM", "smolvlm-256m", 5, 2.0, 1.0, "eos")
    data = reply.to_json()
    assert data["tokens_per_s"] == 4.0 and data["stopped"] == "eos"
    assert set(data) >= {"text", "model", "backend", "tokens", "seconds", "first_token_s"}
    assert ChatReply("", "m", "b", 0, 0.1, None, "cancelled").tokens_per_s is None
    with pytest.raises(ValueError):
        ChatReply("", "m", "b", 0, 0.1, None, "bored")
