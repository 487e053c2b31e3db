"""A local folder for a transformers model: a given path, the Hugging Face cache, or the hub.

Why not ``from_pretrained(repo_id)``: offline, transformers and huggingface_hub retry for a
long time and then fail with a generic message. Like ``weights.py`` for open_clip, we find a
local folder first (cache, else a download only when the hub answers), fail fast with a
``ModelLoadError`` that says what to do, and load the folder with ``from_pretrained(folder)``:
the same call that tests make on a folder of random weights written by ``save_pretrained``.

Spec options read here: ``path`` (a local folder, used as is), ``repo`` (a hub id),
``patterns`` (which repo files to fetch), ``tiny`` (build a tiny random model instead, see
``tiny_hf``) and ``seed`` (for ``tiny``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mmdemo.config import Settings
from mmdemo.errors import MissingPackageError, ModelLoadError
from mmdemo.models.download import HubWeights
from mmdemo.models.registry import BackendSpec
from mmdemo.models.weights import OFFLINE_HINT, hub_endpoint, hub_reachable

log = logging.getLogger(__name__)

# What a transformers model folder needs: config + weights (safetensors) + tokenizer/processor
# files. A repo with only pytorch_model.bin (e.g. ViLT) names its own ``patterns`` instead.
DEFAULT_PATTERNS = ("*.json", "*.safetensors", "*.txt", "*.model")
_WEIGHT_SUFFIXES = (".safetensors", ".bin")


def hub_weights_for(spec: BackendSpec) -> list[HubWeights]:
    """The hub snapshot ``python -m mmdemo download`` must fetch for ``spec`` ([] if none)."""
    repo = spec.option("repo")
    if spec.is_random or spec.option("tiny") or spec.option("path") or not repo:
        return []
    patterns = tuple(spec.option("patterns") or DEFAULT_PATTERNS)
    return [HubWeights(repo, patterns=patterns, label=spec.option("label") or repo)]


def hub_weights(spec: BackendSpec, settings: Settings) -> list[HubWeights]:
    """The ``hub_weights`` of every transformers backend module (they re-export this one)."""
    return hub_weights_for(spec)


_VOCABULARY_FILES = ("vocab.txt", "tokenizer.json", "spiece.model", "sentencepiece.bpe.model")


def _has_model_files(folder: Path) -> bool:
    """A usable folder has a config and at least one weights file (partial snapshots do not)."""
    if not (folder / "config.json").is_file():
        return False
    return any(p.suffix in _WEIGHT_SUFFIXES and p.is_file() for p in folder.iterdir())


def is_complete_model_folder(folder: Path) -> bool:
    """Config, weights *and* a tokenizer vocabulary: what an interrupted download may lack.

    Without the vocabulary, transformers would still build a tokenizer that reads every
    word as [UNK]; so a snapshot missing it counts as not cached (``download`` fetches it
    and ``auto`` does not pick ``full`` on it).
    """
    folder = Path(folder)
    if not folder.is_dir() or not _has_model_files(folder):
        return False
    return any((folder / name).is_file() for name in _VOCABULARY_FILES)


def cached_snapshot(repo: str, patterns: tuple[str, ...], cache_dir: Path | None) -> Path | None:
    """The repo's snapshot folder in the local cache when it is complete enough to load, else None.

    Purely local: ``local_files_only`` never touches the network.
    """
    from huggingface_hub import snapshot_download

    try:
        folder = Path(
            snapshot_download(
                repo, allow_patterns=list(patterns), local_files_only=True, cache_dir=cache_dir
            )
        )
    except Exception as err:  # not cached (or a broken cache): both mean "not here"
        log.debug("%s is not in the local cache: %s", repo, err)
        return None
    return folder if is_complete_model_folder(folder) else None


def _download_snapshot(repo: str, patterns: tuple[str, ...], cache_dir: Path | None, label: str):
    from huggingface_hub import snapshot_download

    log.info("Downloading %s (%s) for %s", repo, " ".join(patterns), label)
    try:
        folder = Path(
            snapshot_download(
                repo, allow_patterns=list(patterns), cache_dir=cache_dir, endpoint=hub_endpoint()
            )
        )
    except Exception as err:  # network, auth, disk: all become one clear message
        raise ModelLoadError(label, f"downloading {repo} failed ({err})", OFFLINE_HINT) from err
    if not _has_model_files(folder):
        raise ModelLoadError(
            label,
            f"{repo} has no config.json and weights file matching {list(patterns)}",
            "Check the backend's `patterns` option (some repos only have pytorch_model.bin).",
        )
    return folder


def model_dir(spec: BackendSpec, settings: Settings, kind: str) -> tuple[Path, str]:
    """(local folder, model label) for ``spec``: tiny build, given path, cache, or download.

    ``kind`` names the tiny builder (``blip-caption``, ``blip-vqa``, ``vilt-vqa``) and is used
    only when the spec asks for ``tiny``.
    """
    if spec.option("tiny"):
        from mmdemo.models.tiny_hf import tiny_model_dir

        if not spec.is_random:  # random weights must never be presented as a real model
            raise ModelLoadError(
                spec.name, "its spec asks for a tiny random model", "Set is_random=True on it."
            )
        seed = int(spec.option("seed", 0))
        return tiny_model_dir(kind, settings, seed), f"tiny random {kind} (seed {seed})"
    path = spec.option("path")
    if path:
        folder = Path(path).expanduser()
        if not (folder.is_dir() and _has_model_files(folder)):
            raise ModelLoadError(
                spec.name,
                f"{folder} is not a folder with config.json and a weights file",
                "Point the `path` option at a folder written by save_pretrained.",
            )
        return folder, f"{kind} from {folder}"
    repo = spec.option("repo")
    if not repo:
        raise ModelLoadError(
            spec.name, "its spec names neither `repo` nor `path`", "Fix the spec in presets.py."
        )
    patterns = tuple(spec.option("patterns") or DEFAULT_PATTERNS)
    folder = cached_snapshot(repo, patterns, settings.cache_dir)
    if folder is not None:
        log.info("Using cached %s: %s", repo, folder)
        return folder, repo
    if not hub_reachable():
        where = settings.cache_dir or "the default Hugging Face cache"
        raise ModelLoadError(
            repo,
            f"its weights are not in {where} and the Hugging Face hub cannot be reached",
            OFFLINE_HINT,
        )
    return _download_snapshot(repo, patterns, settings.cache_dir, repo), repo


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
