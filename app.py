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
from mmdemo.ui.launch import serve  # noqa: E402
from mmdemo.ui.page import build_ui  # noqa: E402

log = logging.getLogger("mmdemo.app")

settings = get_settings()
fix_mmap_threshold(settings.malloc_mmap_threshold_kb)  # before the models' big allocations
server = ModelServer(settings)
gallery = Gallery(server, settings)
access = Access.from_settings(settings)
demo = build_ui(server, gallery, access)

# Known harmless messages from libraries, silenced by name so that nothing else is lost:
# faiss's loader logs (at INFO) every optimised build it tries and does not find, e.g.
# "Could not load library with AVX512 support due to: ModuleNotFoundError(...)", before it
# loads the generic one; httpx logs every request Gradio makes to itself at start-up.
QUIET_LOGGERS = ("faiss.loader", "httpx")


class _OpenClipChatter(logging.Filter):
    """open_clip logs its model-building steps ("Parsing model identifier...", "Final image
    preprocessing configuration...") at INFO on the *root* logger, so they cannot be
    silenced by name; this drops exactly those records (its warnings still show)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from_open_clip = f"{os.sep}open_clip{os.sep}" in record.pathname
        return not (record.name == "root" and from_open_clip and record.levelno < logging.WARNING)


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_OpenClipChatter())


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
