"""``python -m mmdemo ARGS`` run in this process: ``mmdemo.cli.main.main(argv)``.

Why: a fresh interpreter per command costs its imports and a model load (6-20 s each on a
busy 2-core machine), and most command tests check what the command prints and returns,
not that it is a process. ``run_main`` gives them the same ``CompletedProcess`` that
``run_mmdemo`` (tests/support/app_process.py) gives, from the same environment (scrubbed,
offline, tiny preset, plus the test's variables), with what a fresh process would show:
stdout, stderr with the CLI's own ``logging.basicConfig`` output and Python warnings, and
the exit status ``sys.exit(main())`` would give. Torch's random state and thread count are
put back afterwards, so a command that sets them does not steer the next test.

What still needs a real process keeps ``run_mmdemo``: the exit status of ``python -m
mmdemo`` itself, what gets imported at ``--help``, a kill, and anything whose behaviour is
fixed at import time (huggingface_hub reads ``HF_ENDPOINT`` and ``HF_HUB_OFFLINE`` when it
is imported, so a command pointed at a fake hub runs as a subprocess).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import warnings
from unittest import mock

from tests.support.environment import subprocess_env

# Read when huggingface_hub is imported: setting them for one in-process run would not take.
IMPORT_TIME_VARIABLES = ("HF_ENDPOINT", "HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE")


def _exit_status(code: object) -> int:
    """The status ``sys.exit(code)`` gives a process (None -> 0, a message -> 1)."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def run_main(*args: str, **env: str | None) -> subprocess.CompletedProcess:
    """Like ``run_mmdemo(*args, **env)``, but ``main(list(args))`` in this process."""
    from mmdemo.cli.main import main

    environ = subprocess_env(**{"MMDEMO_PRESET": "tiny", **env})
    changed = [k for k in IMPORT_TIME_VARIABLES if environ.get(k) != os.environ.get(k)]
    if changed:
        raise ValueError(f"{changed} are read at import time: use run_mmdemo for this command")
    import torch

    stdout, stderr = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers, level, threads = root.handlers[:], root.level, torch.get_num_threads()
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, environ, clear=True))
        stack.enter_context(torch.random.fork_rng(devices=[]))
        stack.enter_context(warnings.catch_warnings())
        stack.enter_context(contextlib.redirect_stdout(stdout))
        stack.enter_context(contextlib.redirect_stderr(stderr))
        warnings.simplefilter("default")  # as a fresh interpreter shows them: on stderr
        root.handlers = []  # so that main's basicConfig logs to this stderr, as in a process
        try:
            status = _exit_status(main(list(args)))
        except SystemExit as exit_:  # argparse: --help, a bad flag
            if exit_.code is not None and not isinstance(exit_.code, int):
                stderr.write(f"{exit_.code}\n")
            status = _exit_status(exit_.code)
        finally:
            for handler in root.handlers:
                handler.close()
            root.handlers, root.level = handlers, level
            torch.set_num_threads(threads)
    return subprocess.CompletedProcess(
        ["python", "-m", "mmdemo", *args], status, stdout.getvalue(), stderr.getvalue()
    )
