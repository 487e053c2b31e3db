"""Which backends exist: a plain dict filled from the ``SPECS`` of each file in ``backends/``.

Why discovery: a backend is one file (``models/backends/<name>.py``) that declares its own
``SPECS`` - name, task, UI label, capabilities, hub files, loader - next to its class and
its ``load``. Adding a file adds the backend; nothing else lists it (a preset names it in
one line to make it a default or a choice). The registry imports every backend module the
first time it is asked (torch, numpy and PIL at most: a backend imports optional packages
such as open_clip or transformers inside ``load``, and a unit test checks that).

``add_backend`` / ``remove_backend`` stay for test fakes: real subclasses registered by a
fixture, as simonw/llm's plugins are.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from mmdemo.core.errors import BadInputError, UnknownNameError
from mmdemo.core.text import mostly_non_latin

if TYPE_CHECKING:
    from mmdemo.core.config import Settings
    from mmdemo.models.hub.files import HubWeights

log = logging.getLogger(__name__)

BACKENDS_PACKAGE = "mmdemo.models.backends"
ANY = "*"
# Kinds of VQA question, for ``Capabilities.question_kinds``: "what is this?", "is there
# a ...?" / yes-no about an object, "what shape", "what colour", "how many", and "open"
# (anything else: why, where, what is the person wearing, ...).
QUESTION_KINDS = ("what", "is_there", "shape", "colour", "count", "open")
READ_SAMPLE = 2000  # characters that decide which script a text is in


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do beyond its task's basic call; the UI builds its controls from it.

    Why declared rather than sniffed: a tab must not guess from a backend's name or class
    what to offer. Fields that do not apply to a task keep their defaults.
    """

    decoding: tuple[str, ...] = ()  # caption: generation modes offered (e.g. "beam", "sample")
    prefix: bool = False  # caption: a text prefix starts the caption (conditional captioning)
    fusions: tuple[str, ...] = ()  # vqa: fusion variants a person may choose per request
    ranked_answers: bool = False  # vqa: several answers with probabilities (else one)
    languages: tuple[str, ...] = ("en",)  # languages the model reads ("*": any)
    # vqa: which kinds of question (QUESTION_KINDS) the model answers, per kind of image
    # ("photo", "shapes": the easy-VQA world); "*" stands for any image or any kind. The
    # Ask tab offers suggested questions and examples only of kinds listed here.
    question_kinds: tuple[tuple[str, tuple[str, ...]], ...] = ((ANY, (ANY,)),)
    # embed: how the backend shows where a text matched in an image ("Why this match"),
    # the method's name as a person reads it; "" when it cannot (services/explain.py)
    explains: str = ""

    @property
    def generative(self) -> bool:
        return bool(self.decoding)

    def reads(self, text: str) -> bool:
        """Whether the model can read ``text``: a model that reads any language (``"*"``)
        reads everything; an English-only one reads text that is mostly Latin script (a
        Chinese query would get results that mean nothing - it is refused instead). The
        script is judged on the first ``READ_SAMPLE`` characters, so the check costs the same
        for any length (labels reach it before their own length check)."""
        if ANY in self.languages or not mostly_non_latin(text[:READ_SAMPLE]):
            return True
        return any(lang != "en" for lang in self.languages)

    def answers(self, kind: str, domain: str = "photo") -> bool:
        """Whether a VQA model answers questions of ``kind`` about a ``domain`` image."""
        for where, kinds in self.question_kinds:
            if where in (domain, ANY) and (ANY in kinds or kind in kinds):
                return True
        return False


class EnglishOnlyError(BadInputError):
    """Text in a script the chosen model cannot read (Chinese for an English-only model)."""


def require_readable(capabilities: Capabilities, text: str, model: str, what: str) -> None:
    """Refuse ``text`` a model cannot read, naming the model and what to do (the issue's
    rule: never an answer to a question the model could not read)."""
    if not capabilities.reads(text):
        raise EnglishOnlyError(
            f"The model {model} reads English only, and this {what} is mostly in another "
            f"script: its result would mean nothing. Write the {what} in English."
        )


@dataclass(frozen=True)
class BackendSpec:
    """How to build one backend: its task, name, loader and the options the loader reads.

    ``load(spec, context)`` builds the ready backend; ``hub_files(spec, settings)`` names the
    hub downloads that ``load`` would make (``python -m mmdemo download`` fetches them).
    """

    task: str
    name: str
    load: Callable[..., Any]
    description: str
    label: str = ""  # what a model menu shows; defaults to the name
    options: Mapping[str, Any] = field(default_factory=dict)
    capabilities: Capabilities = Capabilities()
    hub_files: Callable[[BackendSpec, Settings], list[HubWeights]] | None = None
    is_random: bool = False  # random weights (tiny): never presented as a real model
    needs: tuple[str, ...] = ()  # other tasks this backend is built on (e.g. classify -> embed)

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))
        if not self.label:
            object.__setattr__(self, "label", self.name)

    def option(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)

    def weights(self, settings: Settings) -> list[HubWeights]:
        """The hub downloads this backend needs under ``settings`` ([] for none)."""
        return list(self.hub_files(self, settings)) if self.hub_files else []


_REGISTRY: dict[str, dict[str, BackendSpec]] = {}
_discovered = False
_discovery_lock = threading.Lock()


def _discover() -> None:
    """Import every module of ``models/backends`` once and register its ``SPECS``.

    A backend module must not query the registry while it is being imported (the lock is
    not re-entrant on purpose: that would be a cycle). If a module fails to import, nothing
    is registered and the next call tries again, so the real error is the one reported.
    """
    global _discovered
    if _discovered:
        return
    with _discovery_lock:
        if _discovered:
            return
        found: dict[str, dict[str, BackendSpec]] = {}
        package = importlib.import_module(BACKENDS_PACKAGE)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{BACKENDS_PACKAGE}.{info.name}")
            for spec in getattr(module, "SPECS", ()):
                _register(found, spec, replace=False)
        for specs in found.values():
            for spec in specs.values():
                _register(_REGISTRY, spec, replace=False)
        _discovered = True


def _register(registry: dict, spec: BackendSpec, *, replace: bool) -> None:
    tasks = registry.setdefault(spec.task, {})
    if spec.name in tasks and not replace:
        raise ValueError(f"A {spec.task} backend named {spec.name!r} is already registered.")
    tasks[spec.name] = spec


def add_backend(spec: BackendSpec, *, replace: bool = False) -> None:
    """Register ``spec`` (test fakes); refuses to overwrite silently unless ``replace``."""
    _discover()
    if spec.task not in _REGISTRY:
        raise UnknownNameError("task", spec.task, _REGISTRY)
    _register(_REGISTRY, spec, replace=replace)


def remove_backend(task: str, name: str) -> None:
    """Unregister a backend (used by test fixtures to clean up their fakes)."""
    _REGISTRY.get(task, {}).pop(name, None)


def list_tasks() -> list[str]:
    _discover()
    return sorted(_REGISTRY)


def get_backend(task: str, name: str) -> BackendSpec:
    _discover()
    if task not in _REGISTRY:
        raise UnknownNameError("task", task, _REGISTRY)
    try:
        return _REGISTRY[task][name]
    except KeyError:
        raise UnknownNameError(f"{task} backend", name, _REGISTRY[task]) from None


def list_backends(task: str) -> list[str]:
    _discover()
    if task not in _REGISTRY:
        raise UnknownNameError("task", task, _REGISTRY)
    return sorted(_REGISTRY[task])
