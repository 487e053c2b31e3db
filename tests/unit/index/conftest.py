"""Fixtures for the index tests: a random generator and a small filled index.

Small synthetic data only (every index test file runs in seconds on 2 cores); the data
helpers are in ``tests/support/vectors.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from mmdemo.index import VectorIndex
from tests.support.vectors import DIM, MODEL, make_metas, unit


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


@pytest.fixture
def small(rng) -> tuple[VectorIndex, np.ndarray]:
    vectors = rng.standard_normal((300, DIM)).astype(np.float32)
    index = VectorIndex(DIM, MODEL, use_gpu=False)
    assert index.add(vectors, make_metas(300)) == list(range(300))
    return index, unit(vectors)
