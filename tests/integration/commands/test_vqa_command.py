"""``python -m mmdemo vqa IMAGE "QUESTION"`` as a user runs it (tiny preset): answers with
probabilities, ``--json``, the model and fusion choices, one-line errors.

Commands that load a model run ``main`` in this process (``run_main``: the same output and
exit status, without a fresh interpreter's imports each time); the error found before any
model loads still runs ``python -m mmdemo`` as a process."""

from __future__ import annotations

import json

import pytest

from tests.support.app_process import REPO_ROOT, run_mmdemo
from tests.support.cli import run_main
from tests.support.images import write_test_image

pytestmark = pytest.mark.integration

SHAPES = REPO_ROOT / "assets" / "examples" / "shapes"


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A temp folder with one good photo."""
    root = tmp_path_factory.mktemp("cli_vqa")
    write_test_image(root / "photo.jpg", color=(200, 60, 20))
    return root


def test_vqa_prints_answers_with_probabilities(work):
    result = run_main("vqa", str(work / "photo.jpg"), "What is this?")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0].split(maxsplit=1)
    assert 0.0 <= float(first[0]) <= 1.0 and first[1]
    assert "answered by:" in result.stdout

    as_json = run_main(
        "vqa",
        str(SHAPES / "red_circle.png"),
        "What shape is this?",
        "--json",
        "--model",
        "routed-vqa",
    )
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["answered"] is True and "shapes-vqa" in data["model"]
    assert len(data["answers"]) == 5 and data["answers"][0]["answer"] == "circle"
    probabilities = [a["probability"] for a in data["answers"]]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1.0001


def test_vqa_prints_the_message_when_it_cannot_answer(work):
    result = run_main(
        "vqa", str(work / "photo.jpg"), "How many people are watching?", "--model", "routed-vqa"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "answer" in lines[0].lower()  # the model's reason, not a list of guesses
    assert len(lines) == 2 and lines[1].startswith("answered by:")


def test_the_fusion_flag_picks_that_trained_variant():
    result = run_main(
        "vqa",
        str(SHAPES / "red_circle.png"),
        "What shape is this?",
        "--model",
        "routed-vqa",
        "--fusion",
        "sum",
        "--top-k",
        "2",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "sum fusion" in data["model"] and data["answers"][0]["answer"] == "circle"
    assert len(data["answers"]) == 2


def test_a_fusion_for_a_model_without_fusions_exits_2_with_one_line():
    result = run_main(
        "vqa", str(SHAPES / "red_circle.png"), "What shape is this?", "--fusion", "sum"
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "blip-vqa-tiny" in lines[0] and "no fusion" in lines[0] and "routed-vqa" in lines[0]


def test_an_unknown_fusion_lists_the_fusions():
    result = run_main(
        "vqa", str(SHAPES / "red_circle.png"), "What?", "--model", "routed-vqa", "--fusion", "nope"
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "nope" in result.stderr and "attention" in result.stderr


@pytest.mark.parametrize("args", [("vqa", "missing.jpg", "What is this?")])
def test_unreadable_image_exits_2_with_one_line(work, args):
    command, name, *rest = args
    result = run_mmdemo(command, str(work / name), *rest)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and name in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_an_unknown_model_choice_lists_the_choices(work):
    result = run_main("vqa", str(work / "photo.jpg"), "What is this?", "--model", "nope")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "nope" in result.stderr and "vilt-vqa-tiny" in result.stderr
