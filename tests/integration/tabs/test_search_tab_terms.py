"""Query arithmetic through the running app: /search_terms (the one-line terms, an optional
image, k) through gradio_client and as a Chinese browser calls it, its refusals, and the
examples the panel offers (tiny: shapes and types; what they find on lite is checked with
the real models in tests/unit/services/test_query_terms_lite.py).
"""

from __future__ import annotations

import json

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from mmdemo.ui import examples
from tests.support.app_process import REPO_ROOT
from tests.support.localised_calls import call_in, call_stream
from tests.support.uploads import raw_upload

pytestmark = pytest.mark.integration

GALLERY = REPO_ROOT / "assets" / "gallery"


def test_terms_return_grid_message_hits_and_what_was_searched(gradio_client):
    grid, message, hits, said = gradio_client.predict(
        'a dog + "at night" - 0.5 * people', None, 4, api_name="/search_terms"
    )
    assert len(grid) == len(hits) == 4 and "result" in message
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert said == '**Searched for:** `"a dog" + "at night" - 0.5 * "people"`'


def test_the_image_counts_only_where_the_terms_name_it(gradio_client):
    cat = handle_file(str(GALLERY / "chelsea_the_cat.png"))
    _, _, plain, said = gradio_client.predict('"at night"', cat, 3, api_name="/search_terms")
    assert "not in the terms, so it was not used" in said
    _, _, mixed, said = gradio_client.predict(
        'image + "at night"', cat, 3, api_name="/search_terms"
    )
    assert "not used" not in said and "`image + " in said
    assert [h["id"] for h in mixed] != [h["id"] for h in plain] or mixed != plain


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("", "empty"),
        ('- "people"', "only say what to leave out"),
        ('3 * "a"', "between -2 and 2"),
        ("image", "no image was given"),
        ('"a" "b"', "Put + or - between"),
    ],
)
def test_bad_terms_are_clear_errors(gradio_client, line, words):
    with pytest.raises(AppError, match=words.replace("+", r"\+")):
        gradio_client.predict(line, None, 3, api_name="/search_terms")


def test_a_chinese_visitor_reads_what_was_searched_and_the_refusals_in_chinese(app_server):
    _, message, hits, said = call_in(
        app_server.url, "search_terms", ['一只猫 - "人"', None, 3], language="zh-CN"
    )[:4]
    assert len(hits) == 3 and message.startswith("共 3 个结果"), message
    assert said.startswith("**搜索的是：**") and '"一只猫" - "人"' in said
    stream = call_stream(app_server.url, "search_terms", ['- "人"', None, 3], language="zh-CN")
    error = json.loads(stream.split("data: ", 1)[1])["error"]
    assert "event: error" in stream and "请用 + 加上你要找的内容" in error, stream


@pytest.mark.parametrize(
    "example", examples.terms_examples("tiny"), ids=lambda e: f"{e.language}:{e.line}"
)
def test_every_offered_example_runs(app_server, example):
    """tiny mirrors full: each example (its line and its photo) gives results of the right
    types, in the language that offers it."""
    upload = raw_upload(
        app_server.url, "q.png", (REPO_ROOT / "assets" / example.image).read_bytes()
    )
    language = "zh-CN" if example.language == "zh" else "en-US"
    _, message, hits, said = call_in(
        app_server.url, "search_terms", [example.line, upload, 5], language=language
    )[:4]
    assert len(hits) == 5 and all(isinstance(h["score"], float) for h in hits)
    assert isinstance(message, str) and "image" in said


def test_the_endpoint_is_listed(gradio_client):
    assert (
        "/search_terms"
        in gradio_client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    )
