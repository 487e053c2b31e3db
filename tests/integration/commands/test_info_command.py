"""``python -m mmdemo info`` as a user runs it: preset, models and index, from flags or the
environment; one-line errors with exit status 2.

Commands that load a model run ``main`` in this process (``run_main``: the same output and
exit status, without a fresh interpreter's imports each time); the errors found before
any model loads still run ``python -m mmdemo`` as a process."""

from __future__ import annotations

import json

import pytest

from tests.support.app_process import run_mmdemo, user_error
from tests.support.cli import run_main

pytestmark = pytest.mark.integration


def test_info_names_preset_model_and_index(indexed):
    _, index_dir, _ = indexed
    result = run_main("info", "--index-dir", str(index_dir), "--json")
    info = json.loads(result.stdout)
    assert info["preset"] == "tiny" and info["index"]["count"] == 4
    assert info["index"]["kind"] == "flat" and info["models"][0]["is_random"]


@pytest.mark.parametrize(("args", "expected"), [(("info", "--preset", "nope"), "Valid choices")])
def test_bad_input_exits_2_with_one_line(indexed, args, expected):
    _, index_dir, _ = indexed
    assert expected in user_error(run_mmdemo(*args, "--index-dir", str(index_dir)))


def test_settings_come_from_the_environment(indexed):
    _, index_dir, _ = indexed
    result = run_main("info", "--json", MMDEMO_INDEX_DIR=str(index_dir))
    assert json.loads(result.stdout)["index"]["count"] == 4
