"""ExplainResult: the grid is non-negative with the largest 1, and to_json is the one shape."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mmdemo.core.explain_results import ExplainResult, normalise_grid


def test_grid_is_non_negative_and_peaks_at_one():
    grid = normalise_grid([[-1.0, 2.0], [np.nan, 4.0]])
    assert grid == ((0.0, 0.5), (0.0, 1.0))


def test_an_all_zero_map_stays_zero():
    assert normalise_grid(np.zeros((2, 3))) == ((0.0,) * 3,) * 2


@pytest.mark.parametrize("bad", [[], [1.0, 2.0], np.zeros((2, 2, 2))])
def test_a_grid_is_two_dimensional(bad):
    with pytest.raises(ValueError, match="2-D"):
        normalise_grid(bad)


def test_to_json_rows_top_to_bottom():
    result = ExplainResult.of([[0, 1], [2, 0]], "m", 0.31234, "b", query="a cat")
    data = json.loads(json.dumps(result.to_json()))
    assert data["grid"] == [[0.0, 0.5], [1.0, 0.0]]
    assert data["method"] == "m" and data["score"] == 0.3123 and data["backend"] == "b"
    assert {"grid", "method", "score"} <= set(data)


def test_share_of_columns():
    result = ExplainResult.of([[1, 3], [0, 0]], "m", 0.0, "b")
    assert result.share(slice(1, None)) == pytest.approx(0.75, abs=1e-3)
    assert ExplainResult.of([[0, 0]], "m", 0, "b").share(slice(0, 1)) == 0.0
