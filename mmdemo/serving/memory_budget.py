"""What the model server may keep loaded: a memory budget (least recently used models go
first) and an idle time-to-live, the way Immich's machine-learning server unloads models.

Why: the chat and image-generation models alone can pass what every other task uses
together, and a free Space has 16 GB. ``MMDEMO_MEMORY_BUDGET_GB``: before a model loads,
its size is estimated and the least recently used models are unloaded until the loaded
ones plus the new one fit. ``MMDEMO_MODEL_TTL_S``: a daemon thread unloads models idle for
longer. A request for an unloaded model simply loads it again (the page shows
``last_load_seconds`` as the wait).

What the budget counts: each loaded model's own tensors (``info().memory_bytes``, measured
after its load), not the process RSS (Python, torch's kernels, the gallery and the
allocator's slack are outside any model's control). The estimate for a model not loaded
yet is, best first: its size when it was last loaded in this process ("measured"), the
size of its weight files in the local cache once loaded ("weights on disk": safetensors
headers give each tensor's shape, counted in the serving dtype, so SD-Turbo's float16 files
count double on a CPU; other files count their size), its spec's ``approx_gb`` option
("approx_gb"), else 0 ("unknown"). The log line of each load says which was used.

What is never unloaded: a model with a long job running (a chat reply being streamed: its
reference is held by the request anyway, so unloading it would free nothing until it
ends, and a second visitor would load a second copy beside it), and what the incoming
model is built on. A model other loaded models are built on (classify and the Search
tab's helpers use the embedder) is only unloaded together with them.

The TTL keeps the default embedder (``TTL_KEEPS``): every search and the gallery's index
need it, start-up warms it on purpose, and it is small next to the generative models;
the budget, which must be honoured, may still unload it when it is the least recently
used. Unloading drops the server's references, then ``gc.collect()``, CUDA's cache and
glibc's ``malloc_trim`` return the memory (``bench/bench_memory_budget.py`` measures it).
"""

from __future__ import annotations

import collections
import ctypes
import ctypes.util
import gc
import json
import logging
import math
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

GB = 1024**3
TTL_KEEPS = ("embed",)  # tasks whose default backend the TTL leaves loaded (see above)
HISTORY = 20  # unloads remembered for the status panel and the info command

Key = tuple[str, str]  # (task, backend name)


@dataclass(frozen=True)
class Estimate:
    """A model's expected size before it loads, and where the number came from."""

    bytes: int
    source: str  # "measured" | "weights on disk" | "approx_gb" | "unknown"

    def describe(self) -> str:
        return f"{self.bytes / GB:.2f} GB ({self.source})"


@dataclass(frozen=True)
class Unloaded:
    """One unload: which model, why ("budget", "ttl" or "asked"), its size, and when."""

    task: str
    backend: str
    reason: str
    bytes: int
    at: float  # time.time()
    idle_s: float

    def to_json(self) -> dict:
        return {
            "task": self.task,
            "backend": self.backend,
            "reason": self.reason,
            "gb": round(self.bytes / GB, 3),
            "at": self.at,
            "idle_s": round(self.idle_s, 1),
        }


FLOAT_DTYPES = {"F16", "BF16", "F32", "F64"}


def weights_on_disk(paths: Iterable, itemsize: int = 4) -> int:
    """Bytes ``paths`` take once loaded: a safetensors file's floating tensors at
    ``itemsize`` bytes per value (its header lists every tensor's shape and dtype, so a
    float16 file loaded in float32 counts double), other files at their size on disk."""
    total = 0
    for path in paths:
        try:
            if str(path).endswith(".safetensors"):
                total += _safetensors_bytes(path, itemsize)
            else:
                total += path.stat().st_size
        except (OSError, ValueError):
            continue
    return total


def _safetensors_bytes(path, itemsize: int) -> int:
    with open(path, "rb") as handle:
        length = int.from_bytes(handle.read(8), "little")
        if not 0 < length < 100 * 2**20:
            raise ValueError(f"not a safetensors header: {length} bytes")
        header = json.loads(handle.read(length))
    total = 0
    for name, tensor in header.items():
        if name == "__metadata__":
            continue
        if tensor["dtype"] in FLOAT_DTYPES:
            total += math.prod(tensor["shape"]) * itemsize
        else:
            start, end = tensor["data_offsets"]
            total += end - start
    return total


def estimate(spec, settings, measured: int | None, itemsize: int = 4) -> Estimate:
    """``spec``'s expected size before loading it (module docstring: the order and why)."""
    if measured:
        return Estimate(int(measured), "measured")
    try:
        from mmdemo.models.hub.files import cached_files

        on_disk = sum(
            weights_on_disk(cached_files(weights, settings.cache_dir), itemsize)
            for weights in spec.weights(settings)
        )
    except Exception as err:  # a broken cache: fall back to the spec's own figure
        log.debug("Could not size %s's weights on disk: %s", spec.name, err)
        on_disk = 0
    if on_disk:
        return Estimate(on_disk, "weights on disk")
    approx = spec.option("approx_gb")
    if approx:
        return Estimate(int(float(approx) * GB), "approx_gb")
    return Estimate(0, "unknown")


def plan_unloads(
    loaded: Mapping[Key, int],
    last_used: Mapping[Key, float],
    needed_by: Callable[[Key], set[Key]],
    incoming: int,
    budget: int,
    protected: set[Key],
) -> tuple[list[Key], bool]:
    """Which loaded models to unload (least recently used first) so that the rest plus
    ``incoming`` bytes fit ``budget``; and whether they then fit.

    ``needed_by(key)``: the loaded models built on ``key`` (they go with it, or it stays);
    ``protected``: never unloaded (running long jobs, what the incoming model needs).
    """
    total = sum(loaded.values())
    chosen: list[Key] = []
    for key in sorted(loaded, key=lambda k: last_used.get(k, 0.0)):
        if total + incoming <= budget:
            break
        if key in chosen:
            continue
        group = with_dependents(key, needed_by, set(loaded))
        if group & protected:
            continue
        for member in sorted(group - set(chosen), key=lambda k: last_used.get(k, 0.0)):
            chosen.append(member)
            total -= loaded[member]
    return chosen, total + incoming <= budget


def with_dependents(key: Key, needed_by: Callable[[Key], set[Key]], loaded: set[Key]) -> set:
    group, todo = {key}, [key]
    while todo:
        for dependent in needed_by(todo.pop()) & loaded:
            if dependent not in group:
                group.add(dependent)
                todo.append(dependent)
    return group


class MemoryLedger:
    """When each loaded model was last used, its measured size, and the recent unloads.

    The server calls ``touch`` on every ``get`` (one dict store: the hot path stays a
    lookup) and ``loaded``/``forget`` around loads and unloads; ``changed`` is notified on
    every unload, so a test (or a status poll) can wait for one without sleeping.
    """

    def __init__(self) -> None:
        self.last_used: dict[Key, float] = {}
        self.sizes: dict[Key, int] = {}  # loaded now
        self.measured: dict[Key, int] = {}  # last measured size, kept after an unload
        self.history: collections.deque[Unloaded] = collections.deque(maxlen=HISTORY)
        self.changed = threading.Condition()

    def touch(self, key: Key) -> None:
        self.last_used[key] = time.monotonic()

    def loaded(self, key: Key, size: int) -> None:
        self.sizes[key] = size
        self.measured[key] = size
        self.touch(key)

    def idle_s(self, key: Key) -> float:
        return time.monotonic() - self.last_used.get(key, time.monotonic())

    def forget(self, key: Key, reason: str) -> Unloaded:
        size = self.sizes.pop(key, 0)
        event = Unloaded(key[0], key[1], reason, size, time.time(), self.idle_s(key))
        self.history.append(event)
        return event

    def notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Block until ``predicate()`` holds (checked after each unload), or ``timeout``."""
        with self.changed:
            return self.changed.wait_for(predicate, timeout)


def release_memory(on_cuda: bool) -> None:
    """After an unload: collect the dropped models' reference cycles, give CUDA's cached
    blocks back, and ask glibc to return freed heap pages (else the RSS stays high)."""
    gc.collect()
    if on_cuda:
        import torch

        torch.cuda.empty_cache()
    malloc_trim()


def malloc_trim() -> bool:
    """glibc's ``malloc_trim(0)``: free pages at the top and inside its heaps go back to
    the OS. Off Linux or without glibc: nothing (False)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # musl or another libc
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return bool(trim(0))


class Reaper:
    """A daemon thread that calls ``sweep()`` every ``interval`` seconds until stopped."""

    def __init__(self, sweep: Callable[[], None], interval: float):
        self._sweep = sweep
        self._interval = interval
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="mmdemo-model-ttl", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._sweep()
            except Exception:  # a bug must not kill the reaper silently
                log.exception("The model TTL sweep failed")

    def stop(self) -> None:
        self._stop.set()


def ttl_interval(ttl_s: float) -> float:
    """How often the reaper looks: a quarter of the TTL, between 10 ms and 30 s, so a model
    goes at most a quarter late and an idle server wakes rarely."""
    return min(30.0, max(0.01, ttl_s / 4))
