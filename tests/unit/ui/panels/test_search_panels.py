"""The Search tab's panels without a browser: the query-arithmetic rows written as the one-line
form, what was searched and the near-duplicate note in both languages, the result choices
for "why this match", and the examples each language is offered (their images shipped)."""

from __future__ import annotations

from pathlib import Path

from mmdemo.core.config import Settings
from mmdemo.core.duplicate_results import CollapsedHits
from mmdemo.core.i18n import has_cjk
from mmdemo.core.results import SearchHit, SearchResult
from mmdemo.services.query_terms import Term, parse_terms
from mmdemo.ui.panels.query_terms import compose, example_rows, read_as
from mmdemo.ui.panels.search_options import fold_note, hit_choices


def test_rows_are_written_as_the_line_the_search_reads():
    line = compose(True, 0.5, "a dog", 1, "", 1, "people", -1, "at  night", 0)
    assert line == '0.5 * image + "a dog" - "people"'
    assert parse_terms(line) == [
        Term("image", 0.5),
        Term("text", 1.0, "a dog"),
        Term("text", -1.0, "people"),
    ]
    assert compose(False, 1, "a dog", 1, "x", 1) == '"a dog" + "x"'  # no upload: no image
    assert compose(True, 0, "a dog", 1) == '"a dog"'  # the image's weight 0 leaves it out
    assert compose(False, 1, "", 1, "", -1) == ""


def test_what_was_searched_in_both_languages():
    terms = [Term("text", 1.0, "一只猫"), Term("text", -1.0, "人")]
    english = read_as(terms, image_given=True, language="en")
    assert english.startswith('**Searched for:** `"一只猫" - "人"`')
    assert "not in the terms, so it was not used" in english
    chinese = read_as(terms, image_given=True, language="zh")
    assert chinese.startswith("**搜索的是：**") and "没有用到" in chinese
    assert "not used" not in chinese
    assert "\n" not in read_as([Term("image")], image_given=True, language="en")


def result(*folded: int) -> SearchResult:
    hits = tuple(SearchHit(i, 0.5, f"/g/{i}.jpg") for i in range(3))
    return SearchResult(CollapsedHits(hits, folded=sum(folded)), None, True)


def test_the_fold_note_counts_the_copies():
    assert fold_note(result(), "en") == "No near-duplicates among these results."
    assert fold_note(result(1), "en").startswith("1 near-duplicate copy folded")
    assert fold_note(result(2, 1), "en").startswith("3 near-duplicate copies folded")
    assert all(has_cjk(fold_note(result(*n), "zh")) for n in ((), (1,), (4,)))
    plain = SearchResult((SearchHit(1, 0.5, "/g/1.jpg"),), None, True)
    assert fold_note(plain, "en") == "No near-duplicates among these results."


def test_the_results_to_explain_are_the_views_hits_in_order():
    view = {"hits": [{"id": 7, "name": "cat.png"}, {"id": 3, "name": "a cup"}]}
    assert hit_choices(view) == [("1. cat.png", 7), ("2. a cup", 3)]
    assert hit_choices(None) == [] and hit_choices({"hits": []}) == []


def test_each_language_is_offered_its_own_examples_with_their_images():
    assets = Path(Settings().assets_dir)
    for preset in ("lite", "full", "tiny"):
        english, chinese = example_rows(assets, preset, "en"), example_rows(assets, preset, "zh")
        assert english and chinese
        assert not any(has_cjk(line) for line, _ in english)
        assert all(has_cjk(line) for line, _ in chinese)
        assert all(Path(image).is_file() for _, image in english + chinese)
