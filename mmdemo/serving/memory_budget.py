"""What the model server may keep loaded: a memory budget (least recently used models go
first) and an idle time-to-live, the way Immich's machine-learning server unloads models.

Why: the chat and image-generation models alone can pass what every other task uses
together, and a free Space has 16 GB. ``MMDEMO_MEMORY_BUDGET_GB``: before a model loads,
its size is estimated and the least recently used models are unloaded until the loaded
ones plus the new one fit. ``MMDEMO_MODEL_TTL_S``: a daemon thread unloads models idle for
longer. A request for an unloaded model simply loads it again (the page shows
``last_load_seconds`` as the wait).

What the budget counts: the tensors of the loaded models (their ``modules()``' parameters
and buffers, looked at after each load), each storage once (by device and
``untyped_storage().data_ptr()``) across all of them, not the process RSS (Python, torch's
kernels, the gallery and the allocator's slack are outside any model's control). Why once:
models are built on others (zero-shot classify on the embedder, the routed sentiment on
its two models) and weights are tied, and summing each model's own tensors counted those
twice (about a third too much with every ``full`` model loaded), so the budget unloaded
models it had room for. The loaded total is the union of the storages; a model's own size
is what unloading it alone would free (its storages no other loaded model holds), and
unloading a group frees what none of the rest holds. A backend without ``modules()`` counts
as one block of its ``info().memory_bytes`` (else its estimate). The estimate for a model
not loaded yet is, best first: what its last load in this process added ("measured"), the
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
StorageId = tuple[str, int]  # (device, data_ptr) of one tensor storage
Storages = Mapping[StorageId, int]  # each storage a model holds -> its bytes


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
    """``spec``'s expected size before loading it (module docstring: the order and why);
    ``measured`` 0 is a measurement too (a model built wholly on others adds nothing)."""
    if measured is not None:
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


def storages_of(backend, fallback: int = 0) -> dict[StorageId, int]:
    """Each distinct tensor storage ``backend``'s modules hold (parameters and buffers) and
    its bytes: tied weights and views of one tensor count once. A backend without
    ``modules()`` is one block of its ``info().memory_bytes``, else of ``fallback``."""
    modules = getattr(backend, "modules", None)
    if not callable(modules):
        try:
            size = int(backend.info().memory_bytes)
        except Exception:  # a backend without a usable info(): the estimate stands
            size = 0
        return {("opaque", id(backend)): size or int(fallback)}
    found: dict[StorageId, int] = {}
    for module in modules():
        for tensor in [*module.parameters(), *module.buffers()]:
            try:
                storage = tensor.untyped_storage()
                pointer, size = storage.data_ptr(), storage.nbytes()
            except (RuntimeError, NotImplementedError):  # sparse, quantised: no plain storage
                pointer, size = id(tensor), tensor.numel() * tensor.element_size()
            if pointer:  # 0: a meta tensor, which holds no memory
                found[(str(tensor.device), pointer)] = size
    return found


def union_bytes(held: Iterable[Storages]) -> int:
    """The bytes of every storage in ``held``, each counted once."""
    seen: dict[StorageId, int] = {}
    for storages in held:
        seen.update(storages)
    return sum(seen.values())


def own_sizes(loaded: Mapping[Key, Storages]) -> dict[Key, int]:
    """Each model's own bytes, what unloading it alone would free: its storages no other
    loaded model holds (one pass: how many models hold each storage)."""
    holders = collections.Counter(sid for storages in loaded.values() for sid in storages)
    return {
        key: sum(size for sid, size in storages.items() if holders[sid] == 1)
        for key, storages in loaded.items()
    }


def own_bytes(key: Key, loaded: Mapping[Key, Storages]) -> int:
    """What unloading ``key`` alone would free (``own_sizes``)."""
    return own_sizes(loaded).get(key, 0)


def plan_unloads(
    loaded: Mapping[Key, Storages],
    last_used: Mapping[Key, float],
    needed_by: Callable[[Key], set[Key]],
    incoming: int,
    budget: int,
    protected: set[Key],
) -> tuple[list[Key], bool]:
    """Which loaded models to unload (least recently used first) so that the rest plus
    ``incoming`` bytes fit ``budget``; and whether they then fit.

    ``loaded``: each model's storages (a storage two models hold counts once, and frees
    only when both go); ``needed_by(key)``: the loaded models built on ``key`` (they go
    with it, or it stays); ``protected``: never unloaded (running long jobs, what the
    incoming model needs). A group whose unloading would free nothing stays.
    """
    remaining = dict(loaded)
    total = union_bytes(remaining.values())
    chosen: list[Key] = []
    while total + incoming > budget:
        step = _first_that_frees(remaining, total, last_used, needed_by, protected)
        if step is None:
            break
        group, remaining, total = step
        chosen += sorted(group, key=lambda k: last_used.get(k, 0.0))
    return chosen, total + incoming <= budget


def _first_that_frees(remaining, total, last_used, needed_by, protected):
    """The least recently used unloadable group (a model and what is built on it) whose
    unloading frees something, with what then remains and its bytes; None if none does.
    Looked for again after each unload: a storage shared with a model just unloaded may
    now be the next one's own."""
    for key in sorted(remaining, key=lambda k: last_used.get(k, 0.0)):
        group = with_dependents(key, needed_by, set(remaining))
        if group & protected:
            continue
        rest = {k: s for k, s in remaining.items() if k not in group}
        after = union_bytes(rest.values())
        if after < total:
            return group, rest, after
    return None


def with_dependents(key: Key, needed_by: Callable[[Key], set[Key]], loaded: set[Key]) -> set:
    group, todo = {key}, [key]
    while todo:
        for dependent in needed_by(todo.pop()) & loaded:
            if dependent not in group:
                group.add(dependent)
                todo.append(dependent)
    return group


class MemoryLedger:
    """When each loaded model was last used, the storages it holds, what its last load
    added, and the recent unloads.

    The server calls ``touch`` on every ``get`` (one dict store: the hot path stays a
    lookup) and ``loaded``/``forget`` around loads and unloads; ``changed`` is notified on
    every unload, so a test (or a status poll) can wait for one without sleeping.
    """

    def __init__(self) -> None:
        self.last_used: dict[Key, float] = {}
        self.storages: dict[Key, dict[StorageId, int]] = {}  # loaded now
        self.measured: dict[Key, int] = {}  # what its last load added, kept after an unload
        self.history: collections.deque[Unloaded] = collections.deque(maxlen=HISTORY)
        self.changed = threading.Condition()

    def touch(self, key: Key) -> None:
        self.last_used[key] = time.monotonic()

    def loaded(self, key: Key, storages: Storages) -> None:
        """``key`` is loaded holding ``storages``; what others did not hold yet is what the
        load added (the estimate of its next load)."""
        before = dict(self.storages)
        before.pop(key, None)
        self.storages[key] = dict(storages)
        self.measured[key] = union_bytes([*before.values(), storages]) - union_bytes(
            before.values()
        )
        self.touch(key)

    def total(self) -> int:
        """The loaded models' bytes, each storage once."""
        return union_bytes(list(self.storages.values()))

    def own(self, key: Key) -> int:
        """What unloading ``key`` alone would free now."""
        return own_bytes(key, dict(self.storages))

    def idle_s(self, key: Key) -> float:
        return time.monotonic() - self.last_used.get(key, time.monotonic())

    def forget(self, key: Key, reason: str) -> Unloaded:
        """``key`` is unloaded; the event's bytes are what that freed (what the models
        still loaded do not hold)."""
        size = self.own(key)
        self.storages.pop(key, None)
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
