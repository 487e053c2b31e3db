"""What the index needs from the process: faiss itself, the cores, the GPUs, a clock.

faiss is imported on first use, not at import time, so ``import mmdemo.index`` (which the
app and the CLI do before they know whether an index will be touched) stays cheap: ~0.3 s
saved. The other modules call these through the module (``runtime.cpu_count()``), so a test
can pretend to have more cores by patching one name.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

log = logging.getLogger(__name__)


@functools.cache
def faiss():
    """The faiss module, imported on the first call."""
    import faiss

    return faiss


def cpu_count() -> int:
    """The cores this process may run on (its affinity mask, not the machine's core count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def gpu_count() -> int:
    """The GPUs faiss can use: 0 with a CPU-only faiss or a broken driver."""
    module = faiss()
    if not hasattr(module, "StandardGpuResources"):
        return 0
    try:
        return int(module.get_num_gpus())
    except Exception:  # a broken driver must not stop a CPU search
        log.warning("faiss could not count GPUs; searching on CPU", exc_info=True)
        return 0


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def scan_pool() -> ThreadPoolExecutor:
    """One pool shared by every index's CPU scan: its size is the cores we may use, so
    several indexes searching at once do not oversubscribe the machine."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(cpu_count(), thread_name_prefix="mmdemo-scan")
        return _pool


def now() -> str:
    """UTC now to the second, ISO 8601 with a ``Z``: the timestamps in metadata and manifest."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
