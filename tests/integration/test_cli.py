"""``python -m mmdemo`` as a user runs it: real subprocesses, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT, run_mmdemo, write_test_image

pytestmark = pytest.mark.integration


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_mmdemo(*args, timeout=180, **(env or {}))


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """A folder of images (one duplicate, one broken) indexed through the CLI."""
    root = tmp_path_factory.mktemp("cli")
    photos = root / "photos"
    for i, color in enumerate([(200, 0, 0), (0, 200, 0), (0, 0, 200), (90, 90, 90)]):
        write_test_image(photos / f"nested{i % 2}" / f"p{i}.jpg", color=color)
    (photos / "again.jpg").write_bytes((photos / "nested0" / "p0.jpg").read_bytes())
    (photos / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    index_dir = root / "index"
    result = run_cli("index", str(photos), "--index-dir", str(index_dir))
    return photos, index_dir, result


def test_index_summary(indexed):
    _, index_dir, result = indexed
    assert result.returncode == 0, result.stderr
    assert "added 4, skipped 1 duplicate(s), 1 unreadable" in result.stdout
    assert "broken.png" in result.stdout
    assert (index_dir / "manifest.json").is_file()


def test_search_json_is_best_first(indexed):
    _, index_dir, _ = indexed
    result = run_cli("search", "a red photo", "--k", "3", "--index-dir", str(index_dir), "--json")
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 3 and all({"path", "score", "id"} <= set(h) for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_search_by_image_finds_itself(indexed):
    photos, index_dir, _ = indexed
    query = photos / "nested1" / "p3.jpg"
    result = run_cli(
        "search", "", "--image", str(query), "--k", "2", "--index-dir", str(index_dir), "--json"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["path"] == str(query)


def test_info_names_preset_model_and_index(indexed):
    _, index_dir, _ = indexed
    result = run_cli("info", "--index-dir", str(index_dir), "--json")
    info = json.loads(result.stdout)
    assert info["preset"] == "tiny" and info["index"]["count"] == 4
    assert info["index"]["kind"] == "flat" and info["models"][0]["is_random"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("search", "   "), "empty"),
        (("search", "x", "--image", "/no/such/image.png"), "image.png"),
        (("index", "/no/such/folder"), "not a folder"),
        (("info", "--preset", "nope"), "Valid choices"),
    ],
)
def test_bad_input_exits_2_with_one_line(indexed, args, expected):
    _, index_dir, _ = indexed
    result = run_cli(*args, "--index-dir", str(index_dir))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and expected in lines[0]
    assert "Traceback" not in result.stderr


def test_settings_come_from_the_environment(indexed):
    _, index_dir, _ = indexed
    result = run_cli("info", "--json", env={"MMDEMO_INDEX_DIR": str(index_dir)})
    assert json.loads(result.stdout)["index"]["count"] == 4


def test_help_and_import_stay_light():
    """``import mmdemo`` and ``python -m mmdemo --help`` must not import torch (seconds)."""
    code = (
        "import sys\n"
        "import mmdemo\n"
        "from mmdemo import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
    assert "train" in result.stdout  # the command is still listed
