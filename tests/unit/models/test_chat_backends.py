"""Chat backends: the tiny SmolVLM and Qwen2-VL twins through the real loading, chat
template, processor, streaming generation and stopping code (shapes and behaviour only:
their weights are random, so their words mean nothing)."""

from __future__ import annotations

import threading
import time

import pytest
from PIL import Image

from mmdemo.core.chat_results import ChatOptions, ChatReply, ChatTurn
from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError
from mmdemo.core.i18n import translate
from mmdemo.models.protocols import ChatModel
from mmdemo.models.registry import EnglishOnlyError, get_backend
from tests.support.catalogue import english_left

pytestmark = pytest.mark.usefixtures("one_thread")

GREEDY = ChatOptions(temperature=0, max_new_tokens=12)
QUESTION = [ChatTurn("user", "What is in this picture?")]


@pytest.fixture(scope="module")
def backends(tmp_path_factory, load_context):
    settings = Settings(preset="tiny", cache_dir=tmp_path_factory.mktemp("chat-cache"))
    loaded = {}
    for name in ("smolvlm-tiny", "qwen2-vl-tiny"):
        spec = get_backend("chat", name)
        loaded[name] = spec.load(spec, load_context(settings))
    return loaded


@pytest.fixture(params=["smolvlm-tiny", "qwen2-vl-tiny"])
def chat(request, backends):
    return backends[request.param]


@pytest.fixture(scope="module")
def photo():
    return Image.new("RGB", (224, 160), (30, 120, 200))


def run(backend, image, turns, options=GREEDY, cancel=None, deadline=None):
    items = list(backend.stream_reply(image, turns, options, cancel or threading.Event(), deadline))
    assert isinstance(items[-1], ChatReply)
    assert all(isinstance(item, str) for item in items[:-1])
    return items[:-1], items[-1]


def no_worker_left(within_s: float = 10.0) -> bool:
    """Whether every generation thread ends (soon: it may still be returning when the
    stream's last item arrives, and a loaded machine schedules it late)."""
    for thread in threading.enumerate():
        if thread.name == "chat-generate":
            thread.join(timeout=within_s)
    return not any(t.name == "chat-generate" and t.is_alive() for t in threading.enumerate())


def test_loads_as_a_chat_model(chat):
    assert isinstance(chat, ChatModel)
    assert chat.info().is_random and chat.info().parameters > 0


def test_deltas_join_into_the_reply(chat, photo):
    deltas, reply = run(chat, photo, QUESTION)
    assert len(deltas) > 1  # streamed token by token, not in one piece
    assert "".join(deltas) == reply.text
    assert reply.backend == chat.spec.name and reply.random_weights
    assert reply.stopped in ("eos", "length")
    cap = GREEDY.max_new_tokens  # "length" means the cap was reached, exactly
    assert reply.tokens == cap if reply.stopped == "length" else 0 < reply.tokens <= cap
    assert reply.first_token_s is not None and 0 < reply.first_token_s <= reply.seconds
    assert no_worker_left()


def test_greedy_is_deterministic_and_seeded_sampling_reproducible(chat, photo):
    assert run(chat, photo, QUESTION)[1].text == run(chat, photo, QUESTION)[1].text
    sampled = [
        ChatOptions(temperature=1.0, top_p=0.95, max_new_tokens=12, seed=s) for s in (1, 1, 2)
    ]
    texts = [run(chat, photo, QUESTION, options)[1].text for options in sampled]
    assert texts[0] == texts[1] and texts[0] != texts[2]


def test_max_new_tokens_is_respected(chat, photo):
    _, reply = run(chat, photo, QUESTION, ChatOptions(temperature=0, max_new_tokens=3))
    assert reply.tokens <= 3
    assert reply.stopped == ("length" if reply.tokens == 3 else "eos")


def test_cancel_stops_within_a_few_tokens(chat, photo):
    cancel = threading.Event()
    stream = chat.stream_reply(photo, QUESTION, ChatOptions(max_new_tokens=500, seed=0), cancel)
    after = 0
    for item in stream:
        if isinstance(item, ChatReply):
            reply = item
        elif not cancel.is_set():
            cancel.set()
        else:
            after += 1
    # the worker may produce a few more tokens before it sees the event (how many depends on
    # scheduling under load); what matters is that it stops far short of the 500 asked for
    assert reply.stopped == "cancelled" and reply.tokens < 100 and after <= 20
    assert no_worker_left()


def test_closing_the_stream_cancels_and_ends_the_worker(chat, photo):
    cancel = threading.Event()
    stream = chat.stream_reply(photo, QUESTION, ChatOptions(max_new_tokens=500, seed=0), cancel)
    assert isinstance(next(stream), str)
    stream.close()
    assert cancel.is_set() and no_worker_left()


def test_a_passed_deadline_stops_with_time(chat, photo):
    options = ChatOptions(temperature=0, max_new_tokens=500)
    _, reply = run(chat, photo, QUESTION, options, deadline=time.monotonic())
    assert reply.stopped == "time" and reply.tokens <= 2


def test_the_template_holds_prior_turns_and_the_image_once(chat, photo):
    turns = [
        ChatTurn("user", "What colour is the sky?"),
        ChatTurn("assistant", "It is blue."),
        ChatTurn("user", "And the grass?"),
    ]
    prompt = chat.prompt(photo, turns)
    assert all(turn.text in prompt for turn in turns)
    assert prompt.index("sky") < prompt.index("blue") < prompt.index("grass")
    image_token = "<image>" if "smolvlm" in chat.spec.name else "<|image_pad|>"
    assert prompt.count(image_token) == 1 and prompt.index(image_token) < prompt.index("sky")
    assert run(chat, photo, turns)[1].dropped_turns == 0
    assert image_token not in chat.prompt(None, turns)  # a text-only chat has no image
    assert run(chat, None, turns)[1].tokens >= 1


def test_a_long_conversation_drops_the_oldest_turns(chat, photo):
    long = "describe it again " * 30  # ~540 tokens a turn: over the tiny twins' 512
    turns = [ChatTurn("user", long), ChatTurn("assistant", long)] * 2
    turns.append(ChatTurn("user", "Last question?"))
    inputs, dropped = chat.inputs(photo, turns)
    assert dropped == 4 and inputs["input_ids"].shape[1] <= chat.max_prompt_tokens
    assert run(chat, photo, turns)[1].dropped_turns == 4


def test_bad_conversations_are_refused_before_model_work(chat, photo):
    with pytest.raises(BadInputError, match="empty"):
        chat.stream_reply(photo, [], GREEDY, threading.Event())
    with pytest.raises(BadInputError, match="not an image"):
        chat.stream_reply("photo.jpg", QUESTION, GREEDY, threading.Event())


def test_smolvlm_refuses_chinese_and_names_qwen(backends, photo):
    chinese = [ChatTurn("user", "这张图片里有什么？")]
    with pytest.raises(EnglishOnlyError, match="Qwen2-VL") as err:
        backends["smolvlm-tiny"].stream_reply(photo, chinese, GREEDY, threading.Event())
    assert english_left(str(err.value)) == [] and "Qwen2-VL" in translate(str(err.value), "zh")
    deltas, reply = run(backends["qwen2-vl-tiny"], photo, chinese)
    assert reply.tokens >= 1 and "".join(deltas) == reply.text


def test_qwen_caps_the_visual_tokens(backends, photo):
    qwen = backends["qwen2-vl-tiny"]
    big = Image.new("RGB", (1024, 768))
    grid = qwen.inputs(big, QUESTION)[0]["image_grid_thw"][0]
    assert int(grid.prod()) // 4 <= 16  # the tiny spec's max_tokens (2x2 patches per token)


def test_full_specs_name_their_hub_repos():
    settings = Settings(preset="full")
    repos = {
        name: [w.repo_id for w in get_backend("chat", name).weights(settings)]
        for name in ("smolvlm-256m", "smolvlm-500m", "qwen2-vl-2b")
    }
    assert repos == {
        "smolvlm-256m": ["HuggingFaceTB/SmolVLM-256M-Instruct"],
        "smolvlm-500m": ["HuggingFaceTB/SmolVLM-500M-Instruct"],
        "qwen2-vl-2b": ["Qwen/Qwen2-VL-2B-Instruct"],
    }
    assert get_backend("chat", "qwen2-vl-2b").capabilities.reads("这是什么")
    assert not get_backend("chat", "smolvlm-256m").capabilities.reads("这是什么")
    patterns = get_backend("chat", "qwen2-vl-2b").weights(settings)[0].patterns
    assert "*.safetensors" in patterns and "*.jinja" in patterns
