"""Text to image as a stream of progress: ``generate_steps`` yields ``(step, total)`` as the
diffusion runs, then the ``GenerateResult``.

Why a generator around a worker thread: the UI's progress bar and the CLI's stderr bar need
each step as it happens, and Gradio's Cancel closes the generator. The backend runs in a
worker thread that feeds a queue through ``on_step``; the ``finally`` sets the job's cancel
event and joins the thread, so a cancelled (or abandoned) request frees its worker at the
next step instead of drawing on for minutes. Every check (preset, prompt, options, the
long-job slot) happens before any model work.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from typing import Any

from mmdemo.core.errors import BadInputError, UnknownNameError
from mmdemo.core.generate_results import GenerateOptions, GenerateResult, check_prompt
from mmdemo.core.i18n import has_cjk
from mmdemo.serving import ModelServer

log = logging.getLogger(__name__)

TASK = "generate"
_DONE = object()  # the worker's last item on the queue
JOIN_S = 60.0  # a cancelled diffusion step ends within one step; this only bounds a bug


class GenerationUnavailableError(BadInputError):
    """The preset has no text-to-image model (``lite``: no diffusion weights on PyPI)."""

    def __init__(self, preset: str):
        self.preset = preset
        super().__init__(
            f"Drawing images needs the full preset (a diffusion model); this server runs "
            f"{preset}, which has none."
        )


def available(server: ModelServer) -> bool:
    """Whether this server's preset can draw at all (lite cannot)."""
    try:
        return bool(server.choices(TASK))
    except UnknownNameError:
        return False


def require_available(server: ModelServer) -> None:
    if not available(server):
        raise GenerationUnavailableError(server.preset)


def check_english(prompt: str) -> None:
    """Refuse a Chinese prompt: SD-Turbo's CLIP text encoder was trained on English captions,
    so Chinese characters become rare byte tokens and the image ignores what was asked."""
    if has_cjk(prompt):
        raise BadInputError(
            "The image model reads English prompts only (its CLIP text encoder was trained "
            "on English captions); describe the image in English."
        )


def loading_line(server: ModelServer, backend: str | None = None) -> str | None:
    """ "Loading <model> … (about N s last time)" when the model is not loaded yet, else None."""
    if server.is_loaded(TASK, backend):
        return None
    spec = server.spec_for(TASK, backend)
    last = server.last_load_seconds(TASK, backend)
    if last is None:
        return f"Loading {spec.label} …"
    return f"Loading {spec.label} … (about {last:.0f} s last time)"


def options_from(options: Any) -> GenerateOptions:
    """A ``GenerateOptions`` from itself or a mapping of its fields (checked)."""
    if isinstance(options, GenerateOptions):
        return options
    if options is None:
        return GenerateOptions()
    if not isinstance(options, dict):
        raise BadInputError(f"The options must be a mapping, not {type(options).__name__}.")
    known = set(GenerateOptions.__dataclass_fields__)
    unknown = sorted(set(options) - known)
    if unknown:
        raise BadInputError(f"Unknown generation options: {', '.join(map(str, unknown))}.")
    return GenerateOptions(**options)


def generate_steps(
    server: ModelServer, prompt: Any, options: Any = None, backend: str | None = None
) -> Iterator[tuple[int, int] | str | GenerateResult]:
    """Yield ``(step, total)`` per diffusion step, then the ``GenerateResult`` last.

    Before the model is loaded the first item is the English "Loading …" line (a ``str``).
    Raises ``BusyError`` at once when ``generate_concurrency`` images are being drawn.
    """
    require_available(server)
    text = check_prompt(prompt)
    check_english(text)
    chosen = GenerateOptions() if options is None else options_from(options)
    server.spec_for(TASK, backend)  # an unknown model name is refused before the slot
    with server.long_jobs(TASK).slot() as job:
        line = loading_line(server, backend)
        if line is not None:
            yield line
        model = server.get(TASK, backend)
        items: queue.Queue = queue.Queue()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["result"] = model.generate(
                    text,
                    chosen,
                    on_step=lambda done, total: items.put((done, total)),
                    cancel=job.cancel,
                    deadline=job.deadline,
                )
            except BaseException as err:  # handed to the caller's thread below
                outcome["error"] = err
            finally:
                items.put(_DONE)

        worker = threading.Thread(target=work, name="mmdemo-generate", daemon=True)
        worker.start()
        try:
            while (item := items.get()) is not _DONE:
                yield item
        finally:
            job.cancel.set()  # a closed generator (Cancel, a dropped client) stops the worker
            worker.join(JOIN_S)
            if worker.is_alive():
                log.warning("The generation worker did not stop within %.0f s", JOIN_S)
        if "error" in outcome:
            raise outcome["error"]
        result: GenerateResult = outcome["result"]
        log.info(
            "Generated %dx%d in %.1f s (%s, %d/%d steps, %s)",
            result.width,
            result.height,
            result.seconds,
            result.backend,
            result.steps_done,
            result.steps,
            result.stopped,
        )
        yield result


def generate(
    server: ModelServer, prompt: Any, options: Any = None, backend: str | None = None
) -> GenerateResult:
    """The finished result of ``generate_steps`` (tests and callers with no progress)."""
    result = None
    for item in generate_steps(server, prompt, options, backend):
        result = item
    if not isinstance(result, GenerateResult):  # pragma: no cover - generate_steps ends with one
        raise RuntimeError("generation produced no result")
    return result
