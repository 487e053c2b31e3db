"""The Explore tab: the gallery's shared embedding space drawn as a 2-D map.

Each photo is a point (``services.embedding_map``: PCA at once, UMAP in the background for
larger galleries), coloured by its cluster, the legend naming the clusters in the page's
language. Plotly's hover cannot show an image, so a small script (``MAP_JS``) shows the
hovered point's thumbnail in a floating ``<img>``; clicking a point puts its id into a
hidden box and presses a hidden button, which runs the Search tab's "more like this"
(``GallerySearch.similar``) and shows the results here. A text or a photo typed in is drawn
into the same map with its nearest photos ringed. Thumbnails are the ones the results grids
use (``services.thumbnails``), served from the gallery's image folders (``ui/web.py``).

Endpoints: ``/map`` (the map), ``/map_query`` (a text), ``/map_query_image`` (a photo),
``/map_more_like_this`` (a point's neighbours). Their JSON is ``MapResult.to_json`` (English).
"""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr

from mmdemo.core.map_results import MapResult
from mmdemo.services.embedding_map import NEAREST, EmbeddingMaps
from mmdemo.ui.common import MODEL_QUEUE, TabContext, friendly, image_input, random_note
from mmdemo.ui.i18n import register, request_language, t, text
from mmdemo.ui.panels.duplicates import build as build_duplicates
from mmdemo.ui.panels.search_results import result_outputs

log = logging.getLogger(__name__)

register(
    {
        "tab.explore": ("Explore", "探索"),
        "explore.intro": (
            "Every photo in the gallery is a point on this map, placed by its embedding "
            "(*{model}*): photos the model finds alike sit close together. The colours are "
            "clusters, each named by the label most of its photos are closest to. Hover over a "
            "point to see the photo, click it for more like it, or type a query to see where "
            "it lands among the photos.",
            "图库里的每张照片都是这张图上的一个点，位置由它的嵌入向量决定（*{model}*）："
            "模型认为相像的照片挨得近。颜色代表聚类，每个聚类以其中多数照片最接近的标签命名。"
            "把鼠标移到点上可以看到照片，点击它可以找更多相似的照片；也可以输入查询，"
            "看看它落在哪些照片中间。",
        ),
        "explore.query": ("Where does this land?", "这句话落在哪里？"),
        "explore.query_placeholder": ("a cat", "一只猫"),
        "explore.query_button": ("Show on the map", "在图上显示"),
        "explore.image": ("…or a photo", "……或者一张照片"),
        "explore.image_button": ("Show this photo on the map", "在图上显示这张照片"),
        "explore.redraw": ("Redraw the map", "重新绘制"),
        "explore.map": ("Embedding map", "嵌入地图"),
        "explore.results": ("Nearest photos", "最接近的照片"),
        "explore.status": (
            "{drawn} of {total} photos drawn, laid out by {method}.",
            "共 {total} 张照片，已绘制 {drawn} 张，布局方法：{method}。",
        ),
        "explore.sampled": (
            "A random sample is drawn, so the page stays light.",
            "为了让页面保持轻快，只绘制随机抽取的一部分。",
        ),
        "explore.pending": (
            "Computing the UMAP layout… (PCA meanwhile)",
            "正在计算 UMAP 布局……（先显示 PCA 布局）",
        ),
        "explore.failed": (
            "UMAP failed, so the map stays PCA.",
            "UMAP 计算失败，地图保持 PCA 布局。",
        ),
        "explore.empty": (
            "The gallery is empty: add some images in the Gallery tab first.",
            "图库是空的：请先在“图库”标签页里添加一些图片。",
        ),
        "explore.mine": ("Your uploads", "你上传的图片"),
        "explore.query_trace": ("Your query: {query}", "你的查询：{query}"),
        "explore.nearest_trace": ("Nearest photos", "最接近的照片"),
        "explore.placed": (
            "The star is your query, placed among its nearest photos (ringed).",
            "星号是你的查询，放在与它最接近的照片（带圈的点）中间。",
        ),
        "explore.click_hint": (
            "Click a point for more photos like it.",
            "点击一个点，查看更多与它相似的照片。",
        ),
    }
)
TITLE = t("tab.explore")
ID = "explore"
ORDER = 70

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#ad494a",
)
MAP_HEIGHT = 560
K = 12  # "more like this" results for a clicked point
METHOD_WORDS = {"pca": "PCA", "umap": "UMAP"}

# Installed once per page (the plot is redrawn, so it looks for an unhooked plot every 0.4 s):
# hover shows the point's thumbnail in a floating <img>; a click sends its id to the server.
MAP_JS = """() => {
  if (window.__mmdemoExplore) return;
  window.__mmdemoExplore = true;
  const root = () =>
    ((window.gradio_config && window.gradio_config.root) || '').replace(/\\/$/, '');
  const tip = document.createElement('img');
  tip.id = 'explore-hover';
  tip.alt = '';
  Object.assign(tip.style, {position: 'fixed', display: 'none', zIndex: 1000, maxWidth: '160px',
    maxHeight: '160px', border: '2px solid #fff', borderRadius: '6px', pointerEvents: 'none',
    boxShadow: '0 2px 10px rgba(0,0,0,.35)', background: '#fff'});
  document.body.appendChild(tip);
  window.addEventListener('scroll', () => { tip.style.display = 'none'; }, {passive: true});
  const hook = (gd) => {
    gd.__mmdemoHooked = true;
    gd.on('plotly_hover', (ev) => {
      const p = ev.points && ev.points[0];
      const path = p && p.customdata && p.customdata[1];
      if (!path) { tip.style.display = 'none'; return; }
      tip.src = root() + '/gradio_api/file=' + encodeURI(path);
      const e = ev.event || {clientX: 0, clientY: 0};
      tip.style.left = Math.max(4, Math.min(e.clientX + 14, window.innerWidth - 170)) + 'px';
      tip.style.top = Math.max(4, e.clientY - 176) + 'px';
      tip.style.display = 'block';
    });
    gd.on('plotly_unhover', () => { tip.style.display = 'none'; });
    gd.on('plotly_click', (ev) => {
      const p = ev.points && ev.points[0];
      const id = p && p.customdata ? p.customdata[0] : null;
      if (id === null || id === undefined || id === '') return;
      const box = document.querySelector('#explore-clicked textarea, #explore-clicked input');
      const button = document.querySelector('#explore-clicked-button');
      if (!box || !button) return;
      box.value = String(id);
      box.dispatchEvent(new Event('input', {bubbles: true}));
      setTimeout(() => button.click(), 60);
      setTimeout(() => { tip.style.display = 'none'; }, 1500);  // a tap fires no unhover
    });
  };
  setInterval(() => {
    document.querySelectorAll('#explore-map .js-plotly-plot').forEach((gd) => {
      if (!gd.__mmdemoHooked && typeof gd.on === 'function') hook(gd);
    });
  }, 400);
}"""


def status_text(result: MapResult, language: str | None = None) -> str:
    """The line under the map: how many points, by which method, what is still coming."""
    lang = language or request_language()
    if result.total == 0:
        return text("explore.empty", lang)
    method = METHOD_WORDS[result.method]
    parts = [text("explore.status", lang, drawn=result.drawn, total=result.total, method=method)]
    if result.sampled:
        parts.append(text("explore.sampled", lang))
    if result.pending:
        parts.append("**" + text("explore.pending", lang) + "**")
    if result.umap_failed:
        parts.append(text("explore.failed", lang))
    if result.query is not None:
        parts.append(text("explore.placed", lang))
    parts.append(text("explore.click_hint", lang))
    return " ".join(parts)


def figure(result: MapResult, language: str | None = None):
    """The plotly figure: one trace per cluster (legend = its name), the visitor's own
    uploads, the query's star and its nearest photos ringed. ``customdata`` per point is
    (id, thumbnail path, name): what the page's script reads on hover and click."""
    import plotly.graph_objects as go  # ~1 s: only when a map is drawn

    lang = language or request_language()
    fig = go.Figure()
    names = {c.id: (c.name_zh if lang == "zh" else c.name) for c in result.clusters}
    groups: dict[object, list] = {}
    for point in result.points:
        groups.setdefault("mine" if point.mine else point.cluster, []).append(point)
    for key, points in sorted(groups.items(), key=lambda kv: (kv[0] == "mine", str(kv[0]))):
        mine = key == "mine"
        label = text("explore.mine", lang) if mine else names.get(key, str(key))
        colour = "#000000" if mine else PALETTE[int(key) % len(PALETTE)]
        fig.add_trace(
            go.Scatter(
                x=[p.x for p in points],
                y=[p.y for p in points],
                mode="markers",
                name=f"{label} ({len(points)})",
                marker={
                    "size": 11 if mine else 9,
                    "color": colour,
                    "symbol": "diamond" if mine else "circle",
                    "line": {"width": 1, "color": "#ffffff"},
                },
                customdata=[[p.id, p.thumbnail or "", p.name] for p in points],
                hovertemplate="%{customdata[2]}<extra>" + label + "</extra>",
            )
        )
    query = result.query
    if query is not None:
        by_id = {p.id: p for p in result.points}
        near = [by_id[i] for i in query.nearest if i in by_id]
        if near:
            fig.add_trace(
                go.Scatter(
                    x=[p.x for p in near],
                    y=[p.y for p in near],
                    mode="markers",
                    name=text("explore.nearest_trace", lang),
                    marker={"size": 18, "color": "rgba(0,0,0,0)", "line": {"width": 2.5}},
                    customdata=[[p.id, p.thumbnail or "", p.name] for p in near],
                    hovertemplate="%{customdata[2]}<extra></extra>",
                )
            )
        shown = query.query if len(query.query) <= 40 else query.query[:39] + "…"
        fig.add_trace(
            go.Scatter(
                x=[query.x],
                y=[query.y],
                mode="markers+text",
                name=text("explore.query_trace", lang, query=shown),
                text=[shown],
                textposition="top center",
                marker={"size": 20, "symbol": "star", "color": "#ffd400", "line": {"width": 1.5}},
                hoverinfo="skip",
            )
        )
    fig.update_layout(
        height=MAP_HEIGHT,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.02, "x": 0},
        xaxis={"visible": False},
        yaxis={"visible": False},
        plot_bgcolor="#fafafa",
        hovermode="closest",
        dragmode="pan",
    )
    return fig


def build(ctx: TabContext) -> None:
    maps = EmbeddingMaps(ctx.search)
    model_label = ctx.server.spec_for("embed").label
    tab = gr.context.Context.block  # the gr.Tab page.py opened for us: drawn when opened
    intro = gr.Markdown(text("explore.intro", "en", model=model_label), elem_id="explore-intro")
    with gr.Row():
        with gr.Column(scale=3):
            query = gr.Textbox(
                label=t("explore.query"),
                placeholder=t("explore.query_placeholder"),
                elem_id="explore-query",
                max_lines=1,
            )
            with gr.Row():
                query_button = gr.Button(
                    t("explore.query_button"), variant="primary", elem_id="explore-query-button"
                )
                redraw = gr.Button(t("explore.redraw"), elem_id="explore-redraw")
        with gr.Column(scale=2):
            image = image_input(t("explore.image"), "explore-image", height=160)
            image_button = gr.Button(t("explore.image_button"), elem_id="explore-image-button")
    status = gr.Markdown(elem_id="explore-status")
    plot = gr.Plot(label=t("explore.map"), elem_id="explore-map")
    raw = gr.JSON(visible=False, elem_id="explore-json")
    results_message = gr.Markdown(elem_id="explore-results-message")
    results = gr.Gallery(
        label=t("explore.results"),
        elem_id="explore-results",
        columns=6,
        height="auto",
        object_fit="cover",
    )
    clicked = gr.Textbox(visible="hidden", elem_id="explore-clicked")
    clicked_button = gr.Button(visible="hidden", elem_id="explore-clicked-button")
    poll = gr.Timer(2.0, active=False)
    ctx.in_language(intro, lambda lang: text("explore.intro", lang, model=model_label))

    def note(lang: str) -> str:
        return random_note(getattr(ctx.server.spec_for("embed"), "is_random", False), lang)

    def map_outputs(result: MapResult) -> tuple:
        lang = request_language()
        return figure(result, lang), note(lang) + status_text(result, lang), result.to_json()

    @friendly
    def draw(request: gr.Request = None):
        """The gallery's map (with this visitor's own uploads): figure, status, JSON."""
        return map_outputs(maps.map(ctx.overlay(request)))

    def nearest_outputs(found) -> tuple:
        items, message, _, _ = result_outputs(found)
        return items, message

    @friendly
    def by_text(text_query: str, request: gr.Request = None):
        """Where ``text_query`` lands on the map, and its nearest photos."""
        result, found = maps.query_text(text_query, ctx.overlay(request), k=NEAREST)
        return (*map_outputs(result), *nearest_outputs(found))

    @friendly
    def by_image(upload, request: gr.Request = None):
        """Where an uploaded photo lands on the map, and its nearest photos."""
        picture, _ = ctx.upload_image(upload)
        name = Path(str((upload or {}).get("orig_name") or "photo")).name
        result, found = maps.query_image(picture, ctx.overlay(request), k=NEAREST, name=name)
        return (*map_outputs(result), *nearest_outputs(found))

    @friendly
    def more_like(item_id, request: gr.Request = None):
        """Photos most like the clicked point's (the Search tab's "more like this")."""
        mine = ctx.overlay(request)
        result = ctx.search.similar(str(item_id).strip(), K, overlay=mine)
        items, message, _, _ = result_outputs(result, similar_to=point_name(item_id, mine))
        return items, message

    def point_name(item_id, mine) -> str | None:
        for gallery in (ctx.gallery, mine):
            try:
                return Path(gallery.index.get(int(str(item_id).strip())).path).name
            except (AttributeError, KeyError, ValueError):
                continue
        return None

    def keep_polling(data) -> gr.Timer:
        return gr.Timer(active=bool(isinstance(data, dict) and data.get("pending")))

    queue = {"concurrency_id": MODEL_QUEUE["embed"]}
    private = {"api_visibility": "private"}
    map_parts = [plot, status, raw]
    drawn = redraw.click(draw, None, map_parts, api_name="map", **queue)
    drawn.success(keep_polling, raw, poll, **private)
    if isinstance(tab, gr.Tab):
        opened = tab.select(draw, None, map_parts, **private, **queue)
        opened.success(keep_polling, raw, poll, **private)
    ticked = poll.tick(draw, None, map_parts, **private, **queue)
    ticked.success(keep_polling, raw, poll, **private)
    asked = gr.on(
        [query_button.click, query.submit],
        by_text,
        query,
        [*map_parts, results, results_message],
        api_name="map_query",
        **queue,
    )
    asked.success(lambda: gr.Timer(active=False), None, poll, **private)
    shown = image_button.click(
        by_image,
        image,
        [*map_parts, results, results_message],
        api_name="map_query_image",
        preprocess=False,
        **queue,
    )
    shown.success(lambda: gr.Timer(active=False), None, poll, **private)
    clicked_button.click(
        more_like, clicked, [results, results_message], api_name="map_more_like_this", **queue
    )
    plot.change(None, None, None, js=MAP_JS, **private)
    build_duplicates(ctx)  # the near-duplicates section ends the tab (ui/panels/duplicates.py)
