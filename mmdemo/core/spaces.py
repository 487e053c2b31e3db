"""Where a Hugging Face Space keeps things: persistent storage at ``/data``, when mounted.

Why: a Space's own disk is wiped on every restart, so an index built there (and every
upload in it) and any model downloaded at run time would be lost. With persistent storage
(Settings -> Persistent storage), ``/data`` survives restarts. ``apply_space_storage`` runs
first in ``app.py``, before any library reads ``HF_HOME``, and only fills in what is not
set already (an explicit ``MMDEMO_INDEX_DIR``, ``MMDEMO_CACHE_DIR`` or ``HF_HOME`` wins):

- the index (with the uploaded images) goes to ``/data/mmdemo/index``;
- the Hugging Face cache goes to ``/data/.huggingface`` (``HF_HOME``, as the Spaces
  documentation suggests), unless the image's own cache already holds models - those were
  put there at build time by the README's ``preload_from_hub`` and would not be found in a
  new, empty cache.

Nothing happens off a Space (no ``SPACE_ID``), so a laptop's ``/data`` is never touched.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

DATA_DIR = Path("/data")


def default_hf_home(environ: MutableMapping[str, str]) -> Path:
    """huggingface_hub's default ``HF_HOME``: ``$XDG_CACHE_HOME/huggingface`` or ~/.cache/..."""
    cache = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "huggingface"


def has_preloaded_models(hf_home: Path) -> bool:
    """True when ``hf_home``'s hub cache holds at least one model (``models--owner--name``)."""
    hub = hf_home / "hub"
    try:
        return any(p.name.startswith("models--") and p.is_dir() for p in hub.iterdir())
    except OSError:
        return False


def apply_space_storage(environ: MutableMapping[str, str], data_dir: Path = DATA_DIR) -> str:
    """Point the index and the model cache at ``data_dir`` on a Space that has it mounted.

    Changes ``environ`` in place (normally ``os.environ``) and returns what it did, in
    words, for the start-up log ("" when nothing was changed).
    """
    if not environ.get("SPACE_ID") or not data_dir.is_dir() or not os.access(data_dir, os.W_OK):
        return ""
    done = []
    if not environ.get("MMDEMO_INDEX_DIR"):
        environ["MMDEMO_INDEX_DIR"] = str(data_dir / "mmdemo" / "index")
        done.append(f"index in {environ['MMDEMO_INDEX_DIR']}")
    if not environ.get("HF_HOME") and not environ.get("MMDEMO_CACHE_DIR"):
        image_cache = default_hf_home(environ)
        if has_preloaded_models(image_cache):
            done.append(f"models from the build-time cache in {image_cache}")
        else:
            environ["HF_HOME"] = str(data_dir / ".huggingface")
            done.append(f"model cache in {environ['HF_HOME']}")
    return ", ".join(done)
