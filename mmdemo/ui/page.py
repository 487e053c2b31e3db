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

from mmdemo.core.i18n import normalise_language
from mmdemo.services.access import Access
from mmdemo.services.gallery import Gallery
from mmdemo.services.search import GallerySearch
from mmdemo.services.visitors import VisitorGalleries
from mmdemo.serving import ModelServer
from mmdemo.ui import tabs
from mmdemo.ui.blocks import DemoBlocks
from mmdemo.ui.common import TabContext, friendly
from mmdemo.ui.i18n import (
    RESOLVE_JS,
    SWITCH_JS,
    i18n_key,
    language_switch,
    register,
    request_language,
    resolved,
    t,
    text,
)
from mmdemo.ui.status import banner_text, fold

log = logging.getLogger(__name__)

CSS = """
#mmdemo-banner {border-left: 4px solid #f59e0b; padding: 0.25rem 0.75rem;}
#mmdemo-banner p, #mmdemo-overview p {margin: 0.25rem 0;}
#mmdemo-banner details, #mmdemo-overview details {margin: 0.25rem 0;}
#mmdemo-banner summary, #mmdemo-overview summary {cursor: pointer; color: var(--link-text-color);}
#mmdemo-title h1 {margin: 0 0 0.25rem 0; font-size: 1.6rem;}
#mmdemo-language {align-self: center;}
#search-message p {margin: 0.25rem 0;}
"""
# The first screen, in plain words for a first-time visitor (a stakeholder, maybe on a
# phone): what the page shows, in three sentences, with the idea behind it one click away.
# Developer detail (presets, commands, repo ids) lives in the banner's fold and in docs/.
TITLE = "mmdemo — multimodal playground · 多模态演示"  # the browser tab: both languages
register(
    {
        "page.header": (
            "# mmdemo: pictures and words in one space",
            "# mmdemo：图片和文字，在同一个空间里",
        ),
        "page.overview": (
            "One model turns every photo and every sentence into a point in the same space, "
            "where a photo lands close to the words that describe it. Each tab uses that "
            "space: find photos by words or by another photo, name what is in a photo, ask "
            "about it, and read the mood of a text and a photo together. Explore draws the "
            "space itself as a map of your photos; Evaluate measures how well the models do. "
            "Chat talks with you about a photo, and Generate draws a new picture from words "
            "that you can then search with.",
            "一个模型把每张照片和每句话都变成同一个空间里的一个点：照片会落在描述它的文字附近。"
            "每个标签页都用这个空间：用文字或另一张照片找照片，说出照片里有什么，就照片提问，"
            "以及一起读出一段文字和一张照片的情绪。“探索”把这个空间画成一张照片地图；"
            "“评测”当场量出模型做得有多好。“图片对话”就一张照片和你聊天，“画图”按文字画出新图，"
            "画好的图还能拿来搜索。",
        ),
        "page.how_it_works_fold": ("How it works", "原理"),
        "page.how_it_works": (
            "- **One shared space.** A text is searched against photos by how close their "
            "points are, so Search, Classify (your labels are texts) and the photo answers of "
            "Ask all use the same comparison.\n"
            "- **Fusion of two kinds of input (modalities).** *Feature level* (early fusion): "
            "the text's and the photo's points are joined first and one small model decides "
            "from both. *Decision level* (late fusion): each is judged on its own and the two "
            "verdicts are combined. The Sentiment tab shows both, with the share each one "
            "had; Search mixes a photo and words in the space itself.\n"
            '- **Where it matched.** "Why this match?" colours the parts of a photo that '
            "made it match your words (a relevance heatmap).",
            "- **一个共享空间。** 用文字搜照片，看的是它们的点有多近；所以搜索、分类（你的标签"
            "就是文字）和提问里对照片的回答，用的都是同一种比较。\n"
            "- **两种输入（模态）的融合。** *特征级*（早期融合）：先把文字和照片的点拼在一起，"
            "由一个小模型根据两者作出判断。*决策级*（晚期融合）：两者各自判断，再把两个结论"
            "合起来。“情感”标签页展示这两种方式，以及各自所占的比重；搜索则直接在空间里把"
            "照片和文字混合。\n"
            "- **匹配在哪里。** “为什么匹配？”会把照片中让它与你的文字相匹配的部分标上颜色"
            "（相关性热力图）。",
        ),
    }
)

BANNER_REFRESH_S = 3.0  # how often the "loading the models" banner is re-read


def overview_text(lang: str) -> str:
    """The three sentences under the title, with "How it works" folded."""
    fold_body = text("page.how_it_works", lang)
    return (
        f"{text('page.overview', lang)}\n\n{fold(text('page.how_it_works_fold', lang), fold_body)}"
    )


def localise_example_headers(demo: gr.Blocks, ctx: TabContext) -> None:
    """``gr.Examples`` heads its table with its inputs' labels, but Gradio's frontend does
    not translate a Dataset's headers (they showed as raw ``__i18n__{...}`` markers in
    Chromium), so every such header is rendered here, with the page's language."""
    for block in list(demo.blocks.values()):
        headers = getattr(block, "headers", None)
        if not isinstance(block, gr.Dataset) or not headers:
            continue
        pairs = tuple((i18n_key(header), header) for header in headers)
        if not any(key for key, _ in pairs):
            continue

        def render(lang, pairs=pairs):
            return gr.Dataset(headers=[text(key, lang) if key else h for key, h in pairs])

        ctx.in_language(block, render)


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
        # the title keeps 280 px: on a phone the switch wraps under it instead of
        # squeezing it to a column of two characters a line
        with gr.Row(equal_height=True):
            with gr.Column(min_width=280, scale=1):
                gr.Markdown(t("page.header"), elem_id="mmdemo-title")
            language = language_switch()
        banner = gr.Markdown(elem_id="mmdemo-banner")
        overview = gr.Markdown(elem_id="mmdemo-overview")
        tab_items = []
        with gr.Tabs():
            for tab in discover_tabs():
                with gr.Tab(tab.TITLE, id=tab.ID) as item:
                    tab.build(ctx)
                tab_items.append((item, tab.ID))
        # Gradio re-translates only the selected tab's title when the locale changes, so a
        # switch also sets the titles from here. Not on load: the locale is set before the
        # first render then, and replacing the tab buttons while a visitor reaches for one
        # detached it mid-click (and Gradio's overflow menu read a null offsetWidth).
        tab_outputs = [item for item, _ in tab_items]

        def tab_titles(lang: str) -> list:
            return [gr.Tab(label=text(f"tab.{tid}", lang)) for _, tid in tab_items]

        # While the models warm up the banner says so; a timer re-reads it every few
        # seconds and switches itself off once they are ready, so a visitor who stays on
        # the page sees "loading" go away without reloading.
        refresh = gr.Timer(BANNER_REFRESH_S, active=False)
        localise_example_headers(demo, ctx)
        views = [view for view in ctx.views]
        view_outputs = [output for view in views for output in view.outputs]

        def render(lang: str) -> list:
            """Every text the server composes, in ``lang`` (tabs registered theirs)."""
            values = [banner_text(server, gallery, lang), overview_text(lang)]
            for view in views:
                shown = view.render(lang)
                values.extend(shown if len(view.outputs) > 1 else [shown])
            return [resolved(value, lang) for value in values]

        def on_load(lang):  # the status lives in the Gallery tab, shown when it is opened
            lang = normalise_language(lang or request_language())
            loading = server.warm_state().loading
            return [lang, gr.Timer(active=loading), *render(lang)]

        def on_tick(lang):
            loading = server.warm_state().loading
            return banner_text(server, gallery, lang), gr.Timer(active=loading)

        # On load the browser resolves the language (the switch's cookie, else its own
        # preferences), applies it to Gradio's static text, and the server renders the rest.
        demo.load(
            friendly(on_load),
            language,
            [language, refresh, banner, overview, *view_outputs],
            js=RESOLVE_JS,
            api_name="page_load",
            api_visibility="undocumented",
        )
        refresh.tick(friendly(on_tick), language, [banner, refresh], api_visibility="private")
        language.input(
            friendly(lambda lang: [*render(lang), *tab_titles(lang)]),
            language,
            [banner, overview, *view_outputs, *tab_outputs],
            js=SWITCH_JS,
            api_visibility="private",
        )
    return demo
