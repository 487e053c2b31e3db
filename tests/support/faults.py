"""Fault injection for saves: every I/O step of a save named in order, and a fault at one.

Why every step rather than a few hand-picked points: a save is a sequence of file
creations, writes, fsyncs, a rename and deletions, and a crash or a full disk can land
between any two of them - or inside a write, with half of the buffer on disk. Running the
save once with no fault lists its steps (``FaultySteps.labels``); running it again with
``at=N`` for each N puts the fault at every one of them.

Patched while installed: ``open`` as the given modules see it (their file writes),
``os.fdopen``, ``os.fsync``, ``os.replace`` and ``os.unlink`` (``Path.unlink`` too). The
``os`` patches are process-wide: install it in a forked child, or around one call.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from unittest import mock

KILL, NO_SPACE = "kill", "no-space"


def _fd_name(fd: int) -> str:
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}")).name
    except OSError:
        return f"fd {fd}"


class _WriteFile:
    """A file opened for writing whose every ``write`` is a step."""

    def __init__(self, steps: FaultySteps, handle, name: str) -> None:
        self._steps, self._handle, self._name = steps, handle, name

    def write(self, data):
        if self._steps.step(f"write {self._name}"):
            half = data[: len(data) // 2] if isinstance(data, str) else _half(data)
            self._handle.write(half)
            self._handle.flush()  # the half really reaches the file before the fault
            self._steps.fault(self._name)
        return self._handle.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._handle.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._handle, name)


def _half(data) -> memoryview:
    view = memoryview(data)
    if view.nbytes and view.ndim:
        view = view.cast("B")
    return view[: view.nbytes // 2]


class FaultySteps:
    """Names each I/O step in ``labels``; at step ``at`` (1-based) runs the fault.

    ``KILL``: SIGKILL this very process (as ``kill -9`` would). ``NO_SPACE``: raise
    ``OSError(ENOSPC)``, as a full disk does (at any step but a deletion). A fault in a write
    comes after half of the buffer is written. Steps after the fault run normally.
    """

    def __init__(self, at: int | None = None, fault: str = KILL) -> None:
        self.at, self.fault_kind = at, fault
        self.labels: list[str] = []

    def step(self, label: str) -> bool:
        """Record one step; True when the fault is due at it."""
        self.labels.append(label)
        return len(self.labels) == self.at

    def fault(self, what: str) -> None:
        if self.fault_kind == KILL:
            os.kill(os.getpid(), signal.SIGKILL)
            os._exit(99)  # not reached: the parent sees 99 if the kill did not happen
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), what)

    @contextlib.contextmanager
    def installed(self, *modules: ModuleType) -> Iterator[FaultySteps]:
        """Patch the operations (``open`` in each of ``modules``) while the block runs."""
        real_fsync, real_replace, real_unlink = os.fsync, os.replace, os.unlink
        real_fdopen = os.fdopen

        def opener(file, mode="r", *args, **kwargs):
            handle = builtins.open(file, mode, *args, **kwargs)  # noqa: SIM115 (it is open)
            if not any(c in mode for c in "wax+"):
                return handle
            name = Path(file).name if not isinstance(file, int) else _fd_name(file)
            return self._created(handle, name)

        def fdopen(fd, mode="r", *args, **kwargs):
            handle = real_fdopen(fd, mode, *args, **kwargs)
            return self._created(handle, _fd_name(fd)) if "w" in mode else handle

        def fsync(fd):
            if self.step(f"fsync {_fd_name(fd if isinstance(fd, int) else fd.fileno())}"):
                self.fault("fsync")
            return real_fsync(fd)

        def replace(src, dst, *args, **kwargs):
            if self.step(f"rename {Path(src).name} -> {Path(dst).name}"):
                self.fault(str(dst))
            return real_replace(src, dst, *args, **kwargs)

        def unlink(path, *args, **kwargs):
            # a full disk never refuses a deletion: only a kill happens at these steps
            if self.step(f"unlink {Path(path).name}") and self.fault_kind == KILL:
                self.fault(str(path))
            return real_unlink(path, *args, **kwargs)

        with contextlib.ExitStack() as stack:
            for module in modules:
                stack.enter_context(mock.patch.object(module, "open", opener, create=True))
            stack.enter_context(mock.patch.object(os, "fdopen", fdopen))
            stack.enter_context(mock.patch.object(os, "fsync", fsync))
            stack.enter_context(mock.patch.object(os, "replace", replace))
            stack.enter_context(mock.patch.object(os, "unlink", unlink))
            yield self

    def _created(self, handle, name: str) -> _WriteFile:
        if self.step(f"create {name}"):  # the file exists now, still empty
            handle.close()
            self.fault(name)
        return _WriteFile(self, handle, name)


def killed_by_sigkill(pid: int) -> bool:
    """Wait for a forked child; whether SIGKILL ended it."""
    _, status = os.waitpid(pid, 0)
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
