"""Finding model weights: local files and caches first, the hub only when it answers quickly.

Why not let each library download: offline, open_clip and huggingface_hub retry for ~50 s
before failing with a generic message. We look in the cache first, probe the hub with a
short timeout, and fail fast with a ``ModelLoadError`` that says what to do. The files we
return are then loaded by path - the same path that tests exercise offline.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

from mmdemo.errors import ModelLoadError

log = logging.getLogger(__name__)

OFFLINE_HINT = (
    "On a machine with internet, run `python -m mmdemo download --preset full --dir PATH`, "
    "copy PATH here (with its symlinks, e.g. cp -a) and set MMDEMO_CACHE_DIR=PATH (or point "
    "HF_HOME at a Hugging Face cache that already has the weights). "
    "The lite preset (MMDEMO_PRESET=lite) works with no network at all."
)


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


def cached_hub_file(repo_id: str, filenames: Sequence[str], cache_dir: Path | None) -> str | None:
    """The first of ``filenames`` already in the local hub cache, or None."""
    from huggingface_hub import try_to_load_from_cache

    for name in filenames:
        found = try_to_load_from_cache(repo_id, name, cache_dir=cache_dir)
        if isinstance(found, str) and os.path.isfile(found):
            return found
    return None


def resolve_hub_file(
    repo_id: str,
    filenames: Sequence[str],
    cache_dir: Path | None,
    model_label: str,
    hint: str = OFFLINE_HINT,
) -> str:
    """Local path to the first of ``filenames`` in ``repo_id``: cached, else downloaded.

    ``hint`` is the advice in a failure: the ``download`` command passes its own, since
    telling someone who runs it to run it would not help.
    """
    found = cached_hub_file(repo_id, filenames, cache_dir)
    if found:
        log.info("Using cached weights for %s: %s", model_label, found)
        return found
    if not hub_reachable():
        raise ModelLoadError(
            model_label,
            f"its weights ({repo_id}) are not in the local cache and the Hugging Face hub "
            "cannot be reached",
            hint,
        )
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    last_error: Exception | None = None
    for name in filenames:
        try:
            log.info("Downloading %s/%s for %s", repo_id, name, model_label)
            return hf_hub_download(repo_id, name, cache_dir=cache_dir, endpoint=hub_endpoint())
        except EntryNotFoundError as err:
            last_error = err
        except Exception as err:  # network, auth, disk: all become one clear message
            raise ModelLoadError(
                model_label, f"downloading {repo_id} failed ({err})", hint
            ) from err
    raise ModelLoadError(
        model_label, f"none of {list(filenames)} exists in {repo_id} ({last_error})", hint
    )
