"""``python -m mmdemo search`` as a user runs it: text, image, hybrid; JSON best first;
one-line errors with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmdemo.index import storage
from tests.support.app_process import run_mmdemo, user_error
from tests.support.images import write_test_image

pytestmark = pytest.mark.integration


def test_search_json_is_best_first(indexed):
    _, index_dir, _ = indexed
    result = run_mmdemo(
        "search", "a red photo", "--k", "3", "--index-dir", str(index_dir), "--json"
    )
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 3 and all({"path", "score", "id"} <= set(h) for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_search_by_image_finds_itself(indexed):
    photos, index_dir, _ = indexed
    query = photos / "nested1" / "p3.jpg"
    result = run_mmdemo(
        "search", "", "--image", str(query), "--k", "2", "--index-dir", str(index_dir), "--json"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["path"] == str(query)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("search", "   "), "empty"),
        (("search", "x", "--image", "/no/such/image.png"), "image.png"),
    ],
)
def test_bad_input_exits_2_with_one_line(indexed, args, expected):
    _, index_dir, _ = indexed
    assert expected in user_error(run_mmdemo(*args, "--index-dir", str(index_dir)))


def test_hybrid_adds_the_caption_word_bonus(tmp_path):
    """``--hybrid`` reaches the search service: a query made of one image's caption gives
    that image the full word bonus (+0.1) and no image less than its plain score."""
    photos = tmp_path / "photos"
    for i, color in enumerate([(200, 0, 0), (0, 200, 0), (0, 0, 200)]):
        write_test_image(photos / f"p{i}.png", color=color)
    index_dir = str(tmp_path / "index")
    assert run_mmdemo("index", str(photos), "--index-dir", index_dir).returncode == 0
    captioned = run_mmdemo("caption-gallery", "--index-dir", index_dir)
    assert captioned.returncode == 0, captioned.stderr

    def search(query: str, *flags: str) -> dict[str, dict]:
        result = run_mmdemo("search", query, "--k", "3", "--index-dir", index_dir, "--json", *flags)
        assert result.returncode == 0, result.stderr
        return {hit["path"].rsplit("/", 1)[-1]: hit for hit in json.loads(result.stdout)}

    saved = storage.load(
        Path(index_dir), expected_model_id=None, expected_dim=None, graph_above=None
    )
    caption = {Path(m.path).name: m.caption for m in saved.metas}["p0.png"]  # no subprocess
    assert caption
    plain, hybrid = search(caption), search(caption, "--hybrid")
    assert set(plain) == set(hybrid) == {"p0.png", "p1.png", "p2.png"}
    assert hybrid["p0.png"]["score"] == pytest.approx(plain["p0.png"]["score"] + 0.1, abs=1e-4)
    for name in plain:
        assert plain[name]["score"] - 1e-4 <= hybrid[name]["score"]
        assert hybrid[name]["score"] <= plain[name]["score"] + 0.1 + 1e-4


def test_min_score_leaves_out_weaker_hits_and_says_so(indexed):
    """``--min-score`` reaches the search service: no hit reaches 1.0, so none is printed
    and the one-line message says to lower it (one run: each costs a model load)."""
    _, index_dir, _ = indexed
    none = run_mmdemo(
        "search", "a red photo", "--index-dir", str(index_dir), "--json", "--min-score", "1"
    )
    assert none.returncode == 0 and json.loads(none.stdout) == []
    assert "Lower the minimum match score" in none.stderr
