"""An environment that does not depend on the caller's: settings and the hub are ours.

Why: people preparing an offline demo export ``HF_HUB_OFFLINE=1``, ``MMDEMO_PRESET=full`` or
``HF_HOME``; a test that inherits them tests their machine, not the code (a download test
once failed under ``HF_HUB_OFFLINE=1`` because its subprocess refused the fake hub). Every
variable that changes mmdemo's, huggingface_hub's, transformers' or gradio's behaviour is
removed, and each test or subprocess sets exactly what it needs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

# Prefixes of variables that steer the code under test; anything else (PATH, HOME, locale,
# proxies for the package registries) is kept.
STEERING_PREFIXES = ("MMDEMO_", "HF_", "HUGGINGFACE_", "TRANSFORMERS_", "GRADIO_", "OPENCLIP_")
LOCAL_HOSTS = "127.0.0.1,localhost"


def steering(environ: Mapping[str, str]) -> list[str]:
    """The names in ``environ`` that would change what mmdemo or its libraries do."""
    return sorted(k for k in environ if k.upper().startswith(STEERING_PREFIXES))


def scrub(environ: MutableMapping[str, str], hf_home: str | None = None) -> None:
    """Remove every steering variable; point the Hugging Face cache at ``hf_home``."""
    for key in steering(environ):
        del environ[key]
    if hf_home is not None:
        environ["HF_HOME"] = hf_home
    for key in ("NO_PROXY", "no_proxy"):  # local traffic never goes through a proxy
        present = environ.get(key, "")
        if "127.0.0.1" not in present:
            environ[key] = ",".join(filter(None, [present, LOCAL_HOSTS]))


def subprocess_env(**variables: str | None) -> dict[str, str]:
    """The (already scrubbed) environment plus what a test's subprocess needs.

    Offline by default (``HF_HUB_OFFLINE=1``) and without Gradio's telemetry; a variable
    given as None is removed (``HF_HUB_OFFLINE=None`` for a test that talks to a fake hub).
    """
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    env["PYTHONUNBUFFERED"] = "1"
    for key, value in variables.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env
