"""mmdemo entry point: settings -> model server -> gallery -> UI, then launch.

``demo`` is module-level so Gradio tooling and Hugging Face Spaces can find it. Building
it loads no model. ``main`` serves the page first and warms the models and the index in
the background (indexing the default gallery on the very first start; see
``mmdemo/ui/launch.py``), so the page answers within seconds and says "loading models…"
until they are ready. ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT`` are honoured by Gradio
itself; what is served, to whom, and how many requests may wait is ``mmdemo/ui/web.py``.
On a Hugging Face Space with persistent storage, the index and the model cache go to
``/data`` (``mmdemo/core/spaces.py``); that is decided first, before any library reads
``HF_HOME``.
"""

from __future__ import annotations

import logging
import os

from mmdemo.core.spaces import apply_space_storage

SPACE_STORAGE = apply_space_storage(os.environ)  # before huggingface_hub reads HF_HOME

from mmdemo.core.config import get_settings  # noqa: E402
from mmdemo.services.access import Access  # noqa: E402
from mmdemo.services.gallery import Gallery  # noqa: E402
from mmdemo.serving import ModelServer  # noqa: E402
from mmdemo.serving.allocator import fix_mmap_threshold  # noqa: E402
from mmdemo.ui.launch import configure_logging, serve  # noqa: E402
from mmdemo.ui.page import build_ui  # noqa: E402

log = logging.getLogger("mmdemo.app")

settings = get_settings()
fix_mmap_threshold(settings.malloc_mmap_threshold_kb)  # before the models' big allocations
server = ModelServer(settings)
gallery = Gallery(server, settings)
access = Access.from_settings(settings)
demo = build_ui(server, gallery, access)


def main() -> None:
    configure_logging()
    log.info("Preset %s: %s", server.preset, server.choice.reason)
    if SPACE_STORAGE:
        log.info("Persistent storage: %s", SPACE_STORAGE)
    log.info(
        "Gallery: %s%s", access.mode, " (reachable from other machines)" if access.public else ""
    )
    serve(demo, server, gallery, settings)


if __name__ == "__main__":
    main()
