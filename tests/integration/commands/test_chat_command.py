"""``python -m mmdemo chat IMAGE "QUESTION"`` (tiny: the real SmolVLM/Qwen2-VL twins):
the answer streamed to stdout then a one-line summary, --json as ChatReply.to_json(),
lite refused with exit 2 and the plain message, bad options refused before a load."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import run_main
from tests.support.images import write_test_image

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli_chat") / "photo.jpg"
    write_test_image(path, color=(200, 60, 20))
    return path


def test_chat_streams_then_summarises(photo):
    result = run_main(
        "chat", str(photo), "What is this?", "--temperature", "0", "--max-new-tokens", "8"
    )
    assert result.returncode == 0, result.stderr
    summary = result.stdout.rstrip("\n").split("\n")[-1]
    assert summary.startswith("[") and "tokens in" in summary and "stopped:" in summary
    assert "Loading" in result.stderr and "random test weights" in result.stderr


def test_chat_json_is_the_reply_and_greedy_repeats(photo):
    args = ("chat", str(photo), "Describe it.", "--json", "--temperature", "0")
    first = run_main(*args, "--max-new-tokens", "6", "--model", "qwen2-vl-tiny")
    assert first.returncode == 0, first.stderr
    reply = json.loads(first.stdout)
    assert reply["backend"] == "qwen2-vl-tiny" and 1 <= reply["tokens"] <= 6
    assert reply["stopped"] in ("eos", "length") and reply["random_weights"] is True
    again = json.loads(run_main(*args, "--max-new-tokens", "6", "--model", "qwen2-vl-tiny").stdout)
    assert again["text"] == reply["text"]


def test_chat_on_lite_says_there_is_no_chat_model(photo):
    result = run_main("chat", str(photo), "What is this?", MMDEMO_PRESET="lite")
    assert result.returncode == 2
    assert "full preset" in result.stderr and "PyPI" in result.stderr


@pytest.mark.parametrize(
    "extra, said",
    [
        (("--temperature", "5"), "temperature"),
        (("--max-new-tokens", "0"), "maximum new tokens"),
        (("--model", "nope"), "nope"),
    ],
)
def test_chat_bad_options_are_one_line_errors(photo, extra, said):
    result = run_main("chat", str(photo), "What is this?", *extra)
    assert result.returncode == 2 and said in result.stderr
    assert "Traceback" not in result.stderr
