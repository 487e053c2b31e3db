"""``python -m mmdemo generate "PROMPT" --out FILE`` (tiny: the config-built SD twin through
the real diffusers pipeline): a PNG written, progress and notes on stderr, --json, no
overwrite without --force, bad options and lite refused with exit 2 before any work."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from tests.support.cli import run_main

pytestmark = pytest.mark.integration


def test_generate_writes_a_png_and_names_it(tmp_path):
    out = tmp_path / "fox.png"
    result = run_main("generate", "a red fox", "--out", str(out), "--steps", "2", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(out)) and "2 steps" in result.stdout
    with Image.open(out) as drawn:
        assert drawn.format == "PNG" and drawn.size == (128, 128)  # tiny draws at 1/4
    assert "Loading" in result.stderr and "random test weights" in result.stderr


def test_one_step_is_said_in_the_singular(tmp_path):
    out = tmp_path / "one.png"
    result = run_main("generate", "a red fox", "--out", str(out), "--steps", "1")
    assert result.returncode == 0, result.stderr
    assert "1 step," in result.stdout and "1 steps" not in result.stdout
    assert "safety checker" in result.stderr
    again = run_main("generate", "a red fox", "--out", str(out))
    assert again.returncode == 2 and "--force" in again.stderr  # refused, file kept
    forced = run_main(
        "generate",
        "a red fox",
        "--out",
        str(out),
        "--force",
        "--json",
        "--steps",
        "2",
        "--seed",
        "3",
        "--width",
        "256",
        "--height",
        "384",
    )
    assert forced.returncode == 0, forced.stderr
    reply = json.loads(forced.stdout)
    assert reply["out"] == str(out) and reply["steps_done"] == 2 and reply["seed"] == 3
    assert (reply["width"], reply["height"]) == (64, 96) and reply["stopped"] == "done"
    assert Image.open(out).size == (64, 96)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--steps", "9"), "steps must be between 1 and 8"),
        (("--width", "300"), "multiple of 64"),
        (("--model", "nope"), "nope"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(tmp_path, args, words):
    out = tmp_path / "x.png"
    result = run_main("generate", "a fox", "--out", str(out), *args)
    assert result.returncode == 2 and words in result.stderr and not out.exists()


def test_chinese_prompt_and_wrong_suffix_refused(tmp_path):
    chinese = run_main("generate", "一只狐狸", "--out", str(tmp_path / "a.png"))
    assert chinese.returncode == 2 and "English" in chinese.stderr
    jpeg = run_main("generate", "a fox", "--out", str(tmp_path / "a.jpg"))
    assert jpeg.returncode == 2 and ".png" in jpeg.stderr


def test_lite_exits_2_saying_it_needs_full(tmp_path):
    out = tmp_path / "lite.png"
    result = run_main("generate", "a fox", "--out", str(out), MMDEMO_PRESET="lite")
    assert result.returncode == 2 and "full preset" in result.stderr and not out.exists()
