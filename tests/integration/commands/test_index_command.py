"""``python -m mmdemo index DIR`` as a user runs it: a real subprocess, its summary, errors."""

from __future__ import annotations

import pytest

from tests.support.app_process import run_mmdemo, user_error

pytestmark = pytest.mark.integration


def test_index_summary(indexed):
    _, index_dir, result = indexed
    assert result.returncode == 0, result.stderr
    assert "added 4, skipped 1 duplicate(s), 1 unreadable" in result.stdout
    assert "broken.png" in result.stdout
    assert (index_dir / "manifest.json").is_file()


@pytest.mark.parametrize(("args", "expected"), [(("index", "/no/such/folder"), "not a folder")])
def test_bad_input_exits_2_with_one_line(indexed, args, expected):
    _, index_dir, _ = indexed
    assert expected in user_error(run_mmdemo(*args, "--index-dir", str(index_dir)))
