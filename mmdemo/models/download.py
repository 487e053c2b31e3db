"""``python -m mmdemo download``: fetch a preset's weights on a machine with internet.

Why: the demo often runs where there is no network. A backend's loader module may define
``hub_weights(spec, settings) -> list[HubWeights]`` naming the hub files its ``load`` would
fetch; this module collects them for a preset, checks the local cache (never the network)
and downloads what is missing into a Hugging Face cache folder. Offline, ``MMDEMO_CACHE_DIR``
points at that folder and the loaders find the files there under the same hub names.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mmdemo.config import Settings
from mmdemo.errors import ModelLoadError
from mmdemo.models.presets import choices_for, get_preset
from mmdemo.models.registry import BackendSpec, get_backend
from mmdemo.models.weights import cached_hub_file, hub_endpoint, hub_reachable, resolve_hub_file

log = logging.getLogger(__name__)

DOWNLOAD_HINT = (
    "Run the download on a machine that can reach the Hugging Face hub (check HF_ENDPOINT, "
    "HTTPS_PROXY, and that HF_HUB_OFFLINE is not set), or use the lite preset "
    "(MMDEMO_PRESET=lite), which needs no network."
)


@dataclass(frozen=True)
class HubWeights:
    """One download from a hub repo: a single file or a filtered snapshot.

    ``filenames`` are alternatives (the first that exists in the repo is enough, like
    open_clip's safetensors/bin pair); ``patterns`` instead fetch every file matching them
    (a transformers model folder). Exactly one of the two is given.
    """

    repo_id: str
    filenames: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    label: str = ""  # what users call it in messages; defaults to repo_id

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


@dataclass(frozen=True)
class Fetched:
    """The local files of one ``HubWeights`` after ``download_weights``."""

    weights: HubWeights
    paths: tuple[Path, ...]
    downloaded: bool  # False when everything was already in the cache

    @property
    def size(self) -> int:
        return sum(path.stat().st_size for path in self.paths)


# -- what a preset needs ---------------------------------------------------------------
def _hub_weights_function(spec: BackendSpec) -> Callable | None:
    """The ``hub_weights`` function of ``spec``'s loader module, or None if it needs nothing.

    A module that cannot be imported is skipped with a warning rather than raised: loading
    that backend reports the missing package properly, and the ``auto`` preset's start-up
    check must not fail on a task nobody has used yet.
    """
    module_name = spec.loader.partition(":")[0]
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        log.warning("Cannot tell which weights %s needs: %s", spec.name, err)
        return None
    return getattr(module, "hub_weights", None)


def required_weights(
    preset: str, settings: Settings, with_choices: bool = False
) -> list[HubWeights]:
    """Every ``HubWeights`` the preset's backends would fetch, without duplicates, in order.

    ``with_choices`` adds the other models a person may pick in the UI (e.g. ViLT beside
    BLIP), so a downloaded cache serves every choice offline; tasks pinned by
    ``MMDEMO_BACKENDS`` offer no other choice.
    """
    from mmdemo.serving import parse_backend_overrides

    found: list[HubWeights] = []
    overrides = parse_backend_overrides(settings.backends)
    tasks = {**get_preset(preset), **overrides}
    pairs = list(tasks.items())
    if with_choices:
        pairs += [
            (task, name)
            for task in tasks
            if task not in overrides
            for name in choices_for(preset, task)[1:]
        ]
    for task, backend in pairs:
        spec = get_backend(task, backend)
        provider = _hub_weights_function(spec)
        for weights in provider(spec, settings) if provider else ():
            if weights not in found:
                found.append(weights)
    return found


# -- the local cache (never the network) -----------------------------------------------
def _matching_files(folder: Path, patterns: Sequence[str]) -> list[Path]:
    from huggingface_hub.utils import filter_repo_objects

    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    return [folder / name for name in filter_repo_objects(names, allow_patterns=list(patterns))]


def _cached_paths(weights: HubWeights, cache_dir: Path | None) -> list[Path]:
    """The weights' files in the cache, or [] when any is missing (purely local)."""
    if weights.filenames:
        found = cached_hub_file(weights.repo_id, weights.filenames, cache_dir)
        return [Path(found)] if found else []
    from huggingface_hub import snapshot_download

    try:
        folder = snapshot_download(
            weights.repo_id,
            allow_patterns=list(weights.patterns),
            cache_dir=cache_dir,
            local_files_only=True,
        )
    except Exception as err:  # not cached, or incomplete: both mean "download it"
        log.debug("%s is not fully cached: %s", weights.describe(), err)
        return []
    # Without a cached tree listing the library cannot tell a partial snapshot, so ask for
    # what a model folder must hold (config, weights, vocabulary), as the loader will.
    from mmdemo.models.hf_local import is_complete_model_folder

    if not is_complete_model_folder(Path(folder)):
        log.debug("%s is cached only in part", weights.describe())
        return []
    return _matching_files(Path(folder), weights.patterns)


def is_cached(weights: HubWeights, cache_dir: Path | None) -> bool:
    """True when ``weights`` can be loaded from ``cache_dir`` (None: the default HF cache)."""
    return bool(_cached_paths(weights, cache_dir))


def missing_weights(preset: str, settings: Settings) -> list[HubWeights]:
    """What ``preset`` would still have to download into ``settings.cache_dir``.

    Local checks only (milliseconds once the loader modules are imported), so the app can
    call it at start-up to choose a preset; a cache folder that does not exist means
    everything is missing.
    """
    return [w for w in required_weights(preset, settings) if not is_cached(w, settings.cache_dir)]


# -- downloading -----------------------------------------------------------------------
def _fetch(weights: HubWeights, cache_dir: Path | None) -> list[Path]:
    if weights.filenames:
        path = resolve_hub_file(
            weights.repo_id, weights.filenames, cache_dir, weights.label, hint=DOWNLOAD_HINT
        )
        log.info("Fetched %s: %s", weights.label, path)
        return [Path(path)]
    from huggingface_hub import snapshot_download

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
            weights.label, f"downloading {weights.repo_id} failed ({err})", DOWNLOAD_HINT
        ) from err
    files = _matching_files(Path(folder), weights.patterns)
    if not files:
        raise ModelLoadError(
            weights.label,
            f"no file in {weights.repo_id} matches {list(weights.patterns)}",
            "Check the backend's hub_weights patterns.",
        )
    for path in files:
        log.info("Fetched %s: %s", weights.label, path)
    return files


def download_weights(weights: Iterable[HubWeights], cache_dir: Path | None) -> list[Fetched]:
    """Cached weights are skipped; the rest are downloaded, after one quick hub probe."""
    weights = list(weights)
    cached = {w: _cached_paths(w, cache_dir) for w in weights}
    todo = [w for w in weights if not cached[w]]
    for w in weights:
        if cached[w]:
            log.info("Already cached: %s", w.describe())
    if todo and not hub_reachable():
        endpoint = hub_endpoint()
        offline = " (HF_HUB_OFFLINE is set)" if os.environ.get("HF_HUB_OFFLINE") else ""
        raise ModelLoadError(
            ", ".join(w.label for w in todo),
            f"{', '.join(w.repo_id for w in todo)} must be downloaded but the Hugging Face "
            f"hub at {endpoint} cannot be reached{offline}",
            DOWNLOAD_HINT,
        )
    return [
        Fetched(w, tuple(cached[w]), False)
        if cached[w]
        else Fetched(w, tuple(_fetch(w, cache_dir)), True)
        for w in weights
    ]


def download_preset(preset: str, settings: Settings, cache_dir: Path | None) -> list[Path]:
    """Local paths of every file ``preset`` needs, downloading what ``cache_dir`` lacks.

    ``cache_dir`` None means the default Hugging Face cache. Raises ``ModelLoadError`` at
    once (no library retries) when something is missing and the hub cannot be reached.
    """
    fetched = download_weights(required_weights(preset, settings, with_choices=True), cache_dir)
    return [path for item in fetched for path in item.paths]


# -- command line ----------------------------------------------------------------------
def add_cli(subparsers) -> argparse.ArgumentParser:
    """Add the ``download`` sub-command to ``python -m mmdemo``'s sub-parsers."""
    parser = subparsers.add_parser(
        "download",
        help="fetch a preset's model weights so that it runs offline",
        description="Download a preset's model weights into a Hugging Face cache folder; "
        "offline, point MMDEMO_CACHE_DIR at that folder.",
    )
    parser.add_argument(
        "--preset", default="full", help="preset whose weights to fetch (default: full)"
    )
    parser.add_argument(
        "--dir",
        type=Path,
        metavar="PATH",
        help="cache folder to fill (default: $MMDEMO_CACHE_DIR, else the Hugging Face cache)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and details")
    return parser


def _human(size: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.2f} GiB"


def run(args: argparse.Namespace, settings: Settings) -> list[str]:
    """Download, then report what was fetched and the exact command to use it offline.

    Returns the lines for the command line to print (this module does no printing).
    """
    preset = args.preset
    target = args.dir or settings.cache_dir
    cache_dir = Path(target).expanduser().resolve() if target else None
    needed = required_weights(preset, settings, with_choices=True)
    if not needed:
        return [f"The {preset} preset needs no downloaded weights; nothing to download."]
    fetched = download_weights(needed, cache_dir)
    lines = []
    for item in fetched:
        status = "downloaded" if item.downloaded else "already cached"
        lines.append(f"{item.weights.label} ({item.weights.repo_id}): {status}")
        lines += [f"  {_human(path.stat().st_size):>10}  {path}" for path in item.paths]
    total = sum(item.size for item in fetched)
    if cache_dir is None:
        from huggingface_hub import constants

        lines.append(
            f"{_human(total)} in the default Hugging Face cache ({constants.HF_HUB_CACHE})."
        )
        lines.append(f"To run offline on this machine:\n  MMDEMO_PRESET={preset} python app.py")
    else:
        lines.append(f"{_human(total)} in {cache_dir}.")
        lines.append(
            "To run offline (on another machine, copy that folder there first, keeping its "
            "symlinks: cp -a or rsync -a):\n"
            f"  MMDEMO_CACHE_DIR={shlex.quote(str(cache_dir))} MMDEMO_PRESET={preset} python app.py"
        )
    return lines
