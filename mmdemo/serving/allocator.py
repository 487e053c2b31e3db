"""Keep a long-running server's memory from creeping: large freed blocks go back to the OS.

Why: under the load test (``bench/bench_load.py``, 32 visitors) the app's resident memory
grew 6-16 % in 2 minutes and 32 % in 6, all of it anonymous memory, while the Python heap
grew by 2.6 MiB. That is glibc's malloc: after the first large free it raises its mmap
threshold dynamically, so later large blocks (decoded images, tensors) are carved from its
heaps and kept there when freed. Fixing the threshold (glibc's initial 128 KiB) makes each
block above it an mmap that is unmapped on free: +0.2 % and +1.3 % in the same runs
(docs/benchmarks.md, section 12), for about a quarter more CPU in the allocator path.

``MALLOC_MMAP_THRESHOLD_`` in the environment (the operator's choice) wins; off Linux or
without glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys

log = logging.getLogger(__name__)
M_MMAP_THRESHOLD = -3  # glibc's malloc.h


def fix_mmap_threshold(threshold_kb: int) -> bool:
    """Set glibc's mmap threshold to ``threshold_kb`` KiB; True if it was set.

    0 leaves glibc's dynamic threshold alone, as does a threshold set in the environment.
    """
    if threshold_kb <= 0 or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another libc without mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    done = bool(mallopt(M_MMAP_THRESHOLD, threshold_kb * 1024))
    if done:
        log.info("malloc: blocks over %d KiB are returned to the system when freed", threshold_kb)
    return done
