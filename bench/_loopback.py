"""Loopback traffic of a benchmark never goes through a proxy.

Why: ``AppProcess`` starts the app with this process's environment, and the app, its
``gradio_client`` and the fake hub all talk over 127.0.0.1; with ``HTTPS_PROXY`` set (say,
for the package registries) and no ``NO_PROXY``, that traffic would be sent to the proxy.
The test suite gets this from ``tests.support.environment.scrub``; a bench script keeps the
rest of the caller's environment, so it only adds the loopback hosts.
"""

from __future__ import annotations

import os

from tests.support.environment import LOCAL_HOSTS


def bypass_proxies() -> None:
    """Add the loopback hosts to ``NO_PROXY`` / ``no_proxy``; no Gradio telemetry here."""
    for key in ("NO_PROXY", "no_proxy"):
        present = os.environ.get(key, "")
        if "127.0.0.1" not in present:
            os.environ[key] = ",".join(filter(None, [present, LOCAL_HOSTS]))
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
