"""The banner above the tabs and the status panel: which models run and why, what is loaded.

Why the banner is one line and a fold: a first-time visitor (a stakeholder, maybe on a phone)
needs to know which models answer - and, for ``tiny``, that every result is meaningless - but
not the hub repo ids, environment variables and commands that say why and how to change it.
Those sit behind a ``<details>`` fold, so the tabs stay on the first screen at 390 px.
Both are formatted from ``services.status`` and the server's own facts, so the page says what
``python -m mmdemo info`` says - except server paths, which browser users never see.
Every sentence is a registered string in English and Chinese (``ui.i18n``), rendered in the
page's language; the preset's reason and package messages go through ``core.i18n``.
"""

from __future__ import annotations

import time

from mmdemo.core.errors import MMDemoError, browser_message, for_browser
from mmdemo.services.gallery import Gallery
from mmdemo.services.status import IndexType, status
from mmdemo.services.visitors import VisitorGalleries
from mmdemo.serving import ModelServer
from mmdemo.ui.i18n import localised, register, registered_keys, text

register(
    {
        # -- the banner: one line per preset, details behind a fold
        "banner.lite": (
            "**Offline models (preset lite)** — {why}, so smaller models that need no "
            "internet answer: real results, but coarser.",
            "**离线模型（预设 lite）** — {why}，所以由不需要联网的较小模型来回答：结果是真实的，"
            "但更粗略。",
        ),
        "banner.lite_why_auto": (
            "the full models are not on this machine and the Hugging Face hub cannot be reached",
            "这台机器上没有完整模型，也连不上 Hugging Face hub",
        ),
        "banner.lite_why_set": ("the server was started with them", "服务器是用它们启动的"),
        "banner.lite_fold": ("Why, and how to get the full models", "为什么，以及如何获得完整模型"),
        "banner.lite_details": (
            "The lite models are blind to what ImageNet's 1000 classes do not name, and their "
            "captions are built from those class names. The full models are open_clip "
            "(multilingual XLM-R + ViT-B-32) and BLIP.\n\n"
            "**To get the full models:** on a machine with internet run "
            "`python -m mmdemo download --preset full --dir PATH`, copy PATH to this machine, "
            "and start with `MMDEMO_CACHE_DIR=PATH MMDEMO_PRESET=full python app.py` "
            "(docs/deploy.md).",
            "lite 模型看不到 ImageNet 1000 个类别之外的东西，它的图片描述也由这些类别名组成。"
            "完整模型是 open_clip（多语言 XLM-R + ViT-B-32）和 BLIP。\n\n"
            "**获取完整模型：** 在能联网的机器上运行 "
            "`python -m mmdemo download --preset full --dir PATH`，把 PATH 复制到这台机器，"
            "再用 `MMDEMO_CACHE_DIR=PATH MMDEMO_PRESET=full python app.py` 启动"
            "（见 docs/deploy.md）。",
        ),
        "banner.full": (
            "**Full models** — the pretrained models this demo is built for.",
            "**完整模型** — 本演示所用的预训练模型。",
        ),
        "banner.full_fold": ("Which models run, and why", "运行的是哪些模型，为什么"),
        "banner.tiny": (
            "⚠️ **Test models (preset tiny): their weights are random, so every result on "
            "this page is meaningless.**",
            "⚠️ **测试模型（预设 tiny）：权重是随机的，所以本页的每个结果都没有意义。**",
        ),
        "banner.tiny_fold": ("How to run real models", "如何运行真实模型"),
        "banner.tiny_details": (
            "Start the app with `MMDEMO_PRESET=lite python app.py` (real models that work "
            "offline) or `MMDEMO_PRESET=full python app.py` (the Hugging Face hub's models).",
            "用 `MMDEMO_PRESET=lite python app.py`（离线可用的真实模型）或 "
            "`MMDEMO_PRESET=full python app.py`（Hugging Face hub 上的模型）启动本应用。",
        ),
        "banner.why": ("**Why this preset:** {reason}.", "**为什么用这个预设：** {reason}。"),
        "banner.runs_now": ("**What runs now:**", "**现在运行的模型：**"),
        "task.embed": (
            "Search and Classify (the shared image-text space)",
            "搜索和分类（图文共享空间）",
        ),
        "task.caption": ("Caption", "图片描述"),
        "task.vqa": ("Ask (VQA)", "提问（视觉问答）"),
        "task.sentiment": ("Sentiment of a text", "文本情感"),
        "task.image_sentiment": ("Sentiment of a photo", "图片情感"),
        "task.classify": ("Classify", "分类"),
        "task.sentiment_head": ("Early-fusion sentiment head", "早期融合情感模型"),
        "task.match": ("Re-rank (image-text matching)", "重新排序（图文匹配）"),
        "task.chat": ("Chat about an image", "图片对话"),
        "task.generate": ("Draw from text", "画图"),
        "banner.mismatch": (
            "⚠️ **The saved gallery was built by another model: re-embed it (in the Gallery "
            "tab) before searching.**",
            "⚠️ **保存的图库是由另一个模型建立的：搜索前请（在“图库”标签页）重新嵌入。**",
        ),
        "banner.loading": (
            "⏳ **Loading the models…** ({seconds} s so far). You can start already: a "
            "request made now is answered as soon as they are ready.",
            "⏳ **正在加载模型…**（已用 {seconds} 秒）。现在就可以开始：此刻发出的请求会在模型"
            "就绪后立即得到回答。",
        ),
        "banner.load_failed": (
            "⚠️ **A model could not be loaded, so some tabs cannot answer.**",
            "⚠️ **有模型无法加载，所以部分标签页无法回答。**",
        ),
        "banner.details": ("Details", "详情"),
        # -- the status panel
        "status.preset": (
            "**Preset:** `{preset}` ({reason}) · **device:** `{device}`",
            "**预设：** `{preset}`（{reason}）· **设备：** `{device}`",
        ),
        "status.model": (
            "- **{task}**: `{model}` on {device} ({dtype}), {params} M parameters, {mib} MiB",
            "- **{task}**：`{model}`，运行于 {device}（{dtype}），{params} M 参数，{mib} MiB",
        ),
        "status.random": (" — *random weights*", " — *随机权重*"),
        "status.index": (
            "- **index**: {count} images, {kind} search on {where}, {dim}-d",
            "- **索引**：{count} 张图片，{kind}搜索，运行于 {where}，{dim} 维",
        ),
        "index_type.flat": ("exact", "精确"),
        "index_type.sq8": ("exact (8-bit compact)", "精确（8 位压缩存储）"),
        "index_type.fp16": ("exact (16-bit compact)", "精确（16 位压缩存储）"),
        "index_type.fastscan": (
            "near-exact (4-bit fast scan, re-ranked)",
            "近乎精确（4 位快速扫描后重排序）",
        ),
        "index_type.hnsw": ("approximate (HNSW)", "近似（HNSW）"),
        "index_type.ivfpq": ("approximate, compressed (OPQ + IVF-PQ)", "近似压缩（OPQ + IVF-PQ）"),
        "index_type.ivfpq_rerank_fp16": (
            "approximate (OPQ + IVF-PQ, re-ranked from fp16)",
            "近似（OPQ + IVF-PQ，经 fp16 副本重排序）",
        ),
        "index_type.ivfpq_rerank_sq8": (
            "approximate (OPQ + IVF-PQ, re-ranked from 8-bit copies)",
            "近似（OPQ + IVF-PQ，经 8 位副本重排序）",
        ),
        "status.recall": (
            " — recall@10 {recall}, measured on {queries} queries when it was built",
            " — recall@10 为 {recall}（建立时用 {queries} 个查询测得）",
        ),
        "status.recall_unknown": (
            " — recall@10 not measured (saved by an older version)",
            " — recall@10 未测量（由旧版本保存）",
        ),
        "status.no_index": ("- **index**: not available — {error}", "- **索引**：不可用 — {error}"),
        "status.uploads": (
            "- **your uploads**: {count} of {limit} images (only you see them; searched "
            "together with the shared gallery)",
            "- **你的上传**：{count} / {limit} 张图片（只有你能看到；与共享图库一起搜索）",
        ),
        "status.memory": ("- **memory**: {mib} MiB resident", "- **内存**：常驻 {mib} MiB"),
        "status.models_memory": (
            "- **model memory**: {loaded} GB of models loaded{budget}{ttl}",
            "- **模型内存**：已加载的模型共 {loaded} GB{budget}{ttl}",
        ),
        "status.budget": (", budget {budget} GB", "，预算 {budget} GB"),
        "status.no_budget": (", no budget", "，不设预算"),
        "status.ttl": (
            "; a model idle for {ttl} is unloaded",
            "；闲置 {ttl}的模型会被卸载",
        ),
        "status.last_unload": (
            "- **last unloaded**: {task} (`{backend}`, {gb} GB) {ago} — {reason}; "
            "it loads again on its next request",
            "- **最近卸载**：{task}（`{backend}`，{gb} GB），{ago} — {reason}；"
            "下次请求时会重新加载",
        ),
        "unload.budget": (
            "to make room within the memory budget",
            "为了给内存预算腾出空间",
        ),
        "unload.ttl": ("idle for {idle}", "闲置了 {idle}"),
        "unload.asked": ("on request", "应请求卸载"),
        "time.seconds": ("{n} s", "{n} 秒"),
        "time.minutes": ("{n} min", "{n} 分钟"),
        "time.hours": ("{n} h", "{n} 小时"),
        "time.ago": ("{span} ago", "{span}前"),
    }
)
FOLD = "<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def fold(summary: str, body: str) -> str:
    """A collapsed ``<details>`` block; markdown inside it still renders (blank lines)."""
    return FOLD.format(summary=summary, body=body)


def status_markdown(
    server: ModelServer,
    gallery: Gallery,
    visitors: VisitorGalleries | None = None,
    session: str | None = None,
    language: str | None = None,
) -> str:
    """The status panel: the ``info`` command's facts, without the index's server path."""
    report = status(server, gallery)
    lang = language

    def say(key: str, **values) -> str:
        return text(key, lang, **values)

    lines = [
        say(
            "status.preset",
            preset=report.preset,
            reason=localised(report.preset_reason, lang),
            device=report.device,
        )
    ]
    for info in report.models:
        lines.append(
            say(
                "status.model",
                task=task_name(info.task, lang),
                model=info.model,
                device=info.device,
                dtype=info.dtype,
                params=f"{info.parameters / 1e6:.1f}",
                mib=f"{info.memory_bytes / 2**20:.0f}",
            )
            + (say("status.random") if info.is_random else "")
        )
    if report.index is not None:
        stats = report.index
        lines.append(
            say(
                "status.index",
                count=stats.count,
                kind=index_type_name(report.index_type.name, lang),
                where="GPU" if stats.on_gpu else "CPU",
                dim=stats.dim,
            )
            + recall_note(report.index_type, lang)
        )
    else:  # shown without the index folder's path that the CLI's wording names
        lines.append(say("status.no_index", error=localised(for_browser(report.error or ""), lang)))
    if visitors is not None:
        mine = visitors.overlay(session)
        lines.append(
            say(
                "status.uploads",
                count=len(mine.index) if mine is not None else 0,
                limit=gallery.settings.visitor_max_images,
            )
        )
    lines.append(say("status.memory", mib=f"{report.memory['rss_mib']:.0f}"))
    if report.memory_limited:
        lines += model_memory_lines(report.model_memory, lang)
    return "\n".join(lines)


def index_type_name(kind: str, language: str | None = None) -> str:
    """The type's name ("exact", "approximate (HNSW)"); an unknown type keeps its own."""
    key = f"index_type.{kind}"
    return text(key, language) if key in registered_keys() else kind


def recall_note(index_type: IndexType, language: str | None = None) -> str:
    """The recall@10 the index measured vs exact search at build time; nothing for plain
    flat (exact by definition: there is nothing to measure)."""
    if index_type.kind == "flat":
        return ""
    if index_type.recall_at_10 is None or not index_type.measured_on:
        return text("status.recall_unknown", language)
    return text(
        "status.recall",
        language,
        recall=f"{index_type.recall_at_10:.2f}",
        queries=f"{index_type.measured_on:,}",
    )


def span(seconds: float, language: str | None = None) -> str:
    """A duration a reader takes in at a glance: "45 s", "12 min", "3 h"."""
    seconds = max(0.0, float(seconds))
    if seconds < 120:
        return text("time.seconds", language, n=f"{seconds:.0f}")
    if seconds < 2 * 3600:
        return text("time.minutes", language, n=f"{seconds / 60:.0f}")
    return text("time.hours", language, n=f"{seconds / 3600:.0f}")


def model_memory_lines(
    state: dict, language: str | None = None, *, now: float | None = None
) -> list[str]:
    """The models' loaded size against the budget, the TTL, and the last unload (if any),
    from ``ModelServer.memory_state()`` (its ``unloaded`` list is newest first)."""
    lang = language
    budget, ttl = state.get("budget_gb"), state.get("ttl_s")
    lines = [
        text(
            "status.models_memory",
            lang,
            loaded=f"{state.get('loaded_gb', 0.0):.2f}",
            budget=(
                text("status.budget", lang, budget=f"{budget:g}")
                if budget is not None
                else text("status.no_budget", lang)
            ),
            ttl=text("status.ttl", lang, ttl=span(ttl, lang)) if ttl is not None else "",
        )
    ]
    unloads = state.get("unloaded") or []
    if unloads:
        last = unloads[0]
        now = time.time() if now is None else now
        reason_key = f"unload.{last['reason']}"
        reason = (
            text(reason_key, lang, idle=span(last["idle_s"], lang))
            if reason_key in registered_keys()
            else str(last["reason"])
        )
        lines.append(
            text(
                "status.last_unload",
                lang,
                task=task_name(last["task"], lang),
                backend=last["backend"],
                gb=f"{last['gb']:.2f}",
                ago=text("time.ago", lang, span=span(now - last["at"], lang)),
                reason=reason,
            )
        )
    return lines


TASKS = ("embed", "caption", "vqa", "sentiment", "image_sentiment")  # in the order of the tabs


def task_name(task: str, language: str | None = None) -> str:
    """A task's name for a visitor ("Caption" / "图片描述"); a task only the server knows by
    name (the fusion head, say) keeps its name."""
    key = f"task.{task}"
    return text(key, language) if key in registered_keys() else task


def models_list(server: ModelServer, language: str | None = None) -> str:
    """One line per task a visitor meets: the model serving it (read from its spec, so the
    banner cannot describe a model that is not the one running)."""
    lines = [text("banner.runs_now", language)]
    for task in TASKS:
        try:
            lines.append(f"- {text('task.' + task, language)}: {server.spec_for(task).label}")
        except MMDemoError:  # a preset without this task
            continue
    return "\n".join(lines)


def preset_note(server: ModelServer, language: str | None = None) -> str:
    """The banner's line for the preset in use, with its fold."""
    lang = language
    why = text("banner.why", lang, reason=localised(server.choice.reason, lang))
    if server.is_random():
        details = f"{text('banner.tiny_details', lang)}\n\n{why}"
        return text("banner.tiny", lang) + "\n\n" + fold(text("banner.tiny_fold", lang), details)
    if server.preset == "lite":
        auto = server.choice.requested == "auto"
        reason = text("banner.lite_why_auto" if auto else "banner.lite_why_set", lang)
        details = f"{why}\n\n{models_list(server, lang)}\n\n{text('banner.lite_details', lang)}"
        line = text("banner.lite", lang, why=reason)
        return line + "\n\n" + fold(text("banner.lite_fold", lang), details)
    details = f"{why}\n\n{models_list(server, lang)}"
    return text("banner.full", lang) + "\n\n" + fold(text("banner.full_fold", lang), details)


def banner_text(server: ModelServer, gallery: Gallery, language: str | None = None) -> str:
    """The banner: the preset's line, then a warning if the gallery does not fit the model."""
    lang = language
    notes = [preset_note(server, lang)]
    warm = server.warm_state()
    if warm.loading:  # start-up: models load in the background; never wait for them here
        loading = text("banner.loading", lang, seconds=f"{warm.seconds:.0f}")
        return "\n\n".join([loading, *notes])
    try:
        mismatch = gallery.mismatch()
    except MMDemoError as err:  # e.g. the model's weights cannot be obtained
        details = fold(text("banner.details", lang), localised(browser_message(err), lang))
        notes.append(text("banner.load_failed", lang) + "\n\n" + details)
    else:
        if mismatch is not None:
            details = fold(text("banner.details", lang), localised(browser_message(mismatch), lang))
            notes.append(text("banner.mismatch", lang) + "\n\n" + details)
    return "\n\n".join(notes)
