"""The Chat tab's endpoint, /chat, on the tiny app (the real SmolVLM / Qwen2-VL twins):
streamed partial text through gradio_client ``submit()``, the finished reply's JSON, a
history, raw HTTP (English and Chinese refusals), every example the tab offers, the lite
app (no chat endpoint at all) and an answer saved as a gallery caption."""

from __future__ import annotations

import json

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from mmdemo.core.config import PROJECT_ROOT
from mmdemo.core.i18n import has_cjk
from mmdemo.ui.tabs.chat import EXAMPLES
from tests.support.page_views import call_as, outputs_of

pytestmark = pytest.mark.integration

CAT = PROJECT_ROOT / "assets" / "gallery" / "chelsea_the_cat.png"


def test_chat_streams_partial_text_then_the_reply(gradio_client):
    job = gradio_client.submit(
        handle_file(str(CAT)),
        "What is this?",
        "",
        0.0,
        0.9,
        12,
        "smolvlm-tiny",
        api_name="/chat",
    )
    partials = [text for text, _ in job]
    text, reply = job.result()
    assert len(partials) >= 2 and all(isinstance(p, str) for p in partials)
    assert all(text.startswith(p) for p in partials if p)  # it grows
    assert reply["text"] == text and reply["backend"] == "smolvlm-tiny"
    assert reply["random_weights"] is True and reply["stopped"] in ("eos", "length")
    # "length": the 12-token cap sent with the call was reached, exactly
    assert reply["tokens"] == 12 if reply["stopped"] == "length" else 0 < reply["tokens"] <= 12


def test_chat_takes_a_history_and_another_model(gradio_client):
    history = json.dumps([["What is this?", "A cat."]])
    text, reply = gradio_client.predict(
        handle_file(str(CAT)),
        "Which colour is it?",
        history,
        0.0,
        0.9,
        6,
        "qwen2-vl-tiny",
        api_name="/chat",
    )
    assert reply["backend"] == "qwen2-vl-tiny" and reply["text"] == text


def test_chat_refuses_bad_input_plainly(gradio_client):
    with pytest.raises(AppError, match="temperature"):
        gradio_client.predict(
            handle_file(str(CAT)), "Hi", "", 9.0, 0.9, 6, "smolvlm-tiny", api_name="/chat"
        )
    with pytest.raises(AppError, match="English only"):
        gradio_client.predict(
            handle_file(str(CAT)), "这是什么？", "", 0.0, 0.9, 6, "smolvlm-tiny", api_name="/chat"
        )


def test_chat_over_raw_http_in_chinese(app_server):
    stream = call_as(
        app_server.url, "chat", [CAT, "这是什么？", "", 0, 0.9, 4, "qwen2-vl-tiny"], "zh"
    )
    _, reply = outputs_of(stream)
    assert reply["backend"] == "qwen2-vl-tiny" and reply["tokens"] <= 4
    refused = call_as(
        app_server.url, "chat", [CAT, "这是什么？", "", 0, 0.9, 4, "smolvlm-tiny"], "zh"
    )
    assert "event: error" in refused
    error = json.loads(refused.split("data: ", 1)[1].splitlines()[0])["error"]
    assert "请用英文提问" in error and "Qwen2-VL" in error


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_chat_example_is_answered(gradio_client, language):
    model = "smolvlm-tiny" if language == "en" else "qwen2-vl-tiny"
    for image, question in EXAMPLES[language]:
        assert has_cjk(question) == (language == "zh")
        text, reply = gradio_client.predict(
            handle_file(str(PROJECT_ROOT / "assets" / image)),
            question,
            "",
            0.0,
            0.9,
            4,
            model,
            api_name="/chat",
        )
        assert reply["tokens"] >= 1 and reply["text"] == text


def test_an_answer_is_saved_as_the_caption(app_server, make_test_image):
    """Raw HTTP: the image and the answer's text (the page sends its last answer)."""
    photo = make_test_image("chat_caption.png")
    with app_server.gallery_left_as_it_was():
        answer = "A striped test picture."
        said, saved = outputs_of(
            call_as(app_server.url, "chat_save_caption", [photo, answer, ""], "en")
        )
        first = json.loads(saved) if isinstance(saved, str) else saved
        assert first["added"] is True and first["caption"] == "A striped test picture."
        assert f"#{first['id']}" in said
        said, again = outputs_of(
            call_as(app_server.url, "chat_save_caption", [photo, "A  better\ncaption. ", ""], "zh")
        )
        again = json.loads(again) if isinstance(again, str) else again
        assert again == {"id": first["id"], "added": False, "caption": "A better caption."}
        assert "描述" in said


def test_lite_has_no_chat_endpoint(offline_client):
    assert (
        "/chat"
        not in offline_client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    )
