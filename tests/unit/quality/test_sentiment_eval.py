"""The labelled English sentiment set and its reader (``mmdemo.quality.sentiment_eval``).

VADER's accuracy on this set is checked with the backend
(``tests/unit/models/backends/test_vader_sentiment.py``).
"""

from __future__ import annotations

import pytest

from mmdemo.core.errors import BadInputError
from mmdemo.core.sentiment_results import CLASSES
from mmdemo.quality.sentiment_eval import (
    CHINESE_SET,
    DEFAULT_SET,
    load_labelled,
    load_table,
    tune_band,
)


def test_labelled_set_is_big_balanced_and_clean():
    rows = load_labelled(DEFAULT_SET)
    counts = {c: sum(label == c for label, _ in rows) for c in CLASSES}
    assert len(rows) >= 150
    assert counts["positive"] == counts["negative"] >= 60
    assert counts["neutral"] >= 20
    assert len({text for _, text in rows}) == len(rows)  # no duplicates


def test_load_labelled_skips_comments_and_header_and_rejects_bad_labels(tmp_path):
    path = tmp_path / "set.tsv"
    path.write_text("# a comment\nlabel\ttext\n\npositive\tGreat!\nneutral\tIt is 5 pm.\n")
    assert load_labelled(path) == [("positive", "Great!"), ("neutral", "It is 5 pm.")]
    path.write_text("label\ttext\nhappy\tGreat!\n")
    with pytest.raises(BadInputError, match="unknown label"):
        load_labelled(path)
    path.write_text("positive Great! (no tab)\n")
    with pytest.raises(BadInputError, match="TAB"):
        load_labelled(path)


def test_chinese_set_is_big_three_class_half_held_out_and_stratified():
    rows = load_table(CHINESE_SET)
    assert len(rows) >= 120 and len({r["text"] for r in rows}) == len(rows)
    assert {r["kind"] for r in rows} == {"plain", "negation", "sarcasm", "slang", "mixed", "emoji"}
    groups = {(r["label"], r["kind"]) for r in rows}
    for label, kind in groups:  # every (label, kind) group is at least half held out
        group = [r for r in rows if r["label"] == label and r["kind"] == kind]
        held = sum(r["split"] == "heldout" for r in group)
        assert held >= len(group) - held, (label, kind)
    for label in CLASSES:
        assert sum(r["label"] == label for r in rows) >= 30
    assert load_labelled(CHINESE_SET) == [(r["label"], r["text"]) for r in rows]


def test_load_table_checks_header_cells_labels_and_splits(tmp_path):
    path = tmp_path / "set.tsv"
    path.write_text("# c\nlabel\tsplit\tkind\ttext\npositive\ttune\tplain\t好\n")
    assert load_table(path) == [
        {"label": "positive", "split": "tune", "kind": "plain", "text": "好"}
    ]
    for body, match in [
        ("label\tsplit\tkind\ttext\npositive\ttune\t好\n", "4 tab-separated"),
        ("label\tsplit\tkind\ttext\nhappy\ttune\tplain\t好\n", "unknown label"),
        ("label\tsplit\tkind\ttext\npositive\ttest\tplain\t好\n", "unknown split"),
        ("split\ttext\ntune\t好\n", "header"),
    ]:
        path.write_text(body)
        with pytest.raises(BadInputError, match=match):
            load_table(path)


def test_tune_band_finds_the_band_that_separates_the_rows():
    scores = [0.05, 0.1, 0.45, 0.5, 0.55, 0.9, 0.95]
    labels = ["negative"] * 2 + ["neutral"] * 3 + ["positive"] * 2
    low, high, accuracy = tune_band(scores, labels)
    assert accuracy == 1.0 and 0.1 < low <= 0.45 and 0.55 <= high < 0.9
