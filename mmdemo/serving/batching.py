"""Micro-batching: requests that arrive while the model is busy run together as one batch.

Why: the UI calls a backend once per request, but captioning and VQA models do more work
per second on a batch than on one item at a time (how much more is measured in
``bench/bench_batching.py``). Gradio serialises an event's calls by default; the tabs
allow several at once and send them through a ``MicroBatcher``, which:

- runs one model call at a time per backend (no thread oversubscription on CPU);
- gathers everything that arrived while the previous call ran (plus, optionally, what
  arrives within ``window_s`` of an idle start) into the next call, up to ``max_batch``;
- groups only items with the same ``key`` (the same decoding options), so a batch is one
  call with one set of options;
- isolates failures: if a batch raises, each item is retried alone, so one bad request
  gets its own error and the others still get their answers.

There is no background thread: the first caller to find no batch forming leads, runs
batches until the queue is empty, and hands each caller its result through a future.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)

RunMany = Callable[[Sequence[Any], Hashable], Sequence[Any]]


class MicroBatcher:
    """Batch concurrent ``submit`` calls into ``run_many(items, key)`` calls."""

    def __init__(self, run_many: RunMany, max_batch: int = 8, window_s: float = 0.0, name=""):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.run_many = run_many
        self.max_batch = max_batch
        self.window_s = max(0.0, window_s)
        self.name = name
        self._guard = threading.Lock()
        self._run_lock = threading.Lock()  # one model call at a time
        self._pending: dict[Hashable, list[tuple[Any, Future]]] = {}
        self._leading: set[Hashable] = set()
        self.batch_sizes: list[int] = []  # what ran, for tests and the benchmark

    def submit(self, item: Any, key: Hashable = ()) -> Any:
        """Run ``item`` (in some batch) and return its result, or raise its own error."""
        future: Future = Future()
        with self._guard:
            self._pending.setdefault(key, []).append((item, future))
            lead = key not in self._leading
            if lead:
                self._leading.add(key)
        if lead:
            self._lead(key)
        return future.result()

    def _take(self, key: Hashable) -> list[tuple[Any, Future]]:
        """The next batch for ``key``; an empty list also ends this caller's leadership."""
        with self._guard:
            queue = self._pending.get(key, [])
            batch, rest = queue[: self.max_batch], queue[self.max_batch :]
            if rest:
                self._pending[key] = rest
            else:
                self._pending.pop(key, None)
            if not batch:
                self._leading.discard(key)
            return batch

    def _lead(self, key: Hashable) -> None:
        if self.window_s:
            time.sleep(self.window_s)
        while True:
            with self._run_lock:
                batch = self._take(key)
                if not batch:
                    return
                self._run(batch, key)

    def _run(self, batch: list[tuple[Any, Future]], key: Hashable) -> None:
        items = [item for item, _ in batch]
        self.batch_sizes.append(len(items))
        try:
            results = list(self.run_many(items, key))
            if len(results) != len(items):
                raise RuntimeError(f"{self.name}: {len(items)} items gave {len(results)} results")
        except Exception as err:
            if len(batch) == 1:
                batch[0][1].set_exception(err)
                return
            log.warning(
                "%s: a batch of %d failed (%s); running each alone", self.name, len(batch), err
            )
            for item, future in batch:
                self._run([(item, future)], key)
            return
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)
