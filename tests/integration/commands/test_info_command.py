"""``python -m mmdemo info`` as a user runs it: preset, models and index, from flags or the
environment; one-line errors with exit status 2."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support.app_process import run_mmdemo

pytestmark = pytest.mark.integration


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_mmdemo(*args, timeout=180, **(env or {}))


def test_info_names_preset_model_and_index(indexed):
    _, index_dir, _ = indexed
    result = run_cli("info", "--index-dir", str(index_dir), "--json")
    info = json.loads(result.stdout)
    assert info["preset"] == "tiny" and info["index"]["count"] == 4
    assert info["index"]["kind"] == "flat" and info["models"][0]["is_random"]


@pytest.mark.parametrize(("args", "expected"), [(("info", "--preset", "nope"), "Valid choices")])
def test_bad_input_exits_2_with_one_line(indexed, args, expected):
    _, index_dir, _ = indexed
    result = run_cli(*args, "--index-dir", str(index_dir))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and expected in lines[0]
    assert "Traceback" not in result.stderr


def test_settings_come_from_the_environment(indexed):
    _, index_dir, _ = indexed
    result = run_cli("info", "--json", env={"MMDEMO_INDEX_DIR": str(index_dir)})
    assert json.loads(result.stdout)["index"]["count"] == 4
