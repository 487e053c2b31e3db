"""The on-disk cache of prompt vectors: keyed by the prompts and the model."""

from __future__ import annotations

import numpy as np

from mmdemo.models.shared.text_cache import cached_text_vectors


def test_text_vectors_come_from_the_disk_cache_the_second_time(tmp_path):
    calls = []

    def encode(prompts):
        calls.append(list(prompts))
        return np.ones((len(prompts), 3))

    first = cached_text_vectors(encode, ["a", "b"], "model", tmp_path)
    second = cached_text_vectors(encode, ["a", "b"], "model", tmp_path)
    assert len(calls) == 1 and first.shape == second.shape == (2, 3)
    assert first.dtype == np.float32
    cached_text_vectors(encode, ["a", "c"], "model", tmp_path)  # new prompts: new entry
    cached_text_vectors(encode, ["a", "b"], "other model", tmp_path)  # new model: new entry
    assert len(calls) == 3


def test_a_broken_cache_file_is_recomputed(tmp_path):
    def encode(prompts):
        return np.full((len(prompts), 2), 0.5)

    cached_text_vectors(encode, ["a"], "model", tmp_path)
    [path] = (tmp_path / "mmdemo" / "text_vectors").glob("*.npy")
    path.write_bytes(b"not numpy")
    np.testing.assert_array_equal(
        cached_text_vectors(encode, ["a"], "model", tmp_path), [[0.5, 0.5]]
    )
