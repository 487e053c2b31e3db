"""``python -m mmdemo index DIR`` as a user runs it: a real subprocess, its summary, errors."""

from __future__ import annotations

import subprocess

import pytest

from tests.support.app_process import run_mmdemo

pytestmark = pytest.mark.integration


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_mmdemo(*args, timeout=180, **(env or {}))


def test_index_summary(indexed):
    _, index_dir, result = indexed
    assert result.returncode == 0, result.stderr
    assert "added 4, skipped 1 duplicate(s), 1 unreadable" in result.stdout
    assert "broken.png" in result.stdout
    assert (index_dir / "manifest.json").is_file()


@pytest.mark.parametrize(("args", "expected"), [(("index", "/no/such/folder"), "not a folder")])
def test_bad_input_exits_2_with_one_line(indexed, args, expected):
    _, index_dir, _ = indexed
    result = run_cli(*args, "--index-dir", str(index_dir))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and expected in lines[0]
    assert "Traceback" not in result.stderr
