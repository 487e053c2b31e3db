"""Which backends exist for which task: a plain dict with ``list_`` / ``get_`` / ``add_``.

Why strings for loaders: a spec names its loader as ``"module:function"`` so that listing
or validating backends never imports torch; the serving module imports the loader only
when a backend is first used. Test fakes register real specs with ``add_backend``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from mmdemo.errors import UnknownNameError

TASKS = (
    "embed",
    "classify",
    "caption",
    "vqa",
    "sentiment",
    "image_sentiment",  # zero-shot image sentiment (prompts)
    "sentiment_head",  # the trained early-fusion head
)


@dataclass(frozen=True)
class BackendSpec:
    """How to build one backend: its task, name, loader and the options the loader reads."""

    task: str
    name: str
    loader: str  # "package.module:function", called as function(spec, context)
    description: str
    options: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    is_random: bool = False  # random weights (tiny): never presented as a real model
    needs: tuple[str, ...] = ()  # other tasks this backend is built on (e.g. classify -> embed)

    def option(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


_REGISTRY: dict[str, dict[str, BackendSpec]] = {task: {} for task in TASKS}


def add_backend(spec: BackendSpec, *, replace: bool = False) -> None:
    """Register ``spec``; refuses to overwrite silently unless ``replace``."""
    if spec.task not in _REGISTRY:
        raise UnknownNameError("task", spec.task, _REGISTRY)
    if spec.name in _REGISTRY[spec.task] and not replace:
        raise ValueError(f"A {spec.task} backend named {spec.name!r} is already registered.")
    _REGISTRY[spec.task][spec.name] = spec


def remove_backend(task: str, name: str) -> None:
    """Unregister a backend (used by test fixtures to clean up their fakes)."""
    _REGISTRY.get(task, {}).pop(name, None)


def get_backend(task: str, name: str) -> BackendSpec:
    if task not in _REGISTRY:
        raise UnknownNameError("task", task, _REGISTRY)
    try:
        return _REGISTRY[task][name]
    except KeyError:
        raise UnknownNameError(f"{task} backend", name, _REGISTRY[task]) from None


def list_backends(task: str) -> list[str]:
    if task not in _REGISTRY:
        raise UnknownNameError("task", task, _REGISTRY)
    return sorted(_REGISTRY[task])


def spec(task: str, name: str, loader: str, description: str, **kw: Any) -> BackendSpec:
    """Shorthand used by the built-in registrations: options become read-only."""
    options = MappingProxyType(dict(kw.pop("options", {})))
    return BackendSpec(task, name, loader, description, options=options, **kw)
