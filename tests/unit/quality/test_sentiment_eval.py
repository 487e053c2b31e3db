"""The labelled English sentiment set and its reader (``mmdemo.quality.sentiment_eval``).

VADER's accuracy on this set is checked with the backend
(``tests/unit/models/backends/test_vader_sentiment.py``).
"""

from __future__ import annotations

import pytest

from mmdemo.core.errors import BadInputError
from mmdemo.core.sentiment_results import CLASSES
from mmdemo.quality.sentiment_eval import DEFAULT_SET, load_labelled


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
