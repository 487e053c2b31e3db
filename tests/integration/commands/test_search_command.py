"""``python -m mmdemo search`` as a user runs it: text, image, hybrid; JSON best first;
one-line errors with exit status 2.

Commands that load a model run ``main`` in this process (``run_main``: the same output and
exit status, without a fresh interpreter's imports each time); the errors found before
any model loads still run ``python -m mmdemo`` as a process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from mmdemo.index import storage
from tests.support.app_process import REPO_ROOT, run_mmdemo, user_error
from tests.support.cli import run_main
from tests.support.images import write_test_image

pytestmark = pytest.mark.integration


def test_search_json_is_best_first(indexed):
    _, index_dir, _ = indexed
    result = run_main("search", "a red photo", "--k", "3", "--index-dir", str(index_dir), "--json")
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 3 and all({"path", "score", "id"} <= set(h) for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_search_by_image_finds_itself(indexed):
    photos, index_dir, _ = indexed
    query = photos / "nested1" / "p3.jpg"
    result = run_main(
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
    assert run_main("index", str(photos), "--index-dir", index_dir).returncode == 0
    captioned = run_main("caption-gallery", "--index-dir", index_dir)
    assert captioned.returncode == 0, captioned.stderr

    def search(query: str, *flags: str) -> dict[str, dict]:
        result = run_main("search", query, "--k", "3", "--index-dir", index_dir, "--json", *flags)
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
    and the one-line message says to lower it (one run)."""
    _, index_dir, _ = indexed
    none = run_main(
        "search", "a red photo", "--index-dir", str(index_dir), "--json", "--min-score", "1"
    )
    assert none.returncode == 0 and json.loads(none.stdout) == []
    assert "Lower the minimum match score" in none.stderr


def test_rerank_reorders_the_top_hits_and_says_what_it_cost(indexed):
    """``--rerank`` (tiny has the BLIP ITM twin): the same hits, each with its match
    probability and its search rank, in the matcher's order; the seconds on stderr."""
    _, index_dir, _ = indexed
    plain = run_main("search", "a red photo", "--k", "4", "--index-dir", str(index_dir), "--json")
    result = run_main(
        "search", "a red photo", "--k", "4", "--rerank", "--index-dir", str(index_dir), "--json"
    )
    assert result.returncode == 0, result.stderr
    done = json.loads(result.stdout)
    scores = [h["match_score"] for h in done["hits"]]
    assert len(scores) == 4 and scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert {h["id"] for h in done["hits"]} == {h["id"] for h in json.loads(plain.stdout)}
    assert sorted(h["original_rank"] for h in done["hits"]) == [1, 2, 3, 4]
    assert done["backend"] == "blip-itm-tiny" and done["seconds"] > 0
    assert "Re-ranked 4 hits with" in result.stderr
    refused = run_main(
        "search", "a cat", "--rerank", "--index-dir", str(index_dir), MMDEMO_PRESET="lite"
    )
    assert refused.returncode == 2 and "lite preset has none" in refused.stderr


def test_collapse_folds_a_copy_into_its_original(tmp_path):
    """``--collapse``: an exact re-saved copy of a photo is one hit, not two."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("chelsea_the_cat.png", "coffee_cup.png", "flower.jpg"):
        shutil.copy(REPO_ROOT / "assets" / "gallery" / name, photos / name)
    with Image.open(photos / "chelsea_the_cat.png") as cat:
        cat.convert("RGB").resize((cat.width // 2, cat.height // 2)).save(
            photos / "cat_small.jpg", quality=70
        )
    index_dir = tmp_path / "index"
    assert run_main("index", str(photos), "--index-dir", str(index_dir)).returncode == 0
    args = ("search", "a cat", "--k", "4", "--index-dir", str(index_dir), "--json")
    every = [h["path"] for h in json.loads(run_main(*args).stdout)]
    folded = json.loads(run_main(*args, "--collapse").stdout)
    assert len(every) == 4 and len(folded) == 3
    names = {Path(h["path"]).name for h in folded}
    assert len(names & {"chelsea_the_cat.png", "cat_small.jpg"}) == 1


# -- query arithmetic: --terms ------------------------------------------------------------------
def test_terms_search_prints_json_best_first_and_leaves_out_the_named_image(indexed):
    """``--terms`` reaches services.query_terms: ``#ID`` is a gallery image (left out of its
    own results), ``image`` is ``--image``; one run each, in this process."""
    photos, index_dir, _ = indexed
    first = run_main("search", "a red photo", "--k", "1", "--index-dir", str(index_dir), "--json")
    item = json.loads(first.stdout)[0]["id"]
    terms = f'#{item} + 0.5 * "at night" - "people"'
    result = run_main(
        "search", "--terms", terms, "--k", "3", "--index-dir", str(index_dir), "--json"
    )
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 3 and item not in [h["id"] for h in hits]
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    query = photos / "nested1" / "p3.jpg"
    mixed = run_main(
        "search", "--terms", 'image + 0.1 * "x"', "--image", str(query), "--k", "1",
        "--index-dir", str(index_dir), "--json",
    )  # fmt: skip
    assert mixed.returncode == 0 and json.loads(mixed.stdout)[0]["path"] == str(query)
    unused = run_main(
        "search", "--terms", '"x"', "--image", str(query), "--index-dir", str(index_dir)
    )
    assert unused.returncode == 0 and "--image is not in the terms" in unused.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("search", "--terms", '- "people"'), "only say what to leave out"),
        (("search", "--terms", '"a" + + "b"'), "Two signs in a row"),
        (("search",), "either a TEXT or --terms"),
        (("search", "a cat", "--terms", '"a cat"'), "either a TEXT or --terms"),
    ],
)
def test_bad_terms_exit_2_with_one_line(indexed, args, expected):
    _, index_dir, _ = indexed
    assert expected in user_error(run_main(*args, "--index-dir", str(index_dir)))
