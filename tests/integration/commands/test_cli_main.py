"""``python -m mmdemo`` itself: every command and flag README documents parses, and
``--help`` staying light is tests/unit/test_package.py.

The documented lines are read from README's "Command line" section, so the docs and the
parser cannot drift apart silently.
"""

from __future__ import annotations

import itertools
import re
import shlex

import pytest

from mmdemo.cli.main import build_parser, discover_commands
from tests.support.app_process import REPO_ROOT

pytestmark = pytest.mark.integration

# README's placeholders -> a value of the right kind
PLACEHOLDERS = {
    "DIR": "photos",
    "PATH": "some/path",
    "NAME": "tiny",
    "W": "0.25",
    "SCORE": "0.2",
    "N": "3",
    "T": "what a day",
    "CSV": "data.csv",
    "IMAGE": "cat.jpg",
    "QUESTION": "What is this?",
    "TEXT": "a cat",
    "ID...": "3",
    "TEMP": "0.7",
    "TOP_P": "0.9",
    "SEED": "7",
    "PX": "512",
    "PROMPT": "a red bicycle",
    "FILE.png": "out.png",
}


def documented_lines() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Command line\n(.*?)(?=^## )", text, re.M | re.S)
    assert section, "README.md has no '## Command line' section"
    block = re.search(r"```bash\n(.*?)```", section.group(1), re.S)
    assert block, "the Command line section has no bash block"
    lines = [line.strip() for line in block.group(1).splitlines() if line.strip()]
    assert lines and all(line.startswith("python -m mmdemo ") for line in lines)
    return [line.removeprefix("python -m mmdemo ") for line in lines]


def argv_variants(line: str) -> list[tuple[list[str], list[tuple[str, str | None]]]]:
    """Every argv a documented line stands for (each ``a|b|c`` alternative once), with the
    (flag, value) pairs it sets; every optional ``[...]`` part is included."""
    tokens = shlex.split(line.replace("[", " ").replace("]", " "))
    choices = [token.split("|") for token in tokens]
    variants = []
    for picked in itertools.product(*choices):
        argv = [PLACEHOLDERS.get(token, token) for token in picked]
        flags = []
        for i, token in enumerate(argv):
            if token.startswith("--"):
                following = argv[i + 1] if i + 1 < len(argv) else None
                value = None if following is None or following.startswith("--") else following
                flags.append((token, value))
        variants.append((argv, flags))
    return variants


DOCUMENTED = [
    pytest.param(argv, flags, id=" ".join(argv))
    for line in documented_lines()
    for argv, flags in argv_variants(line)
]


@pytest.mark.parametrize(("argv", "flags"), DOCUMENTED)
def test_every_documented_flag_parses(argv, flags):
    args = build_parser(argv).parse_args(argv)
    assert args.command == argv[0]
    for flag, value in flags:
        got = getattr(args, flag.removeprefix("--").replace("-", "_"))
        if value is None:
            assert got is True, flag
        elif isinstance(got, float):
            assert got == float(value), flag
        else:
            assert str(got) == value, flag


def test_the_readme_documents_every_command():
    documented = {line.split()[0] for line in documented_lines()}
    assert documented == set(discover_commands())


@pytest.mark.parametrize(
    "argv",
    [
        ["caption", "cat.jpg", "--mode", "sample", "--prefix", "a photo of", "--max-tokens", "12"],
        ["vqa", "cat.jpg", "What?", "--model", "routed-vqa", "--fusion", "sum"],
        ["search", "a cat", "--hybrid"],
    ],
    ids=["caption-decoding", "vqa-fusion", "search-hybrid"],
)
def test_the_new_task_options_parse(argv):
    args = build_parser(argv).parse_args(argv)
    assert args.command == argv[0]
