"""The status panel's index and model-memory lines, in English and Chinese.

The memory lines are formatted from ``ModelServer.memory_state()``; the pure formatter is
checked on fixed states (a fixed clock), ``status_markdown`` on a real tiny server.
"""

from __future__ import annotations

import pytest

from mmdemo.core.config import Settings
from mmdemo.services.status import IndexType
from mmdemo.serving import ModelServer
from mmdemo.ui.status import model_memory_lines, recall_note, span, status_markdown
from tests.support.galleries import make_gallery

NOW = 1_800_000_000.0


def state(budget=None, ttl=None, unloaded=()):
    return {"budget_gb": budget, "ttl_s": ttl, "loaded_gb": 1.234, "loaded": [],
            "unloaded": list(unloaded)}  # fmt: skip


def event(reason, *, ago, task="caption", backend="blip-caption", gb=0.9, idle=30.0):
    return {"task": task, "backend": backend, "reason": reason, "gb": gb, "at": NOW - ago,
            "idle_s": idle}  # fmt: skip


def test_the_memory_line_says_loaded_gb_against_the_budget_and_the_ttl():
    assert model_memory_lines(state(budget=8, ttl=900), "en") == [
        "- **model memory**: 1.23 GB of models loaded, budget 8 GB; a model idle for "
        "15 min is unloaded"
    ]
    assert model_memory_lines(state(ttl=45), "en") == [
        "- **model memory**: 1.23 GB of models loaded, no budget; a model idle for 45 s is unloaded"
    ]
    assert model_memory_lines(state(budget=2.5), "zh") == [
        "- **模型内存**：已加载的模型共 1.23 GB，预算 2.5 GB"
    ]
    assert model_memory_lines(state(budget=8, ttl=7200), "zh") == [
        "- **模型内存**：已加载的模型共 1.23 GB，预算 8 GB；闲置 2 小时的模型会被卸载"
    ]


@pytest.mark.parametrize(
    ("reason", "english", "chinese"),
    [
        ("budget", "to make room within the memory budget", "为了给内存预算腾出空间"),
        ("ttl", "idle for 16 min", "闲置了 16 分钟"),
        ("asked", "on request", "应请求卸载"),
    ],
)
def test_the_last_unload_is_the_newest_with_its_reason(reason, english, chinese):
    newest, older = event(reason, ago=300, idle=960), event("budget", ago=4000, task="vqa")
    lines = model_memory_lines(state(budget=8, unloaded=[newest, older]), "en", now=NOW)
    assert lines[1:] == [
        f"- **last unloaded**: Caption (`blip-caption`, 0.90 GB) 5 min ago — {english}; "
        "it loads again on its next request"
    ]
    zh = model_memory_lines(state(budget=8, unloaded=[newest, older]), "zh", now=NOW)
    assert zh[1:] == [
        f"- **最近卸载**：图片描述（`blip-caption`，0.90 GB），5 分钟前 — {chinese}；"
        "下次请求时会重新加载"
    ]


def test_an_unknown_task_or_reason_keeps_its_own_name():
    odd = event("swapped", ago=10, task="sentiment_fusion_x")
    line = model_memory_lines(state(ttl=60, unloaded=[odd]), "en", now=NOW)[1]
    assert "sentiment_fusion_x (`blip-caption`" in line and "10 s ago — swapped;" in line


def test_spans_read_at_a_glance():
    assert [span(s, "en") for s in (0, 119, 120, 7199, 7200, -5)] == [
        "0 s", "119 s", "2 min", "120 min", "2 h", "0 s",
    ]  # fmt: skip
    assert span(600, "zh") == "10 分钟"


def test_recall_is_shown_for_every_type_but_plain_flat():
    assert recall_note(IndexType("flat", 1.0, 0), "en") == ""
    hnsw = IndexType("hnsw", 0.9734, 1000)
    assert recall_note(hnsw, "en") == (
        " — recall@10 0.97, measured on 1,000 queries when it was built"
    )
    assert recall_note(hnsw, "zh") == " — recall@10 为 0.97（建立时用 1,000 个查询测得）"
    old = IndexType("hnsw", None, 0)  # saved before recall was measured
    assert recall_note(old, "en") == " — recall@10 not measured (saved by an older version)"
    assert recall_note(old, "zh") == " — recall@10 未测量（由旧版本保存）"
    assert IndexType("sq8", 0.995, 40).exact and not hnsw.exact


@pytest.fixture
def budget_server():
    return ModelServer(Settings(preset="tiny", device="cpu", memory_budget_gb=8.0))


def test_the_panel_shows_model_memory_only_when_a_budget_or_ttl_is_set(budget_server, tmp_path):
    gallery = make_gallery(budget_server, tmp_path, memory_budget_gb=8.0)
    panel = status_markdown(budget_server, gallery, language="en")
    memory = [row for row in panel.splitlines() if row.startswith("- **model memory**")]
    assert len(memory) == 1 and ", budget 8 GB" in memory[0] and "last unloaded" not in panel

    budget_server.get("sentiment")
    budget_server.unload("sentiment")  # reason "asked"
    panel = status_markdown(budget_server, gallery, language="en")
    last = panel.splitlines()[-1]
    assert last.startswith("- **last unloaded**: Sentiment of a text (`")
    assert " ago — on request; it loads again on its next request" in last
    zh = status_markdown(budget_server, gallery, language="zh")
    assert "- **最近卸载**：文本情感（`" in zh and "应请求卸载" in zh

    plain_server = ModelServer(Settings(preset="tiny", device="cpu"))
    plain = status_markdown(plain_server, make_gallery(plain_server, tmp_path / "b"), language="en")
    assert "model memory" not in plain and "- **memory**:" in plain


def test_every_registered_task_has_a_name_in_both_languages():
    """The models list names each task in the visitor's language (the chat and generate rows
    once read "chat:" on the Chinese page)."""
    from mmdemo.models.registry import list_tasks
    from mmdemo.ui.status import task_name

    for task in list_tasks():
        assert task_name(task, "en") != task, task
        assert task_name(task, "zh") != task_name(task, "en"), task
