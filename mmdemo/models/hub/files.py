"""Model files from the Hugging Face hub: the one copy of "is it cached?" and "fetch it".

Why not let each library download: offline, open_clip, transformers and huggingface_hub
retry for ~50 s and then fail with a generic message. Every backend and the ``download``
command go through here instead: look in the local cache first (never the network), probe
the hub with a short timeout only when something is missing, and fail fast with a
``ModelLoadError`` that says what to do. The files found are then loaded by path - the same
path the tests exercise offline with random weights served by a fake hub.

A ``HubWeights`` names one download: a single file (with alternatives, like open_clip's
safetensors/bin pair) or a filtered snapshot (a transformers model folder).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from mmdemo.core.errors import ModelLoadError

log = logging.getLogger(__name__)

OFFLINE_HINT = (
    "On a machine with internet, run `python -m mmdemo download --preset full --dir PATH`, "
    "copy PATH here (with its symlinks, e.g. cp -a) and set MMDEMO_CACHE_DIR=PATH (or point "
    "HF_HOME at a Hugging Face cache that already has the weights). "
    "The lite preset (MMDEMO_PRESET=lite) works with no network at all."
)
DOWNLOAD_HINT = (
    "Run the download on a machine that can reach the Hugging Face hub (check HF_ENDPOINT, "
    "HTTPS_PROXY, and that HF_HUB_OFFLINE is not set), or use the lite preset "
    "(MMDEMO_PRESET=lite), which needs no network."
)
WEIGHT_SUFFIXES = (".safetensors", ".bin")
VOCABULARY_FILES = ("vocab.txt", "tokenizer.json", "spiece.model", "sentencepiece.bpe.model")


@dataclass(frozen=True)
class HubWeights:
    """One download from a hub repo: a single file or a filtered snapshot.

    ``filenames`` are alternatives (the first that exists in the repo is enough); ``patterns``
    instead fetch every file matching them (a model folder). Exactly one of the two is given.
    A snapshot counts as cached only when it is complete: a config, a vocabulary and, unless
    ``needs_weights`` is False (a tokenizer-only folder), a weights file.
    """

    repo_id: str
    filenames: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    label: str = ""  # what users call it in messages; defaults to repo_id
    needs_weights: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "filenames", tuple(self.filenames))
        object.__setattr__(self, "patterns", tuple(self.patterns))
        if bool(self.filenames) == bool(self.patterns):
            raise ValueError(f"HubWeights({self.repo_id!r}) needs filenames or patterns, not both")
        if not self.label:
            object.__setattr__(self, "label", self.repo_id)

    def describe(self) -> str:
        """``label (repo: a | b)``, for logs and messages."""
        what = " | ".join(self.filenames) if self.filenames else " ".join(self.patterns)
        return f"{self.label} ({self.repo_id}: {what})"


# -- the hub itself -------------------------------------------------------------------------
def hub_endpoint() -> str:
    """The hub's base URL from ``HF_ENDPOINT``, read now (huggingface_hub reads it at import).

    Passed to every download, so the probe and the download always talk to the same host.
    """
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def hub_reachable(timeout: float = 3.0) -> bool:
    """True when the Hugging Face hub accepts a TCP connection within ``timeout`` seconds."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    endpoint = urlparse(hub_endpoint())
    host = endpoint.hostname or "huggingface.co"
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError as err:
        log.info("Hugging Face hub at %s:%s is not reachable: %s", host, port, err)
        return False


# -- folders --------------------------------------------------------------------------------
def has_model_files(folder: Path) -> bool:
    """A config and at least one weights file (partial snapshots lack one or the other)."""
    folder = Path(folder)
    if not (folder / "config.json").is_file():
        return False
    return any(p.suffix in WEIGHT_SUFFIXES and p.is_file() for p in folder.iterdir())


def is_complete_model_folder(folder: Path, needs_weights: bool = True) -> bool:
    """Config, weights (unless not needed) *and* a tokenizer vocabulary.

    Without the vocabulary, transformers would still build a tokenizer that reads every
    word as [UNK]; so a snapshot missing it counts as not cached (``download`` fetches it
    and ``auto`` does not pick ``full`` on it).
    """
    folder = Path(folder)
    if not folder.is_dir() or not (folder / "config.json").is_file():
        return False
    if needs_weights and not has_model_files(folder):
        return False
    return any((folder / name).is_file() for name in VOCABULARY_FILES)


def _matching_files(folder: Path, patterns: Sequence[str]) -> list[Path]:
    from huggingface_hub.utils import filter_repo_objects

    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    return [folder / name for name in filter_repo_objects(names, allow_patterns=list(patterns))]


# -- the local cache (never the network) ----------------------------------------------------
def cached_files(weights: HubWeights, cache_dir: Path | None) -> list[Path]:
    """The weights' files in the local cache, or [] when anything is missing (purely local)."""
    if weights.filenames:
        from huggingface_hub import try_to_load_from_cache

        for name in weights.filenames:
            found = try_to_load_from_cache(weights.repo_id, name, cache_dir=cache_dir)
            if isinstance(found, str) and os.path.isfile(found):
                return [Path(found)]
        return []
    from huggingface_hub import snapshot_download

    try:
        folder = Path(
            snapshot_download(
                weights.repo_id,
                allow_patterns=list(weights.patterns),
                cache_dir=cache_dir,
                local_files_only=True,
            )
        )
    except Exception as err:  # not cached, or a broken cache: both mean "not here"
        log.debug("%s is not fully cached: %s", weights.describe(), err)
        return []
    # Without a cached tree listing the library cannot tell a partial snapshot, so ask for
    # what a model folder must hold (config, weights, vocabulary), as the loader will.
    if not is_complete_model_folder(folder, weights.needs_weights):
        log.debug("%s is cached only in part", weights.describe())
        return []
    return _matching_files(folder, weights.patterns)


def is_cached(weights: HubWeights, cache_dir: Path | None) -> bool:
    """True when ``weights`` can be loaded from ``cache_dir`` (None: the default HF cache)."""
    return bool(cached_files(weights, cache_dir))


# -- downloading ----------------------------------------------------------------------------
def fetch(weights: HubWeights, cache_dir: Path | None, hint: str = DOWNLOAD_HINT) -> list[Path]:
    """Download ``weights`` into ``cache_dir`` (the caller has checked the cache and the hub)."""
    from huggingface_hub import hf_hub_download, snapshot_download
    from huggingface_hub.errors import EntryNotFoundError

    if weights.filenames:
        last_error: Exception | None = None
        for name in weights.filenames:
            try:
                log.info("Downloading %s/%s for %s", weights.repo_id, name, weights.label)
                path = hf_hub_download(
                    weights.repo_id, name, cache_dir=cache_dir, endpoint=hub_endpoint()
                )
                return [Path(path)]
            except EntryNotFoundError as err:
                last_error = err
            except Exception as err:  # network, auth, disk: all become one clear message
                raise ModelLoadError(
                    weights.label, f"downloading {weights.repo_id} failed ({err})", hint
                ) from err
        raise ModelLoadError(
            weights.label,
            f"none of {list(weights.filenames)} exists in {weights.repo_id} ({last_error})",
            hint,
        )
    log.info("Downloading %s", weights.describe())
    try:
        folder = snapshot_download(
            weights.repo_id,
            allow_patterns=list(weights.patterns),
            cache_dir=cache_dir,
            endpoint=hub_endpoint(),
        )
    except Exception as err:  # network, auth, disk: all become one clear message
        raise ModelLoadError(
            weights.label, f"downloading {weights.repo_id} failed ({err})", hint
        ) from err
    if not is_complete_model_folder(Path(folder), weights.needs_weights):
        raise ModelLoadError(
            weights.label,
            f"{weights.repo_id} has no complete model folder matching {list(weights.patterns)} "
            "(a config.json, a vocabulary and, for a model, a weights file)",
            "Check the backend's hub file patterns (some repos only have pytorch_model.bin).",
        )
    return _matching_files(Path(folder), weights.patterns)


def resolve(weights: HubWeights, cache_dir: Path | None, hint: str = OFFLINE_HINT) -> list[Path]:
    """Local paths of ``weights``: from the cache, else downloaded if the hub answers.

    ``hint`` is the advice in a failure: the ``download`` command passes its own, since
    telling someone who runs it to run it would not help.
    """
    found = cached_files(weights, cache_dir)
    if found:
        log.info("Using cached %s", weights.describe())
        return found
    if not hub_reachable():
        where = cache_dir or "the local Hugging Face cache"
        repo = "" if weights.label == weights.repo_id else f" ({weights.repo_id})"
        raise ModelLoadError(
            weights.label,
            f"its weights{repo} are not in {where} and the Hugging Face hub cannot be reached",
            hint,
        )
    return fetch(weights, cache_dir, hint)


def snapshot_folder(paths: Sequence[Path]) -> Path:
    """The folder a resolved snapshot lives in (the parent of its top-level files)."""
    return min((Path(p).parent for p in paths), key=lambda folder: len(folder.parts))
