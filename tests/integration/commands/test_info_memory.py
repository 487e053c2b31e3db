"""``info`` shows the memory budget and the model TTL, as text and in its JSON."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import run_main

pytestmark = pytest.mark.integration


def test_info_shows_the_budget_the_ttl_and_what_is_loaded(indexed):
    _, index_dir, _ = indexed
    env = {"MMDEMO_MEMORY_BUDGET_GB": "6", "MMDEMO_MODEL_TTL_S": "900"}
    result = run_main("info", "--index-dir", str(index_dir), "--json", **env)
    memory = json.loads(result.stdout)["memory_budget"]
    assert memory["budget_gb"] == 6 and memory["ttl_s"] == 900 and memory["unloaded"] == []
    assert {row["task"] for row in memory["loaded"]} >= {"embed"}  # the index's embedder
    text = run_main("info", "--index-dir", str(index_dir), **env).stdout
    assert "memory budget: 0.00 GB of models loaded, budget 6 GB; idle models unloaded " in text
    assert "after 900 s" in text
    plain = run_main("info", "--index-dir", str(index_dir)).stdout
    assert "no budget (MMDEMO_MEMORY_BUDGET_GB); no model TTL" in plain
