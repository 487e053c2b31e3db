"""``python -m mmdemo caption | vqa | caption-gallery`` as a user runs them (tiny preset).

Real subprocesses: exit codes, ``--json`` that parses, one-line errors with no traceback,
and captions that ``caption-gallery`` stores showing up in ``search --json``.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import REPO_ROOT, run_mmdemo, write_test_image

pytestmark = pytest.mark.integration

SHAPES = REPO_ROOT / "assets" / "examples" / "shapes"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return run_mmdemo(*args, timeout=180)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A temp folder with one good photo, one broken file and an (empty) index folder path."""
    root = tmp_path_factory.mktemp("cli_tasks")
    write_test_image(root / "photo.jpg", color=(200, 60, 20))
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    return root


def test_caption_prints_a_caption_and_json(work):
    text = run_cli("caption", str(work / "photo.jpg"), "--index-dir", str(work / "idx"))
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].strip() and lines[1].startswith("method:")
    assert "random test weights" in text.stdout  # tiny never passes for a real model

    as_json = run_cli("caption", str(work / "photo.jpg"), "--preset", "tiny", "--json")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["caption"] == lines[0]  # same model, same image, same caption
    assert data["method"] and data["random_weights"] is True
    assert all({"label", "probability"} <= set(s) for s in data["labels"])


def test_vqa_prints_answers_with_probabilities(work):
    result = run_cli("vqa", str(work / "photo.jpg"), "What is this?")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0].split(maxsplit=1)
    assert 0.0 <= float(first[0]) <= 1.0 and first[1]
    assert "answered by:" in result.stdout

    as_json = run_cli(
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
    result = run_cli(
        "vqa", str(work / "photo.jpg"), "How many people are watching?", "--model", "routed-vqa"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "answer" in lines[0].lower()  # the model's reason, not a list of guesses
    assert len(lines) == 2 and lines[1].startswith("answered by:")


@pytest.mark.parametrize(
    "args",
    [
        ("caption", "broken.png", "--json"),
        ("vqa", "missing.jpg", "What is this?"),
    ],
)
def test_unreadable_image_exits_2_with_one_line(work, args):
    command, name, *rest = args
    result = run_cli(command, str(work / name), *rest)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and name in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_caption_gallery_stores_captions_that_search_shows(tmp_path):
    photos = tmp_path / "photos"
    for i, color in enumerate([(200, 0, 0), (0, 200, 0), (0, 0, 200)]):
        write_test_image(photos / f"p{i}.png", color=color)
    index_dir = str(tmp_path / "index")
    indexed = run_cli("index", str(photos), "--index-dir", index_dir)
    assert indexed.returncode == 0, indexed.stderr
    (photos / "p2.png").write_bytes(b"not an image any more")

    first = run_cli("caption-gallery", "--index-dir", index_dir, "--batch-size", "2")
    assert first.returncode == 0, first.stderr
    assert "captioned 2, skipped 0 already captioned, 1 failed" in first.stdout
    assert "failed: p2.png" in first.stdout

    search = run_cli("search", "a photo", "--k", "3", "--index-dir", index_dir, "--json")
    assert search.returncode == 0, search.stderr
    captions = {hit["path"].rsplit("/", 1)[-1]: hit["caption"] for hit in json.loads(search.stdout)}
    assert captions["p2.png"] is None
    assert captions["p0.png"] and captions["p1.png"]


def test_an_unknown_model_choice_lists_the_choices(work):
    result = run_cli("vqa", str(work / "photo.jpg"), "What is this?", "--model", "nope")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "nope" in result.stderr and "vilt-vqa-tiny" in result.stderr
