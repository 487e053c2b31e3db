"""The Search tab's options through the running tiny app: "Collapse near-duplicates" says how
many copies it folded, "Re-rank" (tiny has the random BLIP ITM twin, as full has BLIP) says
what it cost and keeps the same hits, and /explain_hit draws where a result matched, in
English for gradio_client and in Chinese for a Chinese browser. Folding itself (which hits,
how many) is checked on known near-duplicates in tests/unit/services/test_query_terms.py.
"""

from __future__ import annotations

import json
import re

import pytest
from gradio_client.exceptions import AppError
from PIL import Image

from tests.support.localised_calls import call_in, call_stream

pytestmark = pytest.mark.integration


def text_search(client, query, k=5, collapse=False, rerank=False):
    return client.predict(query, k, False, -1.0, collapse, rerank, api_name="/search_text")


def test_collapse_says_how_many_copies_were_folded(gradio_client):
    _, message, hits = text_search(gradio_client, "a cat", 6, collapse=True)
    assert len(hits) == 6
    found = re.search(r"(No near-duplicates among these results|(\d+) near-duplicate cop)", message)
    assert found, message
    folded = sum(len(h.get("folded_ids", [])) for h in hits)
    assert folded == int(found.group(2) or 0)


def test_rerank_reorders_the_same_hits_and_says_what_it_cost(gradio_client):
    _, plain_message, plain = text_search(gradio_client, "a cup of coffee", 5)
    _, message, hits = text_search(gradio_client, "a cup of coffee", 5, rerank=True)
    assert sorted(h["id"] for h in hits) == sorted(h["id"] for h in plain)
    assert re.search(r"Re-ranked the top 5 with .+ in \d+\.\d\d s \(\d moved\)\.", message)
    assert "Re-ranked" not in plain_message


def test_a_chinese_visitor_reads_the_notes_in_chinese(app_server):
    _, message, hits = call_in(
        app_server.url, "search_text", ["a cat", 4, False, -1.0, True, True], language="zh-CN"
    )[:3]
    assert len(hits) == 4 and "重新排序" in message and "Re-ranked" not in message, message
    assert "近似重复" in message, message
    # BLIP reads English only: a Chinese query is refused for the re-rank, not mis-ranked
    stream = call_stream(
        app_server.url, "search_text", ["一只猫", 4, False, -1.0, False, True], language="zh-CN"
    )
    assert "event: error" in stream and "blip-itm-tiny" in stream, stream


def test_explain_hit_draws_where_a_result_matched(gradio_client):
    _, _, hits = text_search(gradio_client, "a cat", 3)
    drawn, note = gradio_client.predict("a cat", hits[0]["id"], api_name="/explain_hit")
    with Image.open(drawn) as overlay:
        assert overlay.width > 0 and overlay.height > 34  # the picture and its legend bar
    assert "Method:" in note and "match score" in note
    with pytest.raises(AppError, match="Search first"):
        gradio_client.predict("a cat", None, api_name="/explain_hit")
    with pytest.raises(AppError, match="no image with id 987654"):
        gradio_client.predict("a cat", 987654, api_name="/explain_hit")
    with pytest.raises(AppError, match="empty"):
        gradio_client.predict("  ", hits[0]["id"], api_name="/explain_hit")


def test_explain_hit_refuses_in_chinese(app_server):
    stream = call_stream(app_server.url, "explain_hit", ["一只猫", None], language="zh-CN")
    error = json.loads(stream.split("data: ", 1)[1])["error"]
    assert "event: error" in stream and error == "请先搜索，再选择要解释的结果。", stream
