"""The page's Blocks: a call that leaves out inputs gets their defaults; an unreadable file
input is named, with the form it takes (in-process: the Blocks' hooks are called directly);
and every task's events run in their model's queue."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import gradio as gr
import pytest

from mmdemo.core.config import Settings
from mmdemo.services.gallery import Gallery
from mmdemo.serving import ModelServer
from mmdemo.ui.blocks import DemoBlocks
from mmdemo.ui.common import MODEL_QUEUE
from mmdemo.ui.page import build_ui


@pytest.fixture
def demo():
    with DemoBlocks() as blocks:
        image = gr.Image(type="filepath")
        text = gr.Textbox(value="a cat")
        k = gr.Slider(1, 10, value=3)
        out = gr.Textbox()

        def handler(upload, query, count):
            return f"{upload}|{query}|{count}"

        gr.Button().click(handler, [image, text, k], out, api_name="probe", preprocess=False)
    return blocks


def run_coroutine(coroutine):
    """``asyncio.run`` on a thread of its own: the session's browser tests keep an event loop
    running in the main thread (playwright's sync API), where asyncio.run refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def probe(demo) -> object:
    return next(fn for fn in demo.fns.values() if fn.api_name == "probe")


def test_left_out_trailing_inputs_get_the_defaults_the_client_would_send(demo):
    for sent, filled in (
        ([], [None, "a cat", 3]),
        ([None, "dog"], [None, "dog", 3]),
        ([None, "dog", 7], [None, "dog", 7]),
    ):
        demo.validate_inputs(probe(demo), sent)
        assert sent == filled


def test_a_defaults_copy_is_sent_not_the_components_own_value():
    with DemoBlocks() as blocks:
        table = gr.JSON(value={"rows": []})
        gr.Button().click(lambda value: value, [table], table, api_name="probe")
    first, second = [], []
    blocks.validate_inputs(probe(blocks), first)
    blocks.validate_inputs(probe(blocks), second)
    first[0]["rows"].append(1)
    assert second[0] == {"rows": []} and table.value == {"rows": []}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (5, r"not this int"),
        ([{"path": "a.png"}, {"path": "b.png"}], r"not this list"),
        ({"path": 5}, r"not this dict \(path: Input should be a valid string\)"),
    ],
)
def test_an_unreadable_file_input_is_named_with_the_form_it_takes(demo, value, problem):
    with pytest.raises(gr.Error) as info:
        run_coroutine(demo.preprocess_data(probe(demo), [value, "x", 1], None))
    message = info.value.message
    assert message.startswith("Input 1 (upload) of /probe ")
    assert "gradio_client.handle_file(path)" in message
    assert re.search(problem, message), message
    # (a well-formed payload naming a server file: tests/integration/test_bad_inputs.py)


def test_every_task_runs_in_its_models_queue(tmp_path):
    """One concurrency group per model (ui/common.MODEL_QUEUE): a slow caption cannot fill
    the slots the searches use."""
    settings = Settings(preset="tiny", index_dir=tmp_path / "index", index_default_gallery=False)
    server = ModelServer(settings)
    page = build_ui(server, Gallery(server, settings))
    queues = {fn.api_name: fn.concurrency_id for fn in page.fns.values() if fn.api_name}
    expected = {
        "search_text": "embed",
        "search_image": "embed",
        "search_image_to_text": "embed",
        "search_more_like_this": "embed",
        "search_similar": "embed",
        "classify": "classify",
        "caption": "caption",
        "vqa": "vqa",
        "sentiment": "sentiment",
        "chat": "chat",
        "generate": "generate",
    }
    assert {name: queues[name] for name in expected} == {
        name: MODEL_QUEUE[task] for name, task in expected.items()
    }
    # embed (search + classify), caption, vqa, sentiment, chat, generate
    assert len(set(MODEL_QUEUE.values())) == 6
