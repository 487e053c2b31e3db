"""The chat service: checks before any work, the loading line, streamed deltas and one
ChatReply, the busy refusal, a closed stream freeing its slot and stopping its worker, the
history formats the API accepts, and an answer saved as a gallery caption."""

from __future__ import annotations

import json
import time

import pytest
from PIL import Image

from mmdemo.core.chat_results import MAX_TURNS, ChatOptions, ChatReply, ChatTurn
from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError, BusyError
from mmdemo.core.i18n import translate
from mmdemo.models.registry import EnglishOnlyError
from mmdemo.services import chat
from mmdemo.serving import ModelServer
from tests.support import fake_chat


@pytest.fixture(scope="module", autouse=True)
def fakes():
    fake_chat.register_fakes()
    yield
    fake_chat.unregister_fakes()


@pytest.fixture
def server():
    server = ModelServer(Settings(preset=fake_chat.PRESET, chat_concurrency=1))
    yield server
    server.close()


IMAGE = Image.new("RGB", (32, 32), (200, 20, 20))
ASK = (ChatTurn("user", "What is this?"),)


def test_stream_says_loading_first_then_deltas_then_one_reply(server):
    items = list(chat.chat_stream(server, IMAGE, ASK, ChatOptions(temperature=0)))
    assert isinstance(items[0], chat.ChatLoading) and "Fake chat" in items[0].message
    deltas = [i for i in items if isinstance(i, str)]
    reply = items[-1]
    assert isinstance(reply, ChatReply) and "".join(deltas) == reply.text == "a red square on white"
    assert reply.random_weights and reply.stopped == "eos"
    again = list(chat.chat_stream(server, IMAGE, ASK))
    assert not any(isinstance(i, chat.ChatLoading) for i in again)  # loaded now
    assert server.long_jobs("chat").running == 0


def test_loading_line_names_the_last_load_time():
    assert chat.ChatLoading("M", None).message == "Loading M …"
    line = chat.ChatLoading("M", 12.4).message
    assert line == "Loading M … (about 12 s last time)"
    assert translate(line, "zh") == "正在加载 M……（上次约 12 秒）"


def test_busy_server_refuses_at_once_and_a_closed_stream_frees_its_slot(server):
    stream = chat.chat_stream(server, IMAGE, ASK, backend="fake-chat-slow")
    assert isinstance(next(stream), chat.ChatLoading)
    assert next(stream) == "a"
    started = time.monotonic()
    with pytest.raises(BusyError):
        chat.chat_stream(server, IMAGE, ASK)  # refused before any read
    assert time.monotonic() - started < 1
    cancel = fake_chat.CALLS[-1]["cancel"]
    stream.close()  # what Gradio's Stop does
    assert cancel.is_set() and fake_chat.CALLS[-1].get("closed")
    assert server.long_jobs("chat").running == 0
    assert list(chat.chat_stream(server, IMAGE, ASK))  # the slot is free again


def test_a_stream_dropped_before_its_first_read_frees_its_slot(server):
    stream = chat.chat_stream(server, IMAGE, ASK)
    assert server.long_jobs("chat").running == 1
    stream.close()
    assert server.long_jobs("chat").running == 0 and stream.job.cancel.is_set()


def test_the_deadline_stops_a_reply(server):
    stream = chat.chat_stream(server, IMAGE, ASK, backend="fake-chat-slow")
    stream.job.deadline = time.monotonic() + 0.2
    reply = next(i for i in stream if isinstance(i, ChatReply))
    assert reply.stopped == "time" and 0 < reply.tokens < 50


def test_bad_input_is_refused_before_a_model_loads_or_a_slot_is_taken(server):
    with pytest.raises(BadInputError, match="empty"):
        chat.chat_stream(server, IMAGE, [ChatTurn("user", "   ")])
    with pytest.raises(BadInputError, match=r"pixels|too large|limit"):
        chat.chat_stream(
            ModelServer(Settings(preset=fake_chat.PRESET, max_image_pixels=100)), IMAGE, ASK
        )
    with pytest.raises(BadInputError, match=r"image file"):
        chat.chat_stream(server, 42, ASK)
    with pytest.raises(EnglishOnlyError, match="Qwen2-VL") as err:
        chat.chat_stream(server, IMAGE, [ChatTurn("user", "这是什么？")], backend="fake-chat-en")
    assert "请用英文提问" in translate(str(err.value), "zh")
    with pytest.raises(BadInputError, match="model"):
        chat.chat_stream(server, IMAGE, ASK, backend="no-such-model")
    assert not server.is_loaded("chat") and server.long_jobs("chat").running == 0


def test_a_chinese_question_goes_to_a_model_that_reads_it(server):
    reply = chat.chat(server, IMAGE, [ChatTurn("user", "这是什么？")])
    assert reply.text and fake_chat.CALLS[-1]["turns"][-1].text == "这是什么？"


def test_options_from_sliders_and_strings():
    options = chat.chat_options(0.0, "0.5", 12.0)
    assert (options.temperature, options.top_p, options.max_new_tokens) == (0.0, 0.5, 12)
    for bad in [
        dict(temperature=3),
        dict(top_p=0),
        dict(max_new_tokens=0),
        dict(max_new_tokens=5000),
        dict(temperature="warm"),
    ]:
        with pytest.raises(BadInputError):
            chat.chat_options(**bad)


def test_history_formats_the_api_accepts():
    messages = [
        {"role": "user", "content": "What is it?"},
        {"role": "assistant", "content": [{"type": "text", "text": "A square."}]},
    ]
    pairs = [["What is it?", "A square."]]
    for history in (messages, pairs, json.dumps(messages), json.dumps(pairs)):
        turns = chat.conversation(history, "Which colour?")
        assert [t.role for t in turns] == ["user", "assistant", "user"]
        assert turns[1].text == "A square." and turns[2].text == "Which colour?"
    assert chat.conversation(None, "Hi") == (ChatTurn("user", "Hi"),)
    with pytest.raises(BadInputError, match="JSON"):
        chat.conversation("{not json", "Hi")
    with pytest.raises(BadInputError, match="limit"):
        chat.conversation(pairs * MAX_TURNS, "Hi")
    with pytest.raises(BadInputError, match="limit"):
        chat.conversation("x" * (chat.MAX_HISTORY_CHARS + 1), "Hi")
    with pytest.raises(BadInputError, match="empty"):
        chat.conversation(messages, "")
    with pytest.raises(BadInputError):
        chat.conversation([42], "Hi")


def test_no_chat_model_on_lite_says_so_plainly():
    lite = ModelServer(Settings(preset="lite"))
    assert not chat.can_chat(lite)
    with pytest.raises(BadInputError, match="full preset") as err:
        chat.chat_stream(lite, IMAGE, ASK)
    assert "完整预设" in translate(str(err.value), "zh")
