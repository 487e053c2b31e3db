"""THE model-serving module: the only code that loads models.

``ModelServer.get(task)`` is the one front door: it picks the backend the preset names,
loads it on first use (once, however many requests ask at the same moment; and one model
at a time in the process, see ``_LOADING``), caches it, and hands back a ready object
with its own preprocessing. ``run`` is the same call micro-batched with concurrent
requests (``batching``); the device and dtype are decided once (``device``); ``auto``
becomes a preset at start-up (``preset_choice``). ``warm_up`` runs the start-up loading
(the embedder, the default gallery's index) in a background thread while the page is
being served, and ``warm_state`` says how far it got, so the page can say "loading
models…" while requests simply wait on the load locks.
Backends are built by their spec's own ``load``, never elsewhere.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mmdemo.core.config import Settings
from mmdemo.core.errors import MMDemoError, ModelLoadError, UnknownNameError
from mmdemo.core.results import ModelInfo
from mmdemo.models.presets import backend_for, choices_for, parse_backend_overrides
from mmdemo.models.registry import BackendSpec, get_backend
from mmdemo.serving.batching import MicroBatcher
from mmdemo.serving.device import resolve_device
from mmdemo.serving.long_jobs import LongJobs
from mmdemo.serving.memory_budget import (
    GB,
    TTL_KEEPS,
    Estimate,
    MemoryLedger,
    Reaper,
    estimate,
    own_sizes,
    plan_unloads,
    release_memory,
    storages_of,
    ttl_interval,
    union_bytes,
    with_dependents,
)
from mmdemo.serving.preset_choice import choose_preset

log = logging.getLogger(__name__)
GPU_MAX_BATCH = 8
# task -> (Settings field of its concurrency, of its time limit, what its jobs are doing)
LONG_JOB_TASKS = {
    "chat": ("chat_concurrency", "chat_max_s", "writing chat replies"),
    "generate": ("generate_concurrency", "generate_image_max_s", "drawing images"),
}


# One model load at a time in the process: transformers' from_pretrained patches process-wide
# state while it loads (torch's init functions, PreTrainedModel methods), so two loads in
# two threads can corrupt each other and every later load. Reentrant: loaders load their
# dependencies through context.get.
_LOADING = threading.RLock()


@dataclass(frozen=True)
class WarmState:
    """Where the start-up warm-up stands: ``idle`` (none was started, e.g. the CLI),
    ``loading``, ``ready`` or ``failed`` (``detail`` says why; the app still serves)."""

    phase: str = "idle"
    detail: str = ""
    seconds: float = 0.0  # how long the warm-up ran (so far, while loading)

    @property
    def loading(self) -> bool:
        return self.phase == "loading"


class ModelServer:
    """Lazy, cached, thread-safe access to one backend per task for a preset."""

    def __init__(self, settings: Settings, preset: str | None = None):
        self.settings = settings
        # auto -> full or lite (and why); unknown names -> UnknownNameError listing choices
        self.choice = choose_preset(settings.replace(preset=preset or settings.preset))
        self.preset = self.choice.name
        self.overrides = parse_backend_overrides(settings.backends)
        self._backends: dict[tuple[str, str], Any] = {}  # (task, backend name) -> backend
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._batchers: dict[tuple[str, str, str], Any] = {}
        # task -> (key, its default backend), once loaded: one atomic read on the hot path
        self._defaults: dict[str, tuple[tuple[str, str], Any]] = {}
        self._locks_guard = threading.Lock()
        self._device = None
        self._dtype = None
        self._warm = WarmState()
        self._warm_started = 0.0
        self._warm_done = threading.Event()
        self._long_jobs: dict[str, LongJobs] = {}
        self._load_seconds: dict[tuple[str, str], float] = {}  # kept across unloads
        self._memory = MemoryLedger()  # last use, sizes, unloads (serving/memory_budget.py)
        self._needs: dict[tuple[str, str], set[tuple[str, str]]] = {}  # key -> keys it is built on
        self._reaper: Reaper | None = None

    # -- device ------------------------------------------------------------------------
    def _resolve_device(self) -> None:
        if self._device is None:
            self._device, self._dtype = resolve_device(self.settings.device)

    @property
    def device(self):
        self._resolve_device()
        return self._device

    @property
    def max_batch(self) -> int:
        """Largest micro-batch: the setting, else 8 on a GPU and 1 (off) on CPU, where
        batching measured slower than one request at a time (docs/benchmarks.md)."""
        if self.settings.max_batch is not None:
            return self.settings.max_batch
        return GPU_MAX_BATCH if self.device.type == "cuda" else 1

    @property
    def dtype(self):
        self._resolve_device()
        return self._dtype

    # -- backends ----------------------------------------------------------------------
    def spec_for(self, task: str, backend: str | None = None) -> BackendSpec:
        """The spec serving ``task``: the preset's (or MMDEMO_BACKENDS'), or a chosen one."""
        if backend:
            if backend not in self.choices(task):
                raise UnknownNameError(f"{task} model", backend, self.choices(task))
            return get_backend(task, backend)
        if task in self.overrides:
            return get_backend(task, self.overrides[task])
        return get_backend(task, backend_for(self.preset, task))

    def choices(self, task: str) -> list[str]:
        """Backends a person may pick for ``task`` per request: the default one first.

        A task named in ``MMDEMO_BACKENDS`` is pinned to that backend (no other choice), so
        a deployment can keep memory and downloads to the models it means to serve.
        """
        if task in self.overrides:
            return [self.overrides[task]]
        return choices_for(self.preset, task)

    def is_loaded(self, task: str, backend: str | None = None) -> bool:
        return (task, self.spec_for(task, backend).name) in self._backends

    def _lock_for(self, key: tuple[str, str]) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    def get(self, task: str, backend: str | None = None) -> Any:
        """The ready backend for ``task`` (or the chosen ``backend``), loaded once on first use."""
        if backend is None:  # the hot path (every search): one dict lookup
            found = self._defaults.get(task)
            if found is not None:
                self._memory.touch(found[0])
                return found[1]
        spec = self.spec_for(task, backend)
        ready = self._ready(spec)
        if backend is None:
            self._defaults[task] = ((spec.task, spec.name), ready)
        return ready

    def dependency(self, task: str, name: str | None = None) -> Any:
        """What a loader's ``context.get`` returns: the task's default backend, or the named
        one a backend is built on (not limited to the choices offered to visitors)."""
        return self.get(task) if name is None else self._ready(get_backend(task, name))

    def _ready(self, spec: BackendSpec) -> Any:
        """``spec``'s backend, loaded once (per-backend lock, dependencies first)."""
        key = (spec.task, spec.name)
        ready = self._backends.get(key)
        if ready is not None:
            self._memory.touch(key)
            return ready
        for dependency in spec.needs:  # load dependencies first, outside this task's lock
            self.get(dependency)
        with _LOADING, self._lock_for(key):
            ready = self._backends.get(key)
            if ready is None:
                expected = self._make_room(spec)
                ready = self._load(spec)
                self._backends[key] = ready
                self._needs[key] = {self._default_key(task) for task in spec.needs}
                self._memory.loaded(key, storages_of(ready, expected.bytes))
                self._start_reaper()
        self._memory.touch(key)
        return ready

    def run(self, task: str, method: str, *args: Any, backend: str | None = None, **options) -> Any:
        """``backend.<method>(*args, **options)``, micro-batched with concurrent calls.

        When the backend also has ``<method>_many`` (``caption_many``, ``answer_many``), calls
        with the same backend and options share batches (see ``mmdemo.batching``): the
        batch items are ``args`` (or ``args[0]`` alone). ``MMDEMO_MAX_BATCH=1`` turns it off.
        """
        ready = self.get(task, backend)
        run_many = getattr(ready, f"{method}_many", None)
        if run_many is None or self.max_batch <= 1:
            return getattr(ready, method)(*args, **options)
        key = (task, self.spec_for(task, backend).name, method)
        with self._locks_guard:
            batcher = self._batchers.get(key)
            if batcher is None:
                batcher = MicroBatcher(
                    lambda items, opts, fn=run_many: fn(items, **dict(opts)),
                    max_batch=self.max_batch,
                    window_s=self.settings.batch_window_ms / 1000,
                    name=f"{key[1]}.{method}",
                )
                self._batchers[key] = batcher
        item = args[0] if len(args) == 1 else args
        return batcher.submit(item, tuple(sorted(options.items())))

    def batcher(self, task: str, method: str, backend: str | None = None):
        """The micro-batcher behind ``run`` for one backend method, if one was made."""
        return self._batchers.get((task, self.spec_for(task, backend).name, method))

    def _load(self, spec: BackendSpec) -> Any:
        from mmdemo.models.base import LoadContext

        started = time.perf_counter()
        log.info("Loading %s backend %r (preset %s)", spec.task, spec.name, self.preset)
        context = LoadContext(self.settings, self.device, self.dtype, self.dependency)
        try:
            backend = spec.load(spec, context)
        except MMDemoError:
            raise
        except ImportError as err:  # an optional package the backend imports in its load
            raise ModelLoadError(
                spec.name,
                f"its code could not be imported ({err})",
                f"Install the missing package: pip install {err.name or 'the requirements'}",
            ) from err
        except Exception as err:  # a loader bug or an unexpected library error
            log.exception("Loading %s failed", spec.name)
            raise ModelLoadError(
                spec.name, f"{type(err).__name__}: {err}", "See the server log for details."
            ) from err
        if not getattr(backend, "load_seconds", 0):
            backend.load_seconds = time.perf_counter() - started
        log.info("Loaded %s/%s in %.1f s", spec.task, spec.name, backend.load_seconds)
        self._load_seconds[(spec.task, spec.name)] = float(backend.load_seconds)
        return backend

    def unload(self, task: str | None = None, *, reason: str = "asked") -> None:
        """Drop cached backends (all, or every one of a task's) and reclaim their memory."""
        with _LOADING:
            dropped = [key for key in list(self._backends) if task is None or key[0] == task]
            for key in dropped:
                self._drop(key, reason)
            self._released(dropped)

    # -- memory budget and TTL (serving/memory_budget.py says what and why) -----------------
    def _default_key(self, task: str) -> tuple[str, str]:
        return (task, self.spec_for(task).name)

    def _busy(self) -> set[tuple[str, str]]:
        """Loaded backends of a task with a long job running now: never unloaded."""
        tasks = {task for task, jobs in list(self._long_jobs.items()) if jobs.running}
        return {key for key in self._backends if key[0] in tasks}

    def _needed_by(self, key: tuple[str, str]) -> set[tuple[str, str]]:
        return {other for other, needs in list(self._needs.items()) if key in needs}

    def _loaded_sizes(self) -> dict[tuple[str, str], dict]:
        """Each loaded backend's tensor storages (a shared one counts once in a total)."""
        return {key: self._memory.storages.get(key, {}) for key in list(self._backends)}

    def _make_room(self, spec: BackendSpec) -> Estimate:
        """Before ``spec`` loads (under ``_LOADING``): estimate it, and unload the least
        recently used backends until the budget holds it; the estimate, for the ledger."""
        if self.settings.memory_budget_gb is None:  # no budget: no look at the cache
            return Estimate(0, "unknown")
        key = (spec.task, spec.name)
        itemsize = self.dtype.itemsize
        expected = estimate(spec, self.settings, self._memory.measured.get(key), itemsize)
        budget = int(self.settings.memory_budget_gb * GB)
        loaded = self._loaded_sizes()
        protected = self._busy() | {self._default_key(task) for task in spec.needs}
        chosen, fits = plan_unloads(
            loaded, self._memory.last_used, self._needed_by, expected.bytes, budget, protected
        )
        log.info(
            "Memory budget: %s/%s is estimated at %s; %.2f GB of %.2f GB loaded; unloading %s",
            spec.task, spec.name, expected.describe(), union_bytes(loaded.values()) / GB,
            budget / GB, ", ".join("/".join(k) for k in chosen) or "nothing",
        )  # fmt: skip
        for dropped in chosen:
            self._drop(dropped, "budget")
        self._released(chosen)
        if not fits:
            # refusing would leave the model unusable on this server; the operator is told
            log.warning(
                "Memory budget: %s/%s does not fit in %.2f GB even with every other model "
                "that may go unloaded; loading it anyway",
                spec.task, spec.name, budget / GB,
            )  # fmt: skip
        return expected

    def _drop(self, key: tuple[str, str], reason: str) -> None:
        """Forget one backend (under ``_LOADING``); a request holding it keeps its own
        reference, so its memory frees when that request ends."""
        self._backends.pop(key, None)
        self._needs.pop(key, None)
        for task, (default_key, _) in list(self._defaults.items()):
            if default_key == key:
                self._defaults.pop(task, None)
        for batcher_key in [b for b in self._batchers if b[:2] == key]:
            self._batchers.pop(batcher_key, None)
        event = self._memory.forget(key, reason)
        log.info(
            "Unloaded %s/%s (%s): %.2f GB, idle %.0f s",
            key[0], key[1], reason, event.bytes / GB, event.idle_s,
        )  # fmt: skip

    def _released(self, dropped: list) -> None:
        if dropped:
            release_memory(self._device is not None and self._device.type == "cuda")
            self._memory.notify()

    def _start_reaper(self) -> None:
        ttl = self.settings.model_ttl_s
        if ttl is not None and self._reaper is None:
            self._reaper = Reaper(self.unload_idle, ttl_interval(ttl))

    def unload_idle(self) -> list[tuple[str, str]]:
        """Unload backends idle longer than ``MMDEMO_MODEL_TTL_S`` (the reaper calls this);
        the default embedder stays (``TTL_KEEPS``), as do busy ones and what others need
        unless those go too."""
        ttl = self.settings.model_ttl_s
        if ttl is None:
            return []
        with _LOADING:
            keep = self._busy()
            for task in TTL_KEEPS:
                try:
                    keep.add(self._default_key(task))
                except MMDemoError:  # a preset without that task
                    continue
            loaded = set(self._backends)
            idle = {key for key in loaded if self._memory.idle_s(key) > ttl}
            dropped = [
                key
                for key in sorted(idle, key=lambda k: self._memory.last_used.get(k, 0.0))
                if not (group := with_dependents(key, self._needed_by, loaded)) & keep
                and group <= idle
            ]
            for key in dropped:
                self._drop(key, "ttl")
            self._released(dropped)
        return dropped

    def close(self) -> None:
        """Stop the TTL reaper (tests, shutdown); the loaded models stay."""
        if self._reaper is not None:
            self._reaper.stop()
            self._reaper = None

    def memory_state(self) -> dict:
        """The budget, the TTL, what is loaded (size, idle seconds) and the recent unloads
        with their reasons: for the status panel and ``info``. ``loaded_gb`` counts each
        tensor storage once; a row's ``gb`` is what unloading that model alone would free,
        so the rows add up to ``loaded_gb`` less ``shared_gb`` (held by several models)."""
        loaded = self._loaded_sizes()
        total = union_bytes(loaded.values())
        own = own_sizes(loaded)
        return {
            "budget_gb": self.settings.memory_budget_gb,
            "ttl_s": self.settings.model_ttl_s,
            "loaded_gb": round(total / GB, 3),
            "shared_gb": round((total - sum(own.values())) / GB, 3),
            "loaded": [
                {
                    "task": key[0],
                    "backend": key[1],
                    "gb": round(own[key] / GB, 3),
                    "idle_s": round(self._memory.idle_s(key), 1),
                }
                for key in sorted(loaded)
            ],
            "unloaded": [event.to_json() for event in reversed(list(self._memory.history))],
        }

    def wait_unloaded(self, task: str, backend: str | None = None, timeout: float = 10.0) -> bool:
        """Block until ``task``'s backend is not loaded (an unload notifies), or ``timeout``."""
        return self._memory.wait_for(lambda: not self.is_loaded(task, backend), timeout)

    def last_load_seconds(self, task: str, backend: str | None = None) -> float | None:
        """How long ``task``'s backend took to load last time (None: never loaded in this
        process). Kept after an unload, so the page can say how long a reload will take."""
        return self._load_seconds.get((task, self.spec_for(task, backend).name))

    # -- long jobs ---------------------------------------------------------------------
    def long_jobs(self, task: str) -> LongJobs:
        """The one concurrency/time limit for ``task``'s long calls ("chat", "generate"),
        from Settings; every request of that task goes through its ``slot()``."""
        if task not in LONG_JOB_TASKS:
            raise ValueError(f"No long-job limit for task {task!r}: only {sorted(LONG_JOB_TASKS)}.")
        with self._locks_guard:
            jobs = self._long_jobs.get(task)
            if jobs is None:
                limit, max_s, what = LONG_JOB_TASKS[task]
                jobs = LongJobs(getattr(self.settings, limit), getattr(self.settings, max_s), what)
                self._long_jobs[task] = jobs
        return jobs

    # -- start-up warm-up ---------------------------------------------------------------
    def warm_up(self, job: Callable[[], str], *, what: str = "models") -> threading.Thread:
        """Run ``job`` (load models, open the index) in a daemon thread and record its state.

        Why a thread: the page should answer within seconds of start-up while the models
        load (25-36 s for ``lite`` on 2 cores). Requests that arrive meanwhile are not
        refused: they block on the same load locks (``_LOADING``, the gallery's) and are
        served when the load is done. ``job`` returns a one-line summary for the log; a
        ``MMDemoError`` it raises is logged and kept as ``detail`` (the app still serves,
        and the banner shows the problem).
        """
        self._warm_started = time.perf_counter()
        self._warm = WarmState("loading", f"loading {what}")
        self._warm_done.clear()
        log.info("Warm-up started: loading %s in the background (preset %s)", what, self.preset)

        def run() -> None:
            try:
                summary = job()
            except MMDemoError as err:
                state = WarmState("failed", str(err), self._warm_elapsed())
                log.error("Warm-up failed after %.1f s: %s", state.seconds, err)
            except Exception as err:  # a bug: logged with its traceback, the app still serves
                state = WarmState("failed", f"{type(err).__name__}: {err}", self._warm_elapsed())
                log.exception("Warm-up failed after %.1f s", state.seconds)
            else:
                state = WarmState("ready", summary or "", self._warm_elapsed())
                log.info("Warm-up done in %.1f s: %s", state.seconds, summary)
            self._warm = state
            self._warm_done.set()

        thread = threading.Thread(target=run, name="mmdemo-warm-up", daemon=True)
        thread.start()
        return thread

    def _warm_elapsed(self) -> float:
        return time.perf_counter() - self._warm_started

    def warm_state(self) -> WarmState:
        """The warm-up's state now (``seconds`` counts up while it is loading)."""
        state = self._warm
        if state.loading:
            return WarmState(state.phase, state.detail, self._warm_elapsed())
        return state

    def wait_warm(self, timeout: float | None = None) -> WarmState:
        """Block until a started warm-up has finished (or ``timeout``); its state then."""
        if self._warm.phase != "idle":
            self._warm_done.wait(timeout)
        return self.warm_state()

    # -- reporting ---------------------------------------------------------------------
    def loaded(self) -> list[ModelInfo]:
        return [backend.info() for backend in list(self._backends.values())]

    def is_random(self, task: str = "embed", backend: str | None = None) -> bool:
        """True when ``task``'s backend, or one it builds on, has random weights (tiny)."""
        spec = self.spec_for(task, backend)
        return spec.is_random or any(self.is_random(dep) for dep in spec.needs)

    def memory_report(self) -> dict[str, float]:
        """Process RSS and (if used) CUDA memory in MiB, for the info command and the UI."""
        import psutil

        report = {"rss_mib": psutil.Process().memory_info().rss / 2**20}
        if self._device is not None and self._device.type == "cuda":
            import torch

            report["cuda_allocated_mib"] = torch.cuda.memory_allocated(self._device) / 2**20
        return report
