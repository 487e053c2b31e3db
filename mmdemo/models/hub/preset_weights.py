"""What a preset needs from the hub, what of it is cached, and fetching the rest.

Why: the demo often runs where there is no network. Each backend's spec names the hub
files its ``load`` would fetch (``BackendSpec.hub_files``); this module collects them for a
preset (``MMDEMO_BACKENDS`` pins included), checks the local cache (never the network) and
downloads what is missing into a Hugging Face cache folder. Offline, ``MMDEMO_CACHE_DIR``
points at that folder and the loaders find the files there under the same hub names. The
``download`` command and the ``auto`` preset choice both use it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mmdemo.core.config import Settings
from mmdemo.core.errors import ModelLoadError
from mmdemo.models.hub.files import (
    DOWNLOAD_HINT,
    HubWeights,
    cached_files,
    fetch,
    hub_endpoint,
    hub_reachable,
    is_cached,
)
from mmdemo.models.presets import (
    OPTIONAL_TASKS,
    choices_for,
    get_preset,
    parse_backend_overrides,
)
from mmdemo.models.registry import get_backend

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fetched:
    """The local files of one ``HubWeights`` after ``download_weights``."""

    weights: HubWeights
    paths: tuple[Path, ...]
    downloaded: bool  # False when everything was already in the cache

    @property
    def size(self) -> int:
        return sum(path.stat().st_size for path in self.paths)


def required_weights(
    preset: str,
    settings: Settings,
    with_choices: bool = False,
    essential_only: bool = False,
    skip: Iterable[str] = (),
) -> list[HubWeights]:
    """Every ``HubWeights`` the preset's backends would fetch, without duplicates, in order.

    ``with_choices`` adds the other models a person may pick (e.g. ViLT beside BLIP), so a
    downloaded cache serves every choice offline; tasks pinned by ``MMDEMO_BACKENDS`` offer
    no other choice. ``essential_only`` leaves out the opt-in tasks (``OPTIONAL_TASKS``);
    ``skip`` leaves out the tasks named (``download --skip chat,generate``: a Space that
    does not serve the generative models need not store their gigabytes). A weight another
    kept task also uses is still fetched.
    """
    overrides = parse_backend_overrides(settings.backends)
    defaults = {task: names[0] for task, names in get_preset(preset).items()}
    tasks = {**defaults, **overrides}
    if essential_only:
        tasks = {task: name for task, name in tasks.items() if task not in OPTIONAL_TASKS}
    skipped = set(skip)
    tasks = {task: name for task, name in tasks.items() if task not in skipped}
    pairs = list(tasks.items())
    if with_choices:
        pairs += [
            (task, name)
            for task in tasks
            if task not in overrides
            for name in choices_for(preset, task)[1:]
        ]
    found: list[HubWeights] = []
    for task, backend in pairs:
        for weights in get_backend(task, backend).weights(settings):
            if weights not in found:
                found.append(weights)
    return found


def missing_weights(
    preset: str, settings: Settings, essential_only: bool = False
) -> list[HubWeights]:
    """What ``preset`` would still have to download into ``settings.cache_dir``.

    Local checks only (milliseconds once the backend modules are imported), so the app can
    call it at start-up to choose a preset; a cache folder that does not exist means
    everything is missing.
    """
    needed = required_weights(preset, settings, essential_only=essential_only)
    return [w for w in needed if not is_cached(w, settings.cache_dir)]


def download_weights(weights: Iterable[HubWeights], cache_dir: Path | None) -> list[Fetched]:
    """Cached weights are skipped; the rest are downloaded, after one quick hub probe."""
    weights = list(weights)
    cached = {w: cached_files(w, cache_dir) for w in weights}
    todo = [w for w in weights if not cached[w]]
    for w in weights:
        if cached[w]:
            log.info("Already cached: %s", w.describe())
    if todo and not hub_reachable():
        offline = " (HF_HUB_OFFLINE is set)" if os.environ.get("HF_HUB_OFFLINE") else ""
        raise ModelLoadError(
            ", ".join(w.label for w in todo),
            f"{', '.join(w.repo_id for w in todo)} must be downloaded but the Hugging Face "
            f"hub at {hub_endpoint()} cannot be reached{offline}",
            DOWNLOAD_HINT,
        )
    return [
        Fetched(w, tuple(cached[w]), False)
        if cached[w]
        else Fetched(w, tuple(fetch(w, cache_dir)), True)
        for w in weights
    ]


def download_preset(
    preset: str, settings: Settings, cache_dir: Path | None, skip: Iterable[str] = ()
) -> list[Fetched]:
    """Every file ``preset`` needs (its choices included, the ``skip`` tasks left out),
    downloading what is missing.

    ``cache_dir`` None means the default Hugging Face cache. Raises ``ModelLoadError`` at
    once (no library retries) when something is missing and the hub cannot be reached.
    """
    needed = required_weights(preset, settings, with_choices=True, skip=skip)
    return download_weights(needed, cache_dir)
