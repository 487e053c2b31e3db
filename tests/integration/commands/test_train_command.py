"""``python -m mmdemo train MODEL`` as a user runs it (tiny): a head trained by one command
is used by the next; a missing CSV is a one-line error with exit status 2.

The commands run ``main`` in this process (``run_main``: the same output and exit status,
without a fresh interpreter's imports each time)."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support.cli import run_main
from tests.support.sentiment_data import write_synthetic_csv

pytestmark = pytest.mark.integration


def run_cli(*args: str, index_dir) -> subprocess.CompletedProcess:
    # tiny's English-only open_clip twin: its random text vectors of the synthetic set's
    # sentences stay apart, so the trained head's verdict is checkable (the multilingual
    # twin's tiny tokenizer spells English letter by letter, and 30 rows do not separate)
    return run_main(*args, MMDEMO_INDEX_DIR=str(index_dir), MMDEMO_BACKENDS="embed=openclip-tiny")


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("cli_train")


def test_train_then_use_the_head(work):
    data = write_synthetic_csv(work / "synthetic", rows=30)
    trained = run_cli(
        "train", "sentiment-fusion", "--data", str(data), "--epochs", "150", index_dir=work / "idx"
    )
    assert trained.returncode == 0, trained.stderr
    assert "held-out accuracy" in trained.stdout
    assert (work / "idx" / "sentiment_fusion" / "head.json").is_file()

    used = run_cli(
        "sentiment",
        "--text",
        "I am so happy",
        "--fusion",
        "early",
        "--json",
        index_dir=work / "idx",
    )
    assert used.returncode == 0, used.stderr
    result = json.loads(used.stdout)
    assert result["fusion"] == "early" and result["label"] == "positive"

    bad = run_cli(
        "train", "sentiment-fusion", "--data", str(work / "nope.csv"), index_dir=work / "idx"
    )
    assert bad.returncode == 2 and "no such CSV" in bad.stderr
