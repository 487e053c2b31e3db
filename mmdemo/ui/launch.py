"""Start-up order (the page first, the models warm up in the background) and the console.

Why: loading the models and indexing the default gallery takes 10-35 s on a small CPU, and
a page that does not answer for that long looks broken. ``serve`` starts the warm-up thread
(``ModelServer.warm_up``: the state is "loading" from this moment, so no request can see a
half-started app as idle), then launches Gradio without blocking; the banner says "loading
models…" until the warm-up is done, and requests made meanwhile wait on the load locks.
"""

from __future__ import annotations

import logging
import os

import gradio as gr

from mmdemo.core.config import Settings
from mmdemo.services.gallery import Gallery
from mmdemo.serving import ModelServer
from mmdemo.ui.i18n import build_i18n
from mmdemo.ui.page import CSS
from mmdemo.ui.web import launch_options

log = logging.getLogger(__name__)
QUEUE_CONCURRENCY = 4  # requests running at once per event (models have their own queues)


# Known harmless messages from libraries, silenced by name so that nothing else is lost:
# faiss's loader logs (at INFO) every optimised build it tries and does not find, e.g.
# "Could not load library with AVX512 support due to: ModuleNotFoundError(...)", before it
# loads the generic one; httpx logs every request Gradio makes to itself at start-up.
QUIET_LOGGERS = ("faiss.loader", "httpx")


class OpenClipChatter(logging.Filter):
    """open_clip logs its model-building steps ("Parsing model identifier...", "Final image
    preprocessing configuration...") at INFO on the *root* logger, so they cannot be
    silenced by name; this drops exactly those records (its warnings still show)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from_open_clip = f"{os.sep}open_clip{os.sep}" in record.pathname
        return not (record.name == "root" and from_open_clip and record.levelno < logging.WARNING)


def configure_logging() -> None:
    """The app's console: INFO and up from everyone, minus the known harmless chatter."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.addFilter(OpenClipChatter())


def prepare_gallery(gallery: Gallery) -> str:
    """The warm-up job: load the embedder and the index (indexing the default gallery on
    the very first start); returns the line the log prints."""
    stats = gallery.prepare()
    return f"{stats.count} images in the index ({stats.kind} search)"


def serve(
    demo: gr.Blocks,
    server: ModelServer,
    gallery: Gallery,
    settings: Settings,
    *,
    block: bool = True,
) -> gr.Blocks:
    """Start the warm-up, launch the page (``GRADIO_SERVER_*`` are read by Gradio), and
    with ``block`` keep serving until the process is stopped."""
    server.warm_up(lambda: prepare_gallery(gallery), what="the models and the gallery index")
    demo.queue(default_concurrency_limit=QUEUE_CONCURRENCY, max_size=settings.queue_max_size)
    demo.launch(
        css=CSS,
        i18n=build_i18n(),  # every string the page's modules registered (ui/i18n.py)
        prevent_thread_lock=True,
        **launch_options(settings, gallery),
    )
    warm = server.warm_state()
    log.info(
        "Page served at %s (%s)",
        demo.local_url,
        "models still loading" if warm.loading else f"warm-up {warm.phase}",
    )
    if block:
        demo.block_thread()
    return demo
