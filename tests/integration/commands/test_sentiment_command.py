"""``python -m mmdemo sentiment`` as a user runs it (tiny).

``--json`` that parses with the fused label on top, one-line errors with exit status 2 and
no traceback. (A head trained by ``train sentiment-fusion`` and then used:
test_train_command.py.) Commands that load a model run ``main`` in this process
(``run_main``: the same output and exit status, without a fresh interpreter's imports each
time); the errors found before any model loads still run ``python -m mmdemo`` as a process.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support.app_process import run_mmdemo
from tests.support.cli import run_main
from tests.support.images import write_test_image

pytestmark = pytest.mark.integration

CLASSES = {"negative", "neutral", "positive"}


def run_cli(*args: str, index_dir, in_process: bool = True) -> subprocess.CompletedProcess:
    run = run_main if in_process else run_mmdemo
    return run(*args, MMDEMO_INDEX_DIR=str(index_dir))


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_sentiment")
    write_test_image(root / "photo.jpg", color=(90, 90, 100))
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    return root


def _probabilities_ok(probs: dict) -> None:
    assert set(probs) == CLASSES
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-4)


def test_json_has_the_fused_label_beside_each_modality(work):
    result = run_cli(
        "sentiment",
        "--text",
        "great, another rainy day",
        "--image",
        str(work / "photo.jpg"),
        "--weight",
        "0.3",
        "--json",
        index_dir=work / "idx",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["label"] in CLASSES and data["fusion"] == "late" and data["text_weight"] == 0.3
    _probabilities_ok(data["probabilities"])
    assert set(data["modalities"]) == {"text", "image"}
    for modality in data["modalities"].values():
        _probabilities_ok(modality["probabilities"])
        assert modality["pull"] in ("positive", "negative", "neither")
    assert data["random_weights"] is True


def test_plain_output_and_text_only(work):
    result = run_cli("sentiment", "--text", "I love this!", index_dir=work / "idx")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[0] in CLASSES and "late fusion" in lines[0]
    assert lines[2].startswith("text") and lines[3].startswith("fused")
    assert any("meaningless" in line for line in lines)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), "Give a text, an image, or both"),
        (("--text", "   "), "Give a text, an image, or both"),
        (("--image", "broken.png"), "broken.png"),
        (("--image", "missing.jpg"), "missing.jpg"),
        (("--text", "hi", "--weight", "1.5"), "between 0 and 1"),
        (("--text", "hi", "--fusion", "early"), "train sentiment-fusion"),
    ],
    ids=["nothing", "blank-text", "corrupt-image", "missing-image", "weight", "no-head"],
)
def test_bad_input_is_one_line_and_exit_2(work, args, expected):
    args = tuple(str(work / a) if a.endswith((".png", ".jpg")) else a for a in args)
    # the missing head is found while loading the models: in this process; the others are
    # refused before any model loads, by ``python -m mmdemo`` itself
    in_process = "--fusion" in args
    result = run_cli("sentiment", *args, index_dir=work / "empty-idx", in_process=in_process)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and expected in errors[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
