"""mmdemo entry point: settings -> model server -> gallery -> UI, then launch.

``demo`` is module-level so Gradio tooling and Hugging Face Spaces can find it. Building
it loads no model; ``main`` warms the model and the index (indexing the default gallery
on the very first start) before serving, so the first visitor does not wait.
``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT`` are honoured by Gradio itself.
"""

from __future__ import annotations

import logging

from mmdemo.core.config import get_settings
from mmdemo.core.errors import MMDemoError
from mmdemo.services.gallery import Gallery
from mmdemo.serving import ModelServer
from mmdemo.ui.page import CSS, build_ui

log = logging.getLogger("mmdemo.app")

settings = get_settings()
server = ModelServer(settings)
gallery = Gallery(server, settings)
demo = build_ui(server, gallery)


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        stats = gallery.prepare()
        log.info("Ready: %d images in the index (%s search)", stats.count, stats.kind)
    except MMDemoError as err:  # the app still starts and shows the problem in its banner
        log.error("%s", err)
    demo.queue(default_concurrency_limit=4).launch(
        allowed_paths=[str(settings.index_dir), str(settings.gallery_dir)],
        max_file_size=int(settings.max_upload_mb * 1024 * 1024),
        css=CSS,
    )


if __name__ == "__main__":
    main()
