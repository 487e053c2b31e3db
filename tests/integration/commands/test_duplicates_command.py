"""``python -m mmdemo duplicates [--index-dir PATH] [--json]`` as a user runs it: the groups
of near-identical images, by id and path, and a command line that removes the extra copies
(the command itself changes nothing). Tiny preset: behaviour, not meaning."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.index import storage
from tests.support.cli import run_main

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    """Three gallery photos, and a half-size copy and a JPEG copy of the cat, indexed."""
    root = tmp_path_factory.mktemp("dups_cli")
    photos = root / "photos"
    photos.mkdir()
    gallery = Settings().assets_dir / "gallery"
    for name in ("chelsea_the_cat.png", "coffee_cup.png", "brick_wall.png"):
        Image.open(gallery / name).convert("RGB").save(photos / name)
    cat = Image.open(gallery / "chelsea_the_cat.png").convert("RGB")
    cat.resize((cat.width // 2, cat.height // 2)).save(photos / "cat_small.png")
    cat.save(photos / "cat_again.jpg", quality=40)
    index = root / "index"
    assert run_main("index", str(photos), "--index-dir", str(index)).returncode == 0
    return index


def _ids_by_name(index_dir) -> dict[str, int]:
    saved = storage.load(index_dir, expected_model_id=None, expected_dim=None, graph_above=None)
    return {meta.path.rsplit("/", 1)[-1]: meta.id for meta in saved.metas}


def test_json_lists_the_copies_of_the_cat_as_one_group(index_dir):
    result = run_main("duplicates", "--index-dir", str(index_dir), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    ids = _ids_by_name(index_dir)
    cat = {ids["chelsea_the_cat.png"], ids["cat_small.png"], ids["cat_again.jpg"]}
    assert [set(g["ids"]) for g in data["groups"]] == [cat]
    group = data["groups"][0]
    assert group["ids"] == sorted(group["ids"])
    assert {p.rsplit("/", 1)[-1] for p in group["paths"]} == {
        "chelsea_the_cat.png",
        "cat_small.png",
        "cat_again.jpg",
    }
    assert data["checked"] == 5 and data["extra_copies"] == 2
    assert data["calibrated"] is True and "perceptual hash" in data["method"]


def test_lines_name_each_group_and_the_remove_command_and_change_nothing(index_dir):
    before = _ids_by_name(index_dir)
    result = run_main("duplicates", "--index-dir", str(index_dir))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("group 1: 3 images (keep ")
    assert sum(line.startswith("  ") for line in lines) == 3
    keep = min(before[n] for n in ("chelsea_the_cat.png", "cat_small.png", "cat_again.jpg"))
    extra = sorted(before[n] for n in ("chelsea_the_cat.png", "cat_small.png", "cat_again.jpg"))[1:]
    assert f"(keep {keep})" in lines[0]
    assert lines[-1].endswith("python -m mmdemo remove " + " ".join(map(str, extra)))
    assert _ids_by_name(index_dir) == before


def test_an_empty_index_has_no_groups(tmp_path):
    result = run_main(
        "duplicates",
        "--index-dir",
        str(tmp_path / "index"),
        "--json",
        MMDEMO_INDEX_DEFAULT_GALLERY="false",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["groups"] == []
