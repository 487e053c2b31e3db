"""Statistics the bench scripts print beside ``statistics.median``."""

from __future__ import annotations


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``: nearest rank, no interpolation."""
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]
