"""glibc's mmap threshold, fixed at start-up: large blocks really are mmap'd and given back.

Each check runs in a fresh interpreter: the threshold is process-wide."""

from __future__ import annotations

import sys

import pytest

from mmdemo.serving.allocator import fix_mmap_threshold
from tests.support.app_process import run_python

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

# After an 8 MiB block is freed, glibc's dynamic threshold rises to 8 MiB, so a 256 KiB
# block comes from the heap (and stays there when freed) - unless the threshold is fixed.
# mallinfo2().hblks counts the blocks that are mmap'd.
PROBE = """
import ctypes, sys
from mmdemo.serving.allocator import fix_mmap_threshold
class Info(ctypes.Structure):
    names = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
    _fields_ = [(n, ctypes.c_size_t) for n in names.split()]
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = Info
fixed = fix_mmap_threshold(int(sys.argv[1]))
libc.free(libc.malloc(8 << 20))
before = libc.mallinfo2().hblks
block = libc.malloc(256 << 10)
print(fixed, libc.mallinfo2().hblks - before)
libc.free(block)
"""


def probe(threshold_kb: int, **env: str) -> str:
    code = f"import sys; sys.argv = ['', '{threshold_kb}']\n{PROBE}"
    result = run_python(code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_fixed_threshold_maps_large_blocks_even_after_a_big_free():
    assert probe(128) == "True 1"


def test_without_it_glibc_keeps_large_blocks_in_its_heap():
    assert probe(0) == "False 0"  # the creep the fix is for


def test_the_operators_environment_wins():
    assert probe(128, MALLOC_MMAP_THRESHOLD_="4194304") == "False 0"


def test_zero_means_leave_glibc_alone():
    assert fix_mmap_threshold(0) is False
