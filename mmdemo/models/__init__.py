"""Model backends: one file per task backend, plus the registry and the presets.

Importing this package registers the built-in backends but imports no torch; the
serving module imports a backend's module the first time that backend is used.
"""

from mmdemo.models.presets import PRESET_DESCRIPTIONS, backend_for, get_preset, list_presets
from mmdemo.models.registry import BackendSpec, add_backend, get_backend, list_backends

__all__ = [
    "PRESET_DESCRIPTIONS",
    "BackendSpec",
    "add_backend",
    "backend_for",
    "get_backend",
    "get_preset",
    "list_backends",
    "list_presets",
]
