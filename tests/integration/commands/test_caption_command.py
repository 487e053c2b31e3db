"""``python -m mmdemo caption IMAGE`` as a user runs it (tiny preset): the caption, ``--json``
that parses, decoding options that reach the captioner, one-line errors.

Commands that load a model run ``main`` in this process (``run_main``: the same output and
exit status, without a fresh interpreter's imports each time); the errors found before
any model loads still run ``python -m mmdemo`` as a process."""

from __future__ import annotations

import json

import pytest

from tests.support.app_process import run_mmdemo
from tests.support.cli import run_main
from tests.support.images import write_test_image

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A temp folder with one good photo, one broken file and an (empty) index folder path."""
    root = tmp_path_factory.mktemp("cli_caption")
    write_test_image(root / "photo.jpg", color=(200, 60, 20))
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    return root


def test_caption_prints_a_caption_and_json(work):
    text = run_main("caption", str(work / "photo.jpg"), "--index-dir", str(work / "idx"))
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].strip() and lines[1].startswith("method:")
    assert "random test weights" in text.stdout  # tiny never passes for a real model

    as_json = run_main("caption", str(work / "photo.jpg"), "--preset", "tiny", "--json")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["caption"] == lines[0]  # same model, same image, same caption
    assert data["method"] and data["random_weights"] is True
    assert all({"label", "probability"} <= set(s) for s in data["labels"])


def test_decoding_options_reach_the_captioner(work):
    """--mode, --prefix and --max-tokens go to the tiny BLIP (the tiny preset's default)."""
    result = run_main(
        "caption",
        str(work / "photo.jpg"),
        "--mode",
        "sample",
        "--prefix",
        "a photo of",
        "--max-tokens",
        "12",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["caption"].startswith("a photo of")
    assert "nucleus sampling" in data["method"] and "a photo of" in data["method"]
    too_short = run_main("caption", str(work / "photo.jpg"), "--max-tokens", "3")
    assert too_short.returncode == 2 and "max_length" in too_short.stderr  # it was read


def test_a_prefix_for_a_label_based_captioner_is_refused(work):
    result = run_main(
        "caption", str(work / "photo.jpg"), "--model", "label-caption", "--prefix", "a photo of"
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "generative captioner" in result.stderr


@pytest.mark.parametrize("args", [("caption", "broken.png", "--json")])
def test_unreadable_image_exits_2_with_one_line(work, args):
    command, name, *rest = args
    result = run_mmdemo(command, str(work / name), *rest)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and name in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
