"""Limits for long model calls (a streamed chat reply, a drawn image), so they cannot block
other visitors.

Why a separate limit from Gradio's queue: one chat reply can hold a CPU for a minute and an
image for several, so a few such requests would fill every worker while searches and
captions wait behind them. ``LongJobs`` admits at most ``limit`` jobs of one kind at a
time and refuses the next one at once with ``BusyError`` (a clear "try again in a
moment", not a silent wait), gives each admitted job a deadline (``max_s``) and a cancel
event. The backend checks both at every token / diffusion step; the service's generator
sets ``cancel`` in its ``finally`` (Gradio's Stop button closes it: ``GeneratorExit``), so
the worker thread stops and its slot frees, whichever way the request ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from mmdemo.core.errors import BusyError

log = logging.getLogger(__name__)


@dataclass
class Job:
    """One admitted long job: what it is, its cancel event and its deadline
    (``time.monotonic()`` seconds)."""

    what: str
    cancel: threading.Event = field(default_factory=threading.Event)
    deadline: float = float("inf")
    started: float = field(default_factory=time.monotonic)

    def expired(self) -> bool:
        """True once the deadline has passed."""
        return time.monotonic() > self.deadline

    def remaining(self) -> float:
        """Seconds left before the deadline (0 when past it)."""
        return max(0.0, self.deadline - time.monotonic())

    @property
    def stopped(self) -> bool:
        """True when the job should stop now: cancelled, or out of time."""
        return self.cancel.is_set() or self.expired()


class LongJobs:
    """At most ``limit`` jobs of one kind at a time, each limited to ``max_s`` seconds.

    ``what`` names the work in the refusal ("writing chat replies", "drawing images").
    """

    def __init__(self, limit: int, max_s: float, what: str):
        # programming errors (Settings validated the operator's values already): not for a visitor
        if limit < 1:
            raise ValueError(f"A long-job limit must be at least 1, not {limit}.")
        if not max_s > 0:
            raise ValueError(f"A long-job time limit must be above 0 seconds, not {max_s}.")
        self.limit = int(limit)
        self.max_s = float(max_s)
        self.what = what
        self._guard = threading.Lock()
        self._running: list[Job] = []

    @property
    def running(self) -> int:
        """How many jobs hold a slot now."""
        return len(self._running)

    @contextmanager
    def slot(self) -> Iterator[Job]:
        """Admit one job, or refuse at once with ``BusyError`` when ``limit`` are running.

        On the way out (done, an exception, or the generator around it closed) the job's
        ``cancel`` is set, so a worker thread still running for it stops, and the slot frees.
        """
        with self._guard:
            if len(self._running) >= self.limit:
                log.info("Refused a job (%s): %d running, the limit", self.what, self.limit)
                raise BusyError(self.what, self.limit)
            job = Job(self.what, deadline=time.monotonic() + self.max_s)
            self._running.append(job)
        try:
            yield job
        finally:
            job.cancel.set()
            with self._guard:
                self._running.remove(job)

    def cancel_all(self) -> int:
        """Set every running job's cancel event (shutdown); how many there were."""
        with self._guard:
            jobs = list(self._running)
        for job in jobs:
            job.cancel.set()
        return len(jobs)
