"""mmdemo entry point: settings -> model server -> gallery -> UI, then launch.

``demo`` is module-level so Gradio tooling and Hugging Face Spaces can find it. Building
it loads no model; ``main`` warms the model and the index (indexing the default gallery
on the very first start) before serving, so the first visitor does not wait.
``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT`` are honoured by Gradio itself; what is
served, to whom, and how many requests may wait is ``mmdemo/ui/web.py``.
"""

from __future__ import annotations

import logging

from mmdemo.core.config import get_settings
from mmdemo.core.errors import MMDemoError
from mmdemo.services.access import Access
from mmdemo.services.gallery import Gallery
from mmdemo.serving import ModelServer
from mmdemo.serving.allocator import fix_mmap_threshold
from mmdemo.ui.page import CSS, build_ui
from mmdemo.ui.web import launch_options

log = logging.getLogger("mmdemo.app")

settings = get_settings()
fix_mmap_threshold(settings.malloc_mmap_threshold_kb)  # before the models' big allocations
server = ModelServer(settings)
gallery = Gallery(server, settings)
access = Access.from_settings(settings)
demo = build_ui(server, gallery, access)


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    log.info(
        "Gallery: %s%s", access.mode, " (reachable from other machines)" if access.public else ""
    )
    try:
        stats = gallery.prepare()
        log.info("Ready: %d images in the index (%s search)", stats.count, stats.kind)
    except MMDemoError as err:  # the app still starts and shows the problem in its banner
        log.error("%s", err)
    demo.queue(default_concurrency_limit=4, max_size=settings.queue_max_size).launch(
        css=CSS, **launch_options(settings, gallery)
    )


if __name__ == "__main__":
    main()
