"""A local folder for a transformers model: a given path, the hub cache, a download, or tiny.

Why not ``from_pretrained(repo_id)``: offline, transformers and huggingface_hub retry for a
long time and then fail with a generic message. We find a local folder first through
``hub.files`` (cache, else a download only when the hub answers), fail fast with a
``ModelLoadError`` that says what to do, and load the folder with ``from_pretrained(folder)``:
the same call that tests make on a folder of random weights written by ``save_pretrained``.

Spec options read here: ``path`` (a local folder, used as is), ``repo`` (a hub id),
``patterns`` (which repo files to fetch), ``tiny`` (build a tiny random model instead, with
the builder the backend passes; see ``hub.tiny``) and ``seed`` (for ``tiny``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mmdemo.core.config import Settings
from mmdemo.core.errors import MissingPackageError, ModelLoadError
from mmdemo.models.hub.files import HubWeights, has_model_files, resolve, snapshot_folder
from mmdemo.models.registry import BackendSpec

log = logging.getLogger(__name__)

# What a transformers model folder needs: config + weights (safetensors) + tokenizer/processor
# files. A repo with only pytorch_model.bin (e.g. ViLT) names its own ``patterns`` instead.
DEFAULT_PATTERNS = ("*.json", "*.safetensors", "*.txt", "*.model")


def folder_weights(spec: BackendSpec) -> HubWeights | None:
    """The hub snapshot a transformers backend loads (None for tiny, local or repo-less specs)."""
    repo = spec.option("repo")
    if spec.is_random or spec.option("tiny") or spec.option("path") or not repo:
        return None
    patterns = tuple(spec.option("patterns") or DEFAULT_PATTERNS)
    return HubWeights(repo, patterns=patterns, label=spec.option("label") or repo)


def hub_files(spec: BackendSpec, settings: Settings) -> list[HubWeights]:
    """``BackendSpec.hub_files`` for every transformers-folder backend."""
    weights = folder_weights(spec)
    return [weights] if weights else []


def model_dir(
    spec: BackendSpec, settings: Settings, tiny: Callable[[Path], None] | None = None
) -> tuple[Path, str]:
    """(local folder, model label) for ``spec``: tiny build, given path, cache, or download.

    ``tiny`` builds the backend's random twin into a folder; it is used only when the spec
    asks for ``tiny`` (and must then be marked ``is_random``).
    """
    if spec.option("tiny"):
        from mmdemo.models.hub.tiny import tiny_model_dir

        if not spec.is_random or tiny is None:  # random weights are never shown as real
            raise ModelLoadError(
                spec.name,
                "its spec asks for a tiny random model",
                "Set is_random=True on it and give its loader a tiny builder.",
            )
        seed = int(spec.option("seed", 0))
        kind = str(spec.option("tiny"))
        return tiny_model_dir(kind, tiny, settings, seed), f"tiny random {kind} (seed {seed})"
    path = spec.option("path")
    if path:
        folder = Path(path).expanduser()
        if not (folder.is_dir() and has_model_files(folder)):
            raise ModelLoadError(
                spec.name,
                f"{folder} is not a folder with config.json and a weights file",
                "Point the `path` option at a folder written by save_pretrained.",
            )
        return folder, f"{spec.name} from {folder}"
    weights = folder_weights(spec)
    if weights is None:
        raise ModelLoadError(
            spec.name,
            "its spec names neither `repo` nor `path`",
            "Fix the SPECS in its backend file.",
        )
    return snapshot_folder(resolve(weights, settings.cache_dir)), weights.label


def require_transformers_class(name: str, model: str = "") -> Any:
    """``transformers.<name>``, or a ``ModelLoadError`` saying which package to install/upgrade."""
    try:
        import transformers
    except ImportError as err:
        raise MissingPackageError(model or name, "transformers") from err
    try:
        return getattr(transformers, name)
    except (AttributeError, ImportError) as err:
        raise ModelLoadError(
            model or name,
            f"transformers {transformers.__version__} has no {name} ({err})",
            "Install the tested version: pip install -r requirements.txt "
            "(or pip install -U transformers)",
        ) from err


def load_pretrained(
    model_class: str, processor_class: str, folder: Path, label: str, device, dtype
) -> tuple[Any, Any]:
    """(model on ``device`` in eval mode, processor) from a local folder; errors become clear.

    ``local_files_only`` because the folder is complete by now: nothing may reach the network.
    """
    model_cls = require_transformers_class(model_class, label)
    processor_cls = require_transformers_class(processor_class, label)
    try:
        processor = processor_cls.from_pretrained(folder, local_files_only=True)
        model = model_cls.from_pretrained(folder, dtype=dtype, local_files_only=True)
    except Exception as err:  # safetensors, config and tokenizer errors all differ
        first_line = (str(err).strip().splitlines() or [""])[0][:200]
        raise ModelLoadError(
            label,
            f"the files in {folder} could not be loaded as {model_class} "
            f"({type(err).__name__}: {first_line})",
            "Check that the folder was written by save_pretrained for this model, or delete "
            "it from the cache and download it again (python -m mmdemo download).",
        ) from err
    return model.to(device).eval(), processor


def load_folder_model(
    spec: BackendSpec,
    settings: Settings,
    device,
    dtype,
    *,
    model_class: str,
    processor_class: str,
    tiny: Callable[[Path], None] | None = None,
) -> tuple[Any, Any, str, Path]:
    """(model, processor, label, folder) for a transformers backend: the one loading recipe.

    ``model_dir`` finds the folder (tiny build, path, cache or hub), ``load_pretrained``
    loads it on ``device``; the backend only wraps the pair in its own class.
    """
    folder, label = model_dir(spec, settings, tiny)
    model, processor = load_pretrained(model_class, processor_class, folder, label, device, dtype)
    log.info("Loaded %s (%s) on %s (%s) from %s", label, spec.name, device, dtype, folder)
    return model, processor, label, folder
