"""The index settings from the environment, through the CLI: ``index`` builds the type they
ask for, ``info`` shows it with its measured recall@10 (text and ``--json``), and a bad
value is refused in one line naming the variable."""

from __future__ import annotations

import json

import pytest

from tests.support.app_process import run_mmdemo, user_error
from tests.support.cli import run_main

pytestmark = pytest.mark.integration


def test_a_low_threshold_builds_hnsw_and_info_shows_its_recall(indexed, tmp_path):
    photos, _, _ = indexed  # 4 distinct photos, a repeat and a broken file
    index_dir = str(tmp_path / "index")
    env = {"MMDEMO_APPROX_THRESHOLD": "2"}
    assert run_main("index", str(photos), "--index-dir", index_dir, **env).returncode == 0
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["index_type"] == "hnsw" and manifest["recall_measured_on"] == 4
    recall = manifest["recall_at_10"]

    text = run_main("info", "--index-dir", index_dir, **env).stdout
    assert f"index type: hnsw, recall@10 {recall:.3f} vs exact on 4 queries" in text
    data = json.loads(run_main("info", "--index-dir", index_dir, "--json", **env).stdout)
    assert data["index"]["kind"] == "hnsw"
    assert data["index_type"] == {
        "type": "hnsw", "exact": False, "recall_at_10": recall, "recall_measured_on": 4,
        "rerank_from": None,
    }  # fmt: skip


def test_an_exact_index_says_exact_not_a_recall_on_no_queries(indexed, tmp_path):
    photos, _, _ = indexed
    index_dir = str(tmp_path / "index")
    assert run_main("index", str(photos), "--index-dir", index_dir).returncode == 0
    text = run_main("info", "--index-dir", index_dir).stdout
    assert "index type: flat (exact)" in text
    assert "on 0 queries" not in text


@pytest.mark.parametrize(
    ("name", "value"),
    [("MMDEMO_INDEX_IVFPQ_THRESHOLD", "0"), ("MMDEMO_INDEX_MEMORY_GB", "nan"),
     ("MMDEMO_INDEX_COMPACT_THRESHOLD", "ten")],
)  # fmt: skip
def test_a_bad_index_setting_is_refused_in_one_line(name, value, tmp_path):
    error = user_error(run_mmdemo("info", "--index-dir", str(tmp_path), **{name: value}))
    assert name in error
