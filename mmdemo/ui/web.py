"""How the page is served: which folders are public, the headers, the login, the queue.

Why here: what leaves the server is a security decision (docs/security.md), so it is made
in one place. Only image folders are served - the stored copies and the default gallery -
never the index's own files (manifest, vectors, metadata with server paths, the fusion
head); every response says ``X-Content-Type-Options: nosniff`` so a browser never guesses a
served file's type; ``MMDEMO_AUTH`` puts the whole app behind a login.
"""

from __future__ import annotations

from pathlib import Path

from mmdemo.core.config import Settings, parse_auth
from mmdemo.services.gallery import Gallery
from mmdemo.services.thumbnails import thumbnail_dir


class NoSniff:
    """Pure ASGI middleware adding ``X-Content-Type-Options: nosniff`` to every response
    (pure ASGI, so streamed responses - Gradio's server-sent events - stay streamed)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_header(message):
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() != b"x-content-type-options"
                ]
                message = {
                    **message,
                    "headers": [*headers, (b"x-content-type-options", b"nosniff")],
                }
            await send(message)

        return await self.app(scope, receive, send_with_header)


async def unknown_endpoint(request, exc):
    """A call to an endpoint that does not exist: 404 naming it (Gradio answers a bare 500)."""
    from starlette.responses import JSONResponse

    name = request.path_params.get("api_name", "")
    return JSONResponse(
        {
            "detail": f"There is no endpoint /{name}. The endpoints and their inputs are listed "
            "at /gradio_api/info (or under 'Use via API' at the foot of the page)."
        },
        status_code=404,
    )


def served_folders(settings: Settings, gallery: Gallery) -> list[str]:
    """The only folders whose files a browser may fetch: images, never index files.

    The stored copies' folder holds the thumbnails too (``services.thumbnails``): the base
    gallery's in ``thumbnails/``, each visitor's inside their own overlay folder.
    """
    return [str(Path(gallery.store_dir)), str(Path(settings.gallery_dir))]


def serve_thumbnails_in_place(gallery: Gallery) -> None:
    """Let Gradio serve the base gallery's thumbnails from their folder instead of copying
    (and hashing) each one into its cache on every search: measured ~10 ms a file on a
    2-core VM, 12 per results page (docs/benchmarks.md section 13). The folder holds only
    JPEGs we encoded; visitors' thumbnails are still copied, a few KB each."""
    import gradio as gr

    folder = thumbnail_dir(gallery)
    folder.mkdir(parents=True, exist_ok=True)
    gr.set_static_paths([str(folder)])


def launch_options(settings: Settings, gallery: Gallery) -> dict:
    """Keyword arguments for ``demo.launch`` (the CSS is the page's own: passed by app.py)."""
    from gradio.route_utils import FnIndexInferError
    from starlette.middleware import Middleware

    logins = parse_auth(settings.auth)
    serve_thumbnails_in_place(gallery)
    return {
        "allowed_paths": served_folders(settings, gallery),
        "blocked_paths": [str(Path(settings.index_dir) / "visitors")],
        "max_file_size": int(settings.max_upload_mb * 1024 * 1024),
        # the language switch calls the frontend's own changeLocale (ui/i18n.py), which a
        # server-rendered (node) page would not share: keep the client-rendered page
        "ssr_mode": False,
        "auth": logins or None,
        "app_kwargs": {
            "middleware": [Middleware(NoSniff)],
            "exception_handlers": {FnIndexInferError: unknown_endpoint},
        },
    }
