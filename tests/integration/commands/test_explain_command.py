"""``python -m mmdemo explain IMAGE "QUERY"`` as a user runs it (tiny preset: behaviour): the
text map and its method, ``--json`` of the issue's shape, ``--out`` writing the overlay, one-line
errors (exit 2) for an empty query, an unreadable image and an unwritable ``--out``."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from tests.support.app_process import run_mmdemo
from tests.support.cli import run_main
from tests.support.images import write_test_image

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_explain")
    write_test_image(root / "photo.jpg", color=(200, 60, 20))
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    return root


def test_explain_prints_a_map_method_and_score(work):
    out = work / "overlay.png"
    result = run_main("explain", str(work / "photo.jpg"), "a red square", "--out", str(out))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    border = lines[0]
    assert border.startswith("+") and border.endswith("+")
    rows = lines[1 : lines.index(border, 1)]
    assert rows and all(len(r) == len(border) and r.startswith("|") for r in rows)
    assert "method: attention relevancy (Chefer et al.)" in lines
    assert any(line.startswith("score: ") for line in lines)
    assert "meaningless" in result.stdout  # tiny never passes for a real model
    with Image.open(out) as drawn:
        assert drawn.format == "PNG" and drawn.width > 0


def test_explain_json_has_the_issues_shape(work):
    result = run_main("explain", str(work / "photo.jpg"), "a red square", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"grid", "method", "score"} <= set(data)
    grid = data["grid"]
    assert len(grid) >= 2 and all(len(row) == len(grid[0]) for row in grid)
    assert min(min(r) for r in grid) >= 0 and max(max(r) for r in grid) == 1.0
    assert -1 <= data["score"] <= 1 and data["details"]["random_weights"] is True


def test_baseline_flag_changes_the_method(work):
    result = run_main("explain", str(work / "photo.jpg"), "a red square", "--baseline", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["method"] == "patch-token similarity"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("photo.jpg", "   "), "empty"),
        (("photo.jpg", "a cat", "--out", "/nonexistent-dir/x.png"), "Could not write"),
    ],
)
def test_bad_input_exits_2_with_one_line(work, args, says):
    name, *rest = args
    result = run_main("explain", str(work / name), *rest)
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error:") and says in lines[-1]
    assert "Traceback" not in result.stderr


def test_unreadable_image_exits_2_before_any_model(work):
    result = run_mmdemo("explain", str(work / "broken.png"), "a cat")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "broken.png" in lines[0]
