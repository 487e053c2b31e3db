"""The whole page: title, banner, overview, the tabs found in ``ui/tabs``.

Why discovery: a tab is one file (``ui/tabs/<name>.py`` with ``TITLE``, ``ID``, ``ORDER``
and ``build(ctx)``); adding the file adds the tab. Building the page loads no model - every
model loads on first use (or when ``app.py`` warms them before serving).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from types import ModuleType

import gradio as gr

from mmdemo.services.access import Access
from mmdemo.services.gallery import Gallery
from mmdemo.services.search import GallerySearch
from mmdemo.services.visitors import VisitorGalleries
from mmdemo.serving import ModelServer
from mmdemo.ui import tabs
from mmdemo.ui.blocks import DemoBlocks
from mmdemo.ui.common import TabContext, friendly
from mmdemo.ui.status import banner_text, fold

log = logging.getLogger(__name__)

CSS = """
#mmdemo-banner {border-left: 4px solid #f59e0b; padding: 0.25rem 0.75rem;}
#mmdemo-banner p, #mmdemo-overview p {margin: 0.25rem 0;}
#mmdemo-banner details, #mmdemo-overview details {margin: 0.25rem 0;}
#mmdemo-banner summary, #mmdemo-overview summary {cursor: pointer; color: var(--link-text-color);}
#mmdemo-title h1 {margin: 0 0 0.25rem 0; font-size: 1.6rem;}
#search-message p {margin: 0.25rem 0;}
"""
# The first screen, in plain words for a first-time visitor (a stakeholder, maybe on a
# phone): what the page shows, in three sentences, with the idea behind it one click away.
# Developer detail (presets, commands, repo ids) lives in the banner's fold and in docs/.
TITLE = "mmdemo — multimodal playground"
HEADER = "# mmdemo: pictures and words in one space"
OVERVIEW = (
    "One model turns every photo and every sentence into a point in the same space, where a "
    "photo lands close to the words that describe it. Each tab uses that space: find photos "
    "by words or by another photo, name what is in a photo, ask about it, and read the mood "
    "of a text and a photo together."
)
HOW_IT_WORKS_FOLD = "How it works"
HOW_IT_WORKS = (
    "- **One shared space.** A text is searched against photos by how close their points "
    "are, so Search, Classify (your labels are texts) and the photo answers of Ask all use "
    "the same comparison.\n"
    "- **Fusion of two kinds of input (modalities).** *Feature level* (early fusion): the "
    "text's and the photo's points are joined first and one small model decides from both. "
    "*Decision level* (late fusion): each is judged on its own and the two verdicts are "
    "combined. The Sentiment tab shows both, with the share each one had; Search mixes a "
    "photo and words in the space itself."
)

BANNER_REFRESH_S = 3.0  # how often the "loading the models" banner is re-read


def discover_tabs() -> list[ModuleType]:
    """Every module in ``ui/tabs``, in ``ORDER``; one without TITLE/ID/ORDER/build fails."""
    found = []
    for info in pkgutil.iter_modules(tabs.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{tabs.__name__}.{info.name}")
        missing = [name for name in ("TITLE", "ID", "ORDER", "build") if not hasattr(module, name)]
        if missing:
            raise TypeError(f"ui/tabs/{info.name}.py lacks {', '.join(missing)}")
        found.append(module)
    return sorted(found, key=lambda module: (module.ORDER, module.ID))


def delete_cache(ttl_s: float) -> tuple[int, int]:
    """Gradio's ``delete_cache`` (every, older than): Gradio keeps every upload and result
    file in its cache folder, so without this it only grows. Checked hourly, or more often
    for a short TTL."""
    ttl = max(1, round(ttl_s))
    return min(3600, ttl), ttl


def build_ui(server: ModelServer, gallery: Gallery, access: Access | None = None) -> gr.Blocks:
    """The app as a ``gr.Blocks``; nothing here loads a model until it is used."""
    access = access or Access.from_settings(server.settings)
    visitors = VisitorGalleries(server, gallery) if access.per_visitor else None
    ctx = TabContext(server, gallery, GallerySearch(gallery), access, visitors)
    with DemoBlocks(
        title=TITLE,
        delete_cache=delete_cache(server.settings.upload_cache_ttl_s),
    ) as demo:
        gr.Markdown(HEADER, elem_id="mmdemo-title")
        banner = gr.Markdown(elem_id="mmdemo-banner")
        gr.Markdown(
            f"{OVERVIEW}\n\n{fold(HOW_IT_WORKS_FOLD, HOW_IT_WORKS)}", elem_id="mmdemo-overview"
        )
        with gr.Tabs():
            for tab in discover_tabs():
                with gr.Tab(tab.TITLE, id=tab.ID):
                    tab.build(ctx)

        # While the models warm up the banner says so; a timer re-reads it every few
        # seconds and switches itself off once they are ready, so a visitor who stays on
        # the page sees "loading" go away without reloading.
        refresh = gr.Timer(BANNER_REFRESH_S, active=False)

        def on_load():  # the status lives in the Gallery tab, shown when it is opened
            loading = server.warm_state().loading
            return banner_text(server, gallery), gr.Timer(active=loading)

        gr.on(
            [demo.load, refresh.tick],
            friendly(on_load),
            None,
            [banner, refresh],
            api_name="page_load",
            api_visibility="undocumented",
        )
    return demo
