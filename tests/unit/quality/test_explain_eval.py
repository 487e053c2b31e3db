"""The explanation evaluation's pieces: the named half's share, the two splits (disjoint
photos, both orders, both halves), and the composites (two squares side by side)."""

from __future__ import annotations

import numpy as np
import pytest

from mmdemo.quality import explain_eval


def test_half_share_splits_an_odd_middle_column_evenly():
    grid = np.array([[0.0, 1.0, 3.0]])
    assert explain_eval.half_share(grid, "right") == pytest.approx((0.5 + 3) / 4)
    assert explain_eval.half_share(grid, "left") == pytest.approx(0.5 / 4)
    assert explain_eval.half_share(np.zeros((2, 2)), "left") == 0.5  # a flat map: chance


def test_the_splits_share_no_photo_and_name_each_half():
    table = explain_eval.spec()
    tune, held = explain_eval.tune_cases(table), explain_eval.heldout_cases(table)
    assert len(tune) == 8 * 7 * 2 and len(held) == 6 * 8 * 2
    named_tune = {c.left if c.target == "left" else c.right for c in tune}
    named_held = {c.left if c.target == "left" else c.right for c in held}
    assert named_tune == set(table["tune"]) and named_held == set(table["heldout"])
    assert not named_held & set(table["tune"])  # nothing tuned on is a held-out target
    assert {c.target for c in held} == {"left", "right"}
    zh = explain_eval.heldout_cases(table, 1)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in c.query) for c in zh)


def test_composite_is_two_squares():
    table = explain_eval.spec()
    left, right = list(table["heldout"])[:2]
    image = explain_eval.composite(left, right)
    assert image.size == (2 * explain_eval.SIDE, explain_eval.SIDE)
    arr = np.asarray(image)
    assert not np.array_equal(arr[:, : explain_eval.SIDE], arr[:, explain_eval.SIDE :])
