"""Statistics the bench scripts print beside ``statistics.median``."""

from __future__ import annotations

import statistics
import time


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``: nearest rank, no interpolation."""
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def median_seconds(call, reps: int) -> float:
    """Median wall time of ``reps`` calls of ``call()`` (the benchmarks' one timing loop)."""
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
