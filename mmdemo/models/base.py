"""The shape every backend shares: ``preprocess`` (CPU) -> ``_forward`` (device) -> ``postprocess``.

Why one base: device moves, dtype casts, ``torch.inference_mode`` and batching live here
once (the transformers-pipelines lesson), so a backend only writes its three steps.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch

from mmdemo.core.config import Settings
from mmdemo.core.errors import MissingPackageError
from mmdemo.core.results import ModelInfo
from mmdemo.models.registry import BackendSpec

log = logging.getLogger(__name__)

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass(frozen=True)
class LoadContext:
    """What a loader receives: settings, the resolved device/dtype, and access to other tasks.

    ``get(task)`` is the ready default backend of another task (an embedder for zero-shot
    classification); ``get(task, name)`` a named one this backend is built on (the routed
    VQA's photo VQA), loaded through the server like any other.
    """

    settings: Settings
    device: torch.device
    dtype: torch.dtype
    get: Callable[..., Any]


class Backend:
    """Base class: subclasses set ``task`` and implement their preprocess/forward/postprocess."""

    task: str = ""

    def __init__(
        self, spec: BackendSpec, device: torch.device, dtype: torch.dtype, model_label: str
    ):
        self.spec = spec
        self.device = device
        self.dtype = dtype
        self.model_label = model_label
        self.load_seconds = 0.0

    def modules(self) -> list[torch.nn.Module]:
        """The torch modules this backend owns (for parameter and memory accounting)."""
        return []

    def run_batched(
        self,
        items: Sequence[In],
        batch_size: int,
        preprocess: Callable[[Sequence[In]], Any],
        forward: Callable[[Any], Any],
        postprocess: Callable[[Any], list[Out]],
    ) -> list[Out]:
        """Chunk ``items``, preprocess each chunk on CPU, forward on the device, postprocess."""
        results: list[Out] = []
        for start in range(0, len(items), batch_size):
            inputs = preprocess(items[start : start + batch_size])
            with torch.inference_mode():
                outputs = forward(self.to_device(inputs))
            results.extend(postprocess(outputs))
        return results

    def to_device(self, inputs: Any) -> Any:
        """Move tensors (or dicts/lists of them) to the device; floats also to the dtype."""
        if isinstance(inputs, torch.Tensor):
            if inputs.is_floating_point():
                return inputs.to(self.device, self.dtype, non_blocking=True)
            return inputs.to(self.device, non_blocking=True)
        if isinstance(inputs, dict):
            return {k: self.to_device(v) for k, v in inputs.items()}
        if isinstance(inputs, list | tuple):
            return type(inputs)(self.to_device(v) for v in inputs)
        return inputs

    def info(self) -> ModelInfo:
        params = 0
        memory = 0
        seen: set[int] = set()
        for module in self.modules():
            for tensor in list(module.parameters()) + list(module.buffers()):
                if id(tensor) in seen:
                    continue
                seen.add(id(tensor))
                memory += tensor.numel() * tensor.element_size()
                if isinstance(tensor, torch.nn.Parameter):
                    params += tensor.numel()
        return ModelInfo(
            task=self.task,
            backend=self.spec.name,
            model=self.model_label,
            device=str(self.device),
            dtype=str(self.dtype).replace("torch.", ""),
            parameters=params,
            memory_bytes=memory,
            load_seconds=round(self.load_seconds, 2),
            is_random=self.spec.is_random,
        )


def require_package(module: str, model: str, pip_name: str | None = None):
    """Import an optional package a backend needs (or one of its modules, ``pkg.mod``), or
    say which package is missing and which pip command installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        package = module.partition(".")[0]
        raise MissingPackageError(model, package, pip_name or package) from err
