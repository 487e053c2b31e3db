"""The banner above the tabs and the status panel: which preset runs and why, what is loaded.

Both are formatted from ``services.status`` and the server's own facts, so the page says
exactly what ``python -m mmdemo info`` says.
"""

from __future__ import annotations

from mmdemo.core.errors import MMDemoError
from mmdemo.services.gallery import Gallery
from mmdemo.services.status import status
from mmdemo.services.visitors import VisitorGalleries
from mmdemo.serving import ModelServer

LITE_BANNER = (
    "ℹ️ **Preset `lite`** ({why}): real pretrained models that install from PyPI and need no "
    "network. Search and classification use EfficientNet-Lite0 (ImageNet) and the "
    "all-MiniLM-L6-v2 sentence encoder joined through the 1000 ImageNet class names; "
    "captions are built from the classifier's labels; sentiment is VADER's lexicon; VQA is "
    "our own easy-VQA shapes model plus similarity answers for photos. Results are real but "
    "coarser than `full` (open_clip ViT-B-32) and blind to what ImageNet has no class for. "
    "**To get `full`:** on a machine with internet run `python -m mmdemo download --preset "
    "full --dir PATH`, copy PATH here, and start with `MMDEMO_CACHE_DIR=PATH MMDEMO_PRESET=full "
    "python app.py`."
)


def status_markdown(
    server: ModelServer,
    gallery: Gallery,
    visitors: VisitorGalleries | None = None,
    session: str | None = None,
) -> str:
    report = status(server, gallery)
    lines = [
        f"**Preset:** `{report.preset}` ({report.preset_reason}) · **device:** `{report.device}`"
    ]
    for info in report.models:
        random_note = " — *random weights*" if info.is_random else ""
        lines.append(
            f"- **{info.task}**: `{info.model}` on {info.device} ({info.dtype}), "
            f"{info.parameters / 1e6:.1f} M parameters, {info.memory_bytes / 2**20:.0f} MiB"
            f"{random_note}"
        )
    if report.index is not None:
        stats = report.index
        where = "GPU" if stats.on_gpu else "CPU"
        lines.append(
            f"- **index**: {stats.count} images, {stats.kind} search on {where}, "
            f"{stats.dim}-d, `{stats.directory}`"
        )
    else:
        lines.append(f"- **index**: not available — {report.error}")
    if visitors is not None:
        mine = visitors.overlay(session)
        count = len(mine.index) if mine is not None else 0
        lines.append(
            f"- **your uploads**: {count} of {gallery.settings.visitor_max_images} images "
            "(only you see them; searched together with the shared gallery)"
        )
    lines.append(f"- **memory**: {report.memory['rss_mib']:.0f} MiB resident")
    return "\n".join(lines)


def banner_text(server: ModelServer, gallery: Gallery) -> str:
    notes = []
    if server.preset == "lite":
        why = (
            f"chosen automatically: {server.choice.reason}"
            if server.choice.requested == "auto"
            else "chosen with MMDEMO_PRESET"
        )
        notes.append(LITE_BANNER.format(why=why))
    if server.is_random():
        notes.append(
            "⚠️ **Test preset `tiny`:** these models have random weights, so every result "
            "below is meaningless. Start with `MMDEMO_PRESET=lite` (works offline) or `full` "
            "for real models."
        )
    warm = server.warm_state()
    if warm.loading:  # start-up: models load in the background; never wait for them here
        loading = (
            f"⏳ **Loading the models…** ({warm.seconds:.0f} s so far). You can start "
            "already: a request made now is answered as soon as they are ready."
        )
        return "\n\n".join([loading, *notes])
    try:
        mismatch = gallery.mismatch()
    except MMDemoError as err:  # e.g. the model's weights cannot be obtained
        notes.append(f"⚠️ {err}")
    else:
        if mismatch is not None:
            notes.append(f"⚠️ {mismatch} Use **Re-embed the index** under *Gallery & status*.")
    return "\n\n".join(notes)
