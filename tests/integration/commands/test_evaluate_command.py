"""``python -m mmdemo evaluate`` as a user runs it (tiny): the bundled sets and a CSV with
its images folder, as JSON and as text; bad input is one line, exit status 2."""

from __future__ import annotations

import json

import pytest

from mmdemo.core.config import PROJECT_ROOT
from tests.support.app_process import run_mmdemo, user_error

pytestmark = pytest.mark.integration

EXAMPLE = PROJECT_ROOT / "assets" / "evaluate" / "example.csv"
GALLERY = PROJECT_ROOT / "assets" / "gallery"


def test_bundled_json_names_every_set_and_its_n():
    result = run_mmdemo("evaluate", "--preset", "tiny", "--json")
    assert result.returncode == 0, result.stderr
    raw = json.loads(result.stdout)
    assert raw["source"] == "bundled" and raw["preset"] == "tiny" and raw["random_weights"]
    assert [(r["language"], r["n"], r["n_images"]) for r in raw["retrieval"]] == [
        ("en", 16, 16),
        ("en", 6, 22),
        ("zh", 16, 16),
        ("zh", 6, 22),
    ]
    assert [s["n"] for s in raw["sentiment"]] == [190, 70]
    assert all(sum(map(sum, s["confusion"])) == s["n"] for s in raw["sentiment"])


def test_a_csv_with_its_images_folder_as_text():
    result = run_mmdemo(
        "evaluate", "--preset", "tiny", "--csv", str(EXAMPLE), "--images", str(GALLERY)
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("preset tiny, csv")
    assert "retrieval" in out and "R@10" in out and "zero-shot" in out
    assert "confusion of your CSV" in out and "meaningless" in out


def test_bad_rows_and_bad_flags_are_one_line_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("image,text,label\ndog.png,a dog,\n")
    result = run_mmdemo(
        "evaluate", "--preset", "tiny", "--csv", str(bad), "--images", str(tmp_path)
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Row 2, column image: no uploaded image is called dog.png" in result.stderr
    alone = run_mmdemo("evaluate", "--images", str(tmp_path))
    assert alone.returncode == 2 and "--images goes with --csv" in user_error(alone)
