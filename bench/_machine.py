"""What machine a benchmark ran on: every bench script prints this beside its ratios."""

from __future__ import annotations

import os

from mmdemo.core.machine import cpu_model  # noqa: F401  (re-exported for the bench scripts)


def cpu_count() -> int:
    """Cores this process may use (the affinity mask, not the host's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
