"""Input checks: vectors are normalised float32 rows, metadata is checked before any change."""

from __future__ import annotations

import numpy as np
import pytest

from mmdemo.core.errors import BadInputError
from mmdemo.index import VectorIndex, validation
from tests.support.vectors import DIM, MODEL, make_metas, unit


def test_non_normalised_input_is_normalised(rng):
    raw = 7.5 * rng.standard_normal((20, DIM))
    before = raw.copy()
    index = VectorIndex(DIM, MODEL, use_gpu=False)
    index.add(raw, make_metas(20))  # float64 in: cast to float32 and normalised
    np.testing.assert_array_equal(raw, before)  # the caller's array is not modified
    for i in (0, 19):
        stored = index.vector(i)
        assert stored.dtype == np.float32
        assert abs(float(np.linalg.norm(stored)) - 1.0) < 1e-6
        np.testing.assert_allclose(stored, unit(raw[i]), atol=1e-6)
    item_id, score = index.search(100.0 * raw[3], 1)[0][0]
    assert item_id == 3 and score == pytest.approx(1.0, abs=1e-5)


def test_bad_input_is_refused_and_leaves_the_index_unchanged(rng):
    index = VectorIndex(DIM, MODEL, use_gpu=False)
    index.add(rng.standard_normal((2, DIM)), make_metas(2))
    zero = rng.standard_normal((3, DIM))
    zero[1] = 0.0
    cases = [
        (zero, make_metas(3, 10), "zero"),
        (rng.standard_normal((2, DIM + 1)), make_metas(2, 10), f"{DIM}-dimensional"),
        (rng.standard_normal((2, DIM)), make_metas(3, 10), "pair up"),
        (np.full((1, DIM), np.nan), make_metas(1, 10), "NaN"),
        (rng.standard_normal((1, DIM)), [{"path": "x.jpg"}], "sha256"),
    ]
    for vectors, metas, words in cases:
        with pytest.raises(BadInputError, match=words):
            index.add(vectors, metas)
    assert len(index) == 2 and index._next_id == 2
    with pytest.raises(BadInputError, match=MODEL):
        index.search(rng.standard_normal(DIM + 1), 3)
    with pytest.raises(BadInputError, match="zero"):
        index.search(np.zeros(DIM), 3)


def test_as_rows_accepts_one_vector_and_returns_a_normalised_copy():
    one = np.arange(1, DIM + 1, dtype=np.float32)
    rows = validation.as_rows(one, DIM, "queries", MODEL)
    assert rows.shape == (1, DIM) and rows.dtype == np.float32 and rows.flags.c_contiguous
    np.testing.assert_allclose(rows[0], unit(one), atol=1e-7)
    assert one[0] == 1.0  # not normalised in place
    with pytest.raises(BadInputError, match="numeric"):
        validation.as_rows([["a"] * DIM], DIM, "queries", MODEL)


def test_clean_meta_drops_unknown_keys_of_new_items_and_refuses_them_in_updates():
    meta = {**make_metas(1)[0], "id": 99, "colour": "red", "width": np.int64(3)}
    cleaned = validation.clean_meta(meta, "item 0")
    assert "id" not in cleaned and "colour" not in cleaned
    assert cleaned["width"] == 3 and type(cleaned["width"]) is int
    assert validation.clean_meta({"caption": None}, "item 0", partial=True) == {"caption": None}
    with pytest.raises(BadInputError, match="colour"):
        validation.clean_meta({"colour": "red"}, "item 0", partial=True)
    with pytest.raises(BadInputError, match="whole number"):
        validation.clean_meta({**make_metas(1)[0], "height": True}, "item 0")
    with pytest.raises(BadInputError, match="dict"):
        validation.clean_meta(["path"], "item 0")


def test_new_ids_skips_known_and_repeated_hashes():
    assert validation.new_ids(["a", "b", "a", "k", "c"], {"k"}, 10) == [10, 11, None, None, 12]
    assert validation.new_ids([], set(), 0) == []


def test_search_arguments_are_checked():
    assert validation.as_k(3.0) == 3
    assert validation.as_ids(["4", 5]) == {4, 5}
    with pytest.raises(BadInputError, match="exclude_ids"):
        validation.as_ids([None])
    with pytest.raises(BadInputError, match="dimension"):
        VectorIndex(0, MODEL)
    with pytest.raises(BadInputError, match="model"):
        VectorIndex(DIM, " ")
