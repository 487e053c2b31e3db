"""The banner above the tabs and the status panel: which models run and why, what is loaded.

Why the banner is one line and a fold: a first-time visitor (a stakeholder, maybe on a phone)
needs to know which models answer - and, for ``tiny``, that every result is meaningless - but
not the hub repo ids, environment variables and commands that say why and how to change it.
Those sit behind a ``<details>`` fold, so the tabs stay on the first screen at 390 px.
Both are formatted from ``services.status`` and the server's own facts, so the page says what
``python -m mmdemo info`` says - except server paths, which browser users never see.
Every sentence the page shows is a constant here (one place to translate, issue 13).
"""

from __future__ import annotations

from mmdemo.core.errors import MMDemoError, browser_message, for_browser
from mmdemo.services.gallery import Gallery
from mmdemo.services.status import status
from mmdemo.services.visitors import VisitorGalleries
from mmdemo.serving import ModelServer

# -- the banner: one line per preset, details behind a fold ---------------------------------
LITE_LINE = (
    "**Offline models (preset lite)** — {why}, so smaller models that need no internet "
    "answer: real results, but coarser."
)
LITE_WHY_AUTO = "the full models are not on this machine and the Hugging Face hub cannot be reached"
LITE_WHY_SET = "the server was started with them"
LITE_FOLD = "Why, and how to get the full models"
LITE_DETAILS = (
    "The lite models are blind to what ImageNet's 1000 classes do not name, and their captions "
    "are built from those class names. The full models are open_clip ViT-B-32 and BLIP.\n\n"
    "**To get the full models:** on a machine with internet run "
    "`python -m mmdemo download --preset full --dir PATH`, copy PATH to this machine, and "
    "start with `MMDEMO_CACHE_DIR=PATH MMDEMO_PRESET=full python app.py` (docs/deploy.md)."
)
FULL_LINE = "**Full models** — the pretrained models this demo is built for."
FULL_FOLD = "Which models run, and why"
TINY_LINE = (
    "⚠️ **Test models (preset tiny): their weights are random, so every result on this page "
    "is meaningless.**"
)
TINY_FOLD = "How to run real models"
TINY_DETAILS = (
    "Start the app with `MMDEMO_PRESET=lite python app.py` (real models that work offline) "
    "or `MMDEMO_PRESET=full python app.py` (the Hugging Face hub's models)."
)
WHY = "**Why this preset:** {reason}."
RUNS_NOW = "**What runs now:**"
TASK_NAMES = {  # the tasks a visitor meets, in the order of the tabs
    "embed": "Search and Classify (the shared image-text space)",
    "caption": "Caption",
    "vqa": "Ask (VQA)",
    "sentiment": "Sentiment of a text",
    "image_sentiment": "Sentiment of a photo",
}
MISMATCH_LINE = (
    "⚠️ **The saved gallery was built by another model: re-embed it (in the Gallery tab) "
    "before searching.**"
)
LOADING_LINE = (
    "⏳ **Loading the models…** ({seconds:.0f} s so far). You can start already: a request "
    "made now is answered as soon as they are ready."
)
LOAD_FAILED_LINE = "⚠️ **A model could not be loaded, so some tabs cannot answer.**"
DETAILS = "Details"
FOLD = "<details><summary>{summary}</summary>\n\n{body}\n\n</details>"

# -- the status panel ------------------------------------------------------------------------
STATUS_PRESET = "**Preset:** `{preset}` ({reason}) · **device:** `{device}`"
STATUS_MODEL = (
    "- **{task}**: `{model}` on {device} ({dtype}), {params:.1f} M parameters, {mib:.0f} MiB"
)
STATUS_RANDOM = " — *random weights*"
STATUS_INDEX = "- **index**: {count} images, {kind} search on {where}, {dim}-d"
STATUS_NO_INDEX = "- **index**: not available — {error}"
STATUS_UPLOADS = (
    "- **your uploads**: {count} of {limit} images (only you see them; searched together "
    "with the shared gallery)"
)
STATUS_MEMORY = "- **memory**: {mib:.0f} MiB resident"


def fold(summary: str, body: str) -> str:
    """A collapsed ``<details>`` block; markdown inside it still renders (blank lines)."""
    return FOLD.format(summary=summary, body=body)


def status_markdown(
    server: ModelServer,
    gallery: Gallery,
    visitors: VisitorGalleries | None = None,
    session: str | None = None,
) -> str:
    """The status panel: the ``info`` command's facts, without the index's server path."""
    report = status(server, gallery)
    lines = [
        STATUS_PRESET.format(
            preset=report.preset, reason=report.preset_reason, device=report.device
        )
    ]
    for info in report.models:
        lines.append(
            STATUS_MODEL.format(
                task=info.task,
                model=info.model,
                device=info.device,
                dtype=info.dtype,
                params=info.parameters / 1e6,
                mib=info.memory_bytes / 2**20,
            )
            + (STATUS_RANDOM if info.is_random else "")
        )
    if report.index is not None:
        stats = report.index
        lines.append(
            STATUS_INDEX.format(
                count=stats.count,
                kind=stats.kind,
                where="GPU" if stats.on_gpu else "CPU",
                dim=stats.dim,
            )
        )
    else:  # shown without the index folder's path that the CLI's wording names
        lines.append(STATUS_NO_INDEX.format(error=for_browser(report.error or "")))
    if visitors is not None:
        mine = visitors.overlay(session)
        lines.append(
            STATUS_UPLOADS.format(
                count=len(mine.index) if mine is not None else 0,
                limit=gallery.settings.visitor_max_images,
            )
        )
    lines.append(STATUS_MEMORY.format(mib=report.memory["rss_mib"]))
    return "\n".join(lines)


def models_list(server: ModelServer) -> str:
    """One line per task a visitor meets: the model serving it (read from its spec, so the
    banner cannot describe a model that is not the one running)."""
    lines = [RUNS_NOW]
    for task, name in TASK_NAMES.items():
        try:
            lines.append(f"- {name}: {server.spec_for(task).label}")
        except MMDemoError:  # a preset without this task
            continue
    return "\n".join(lines)


def preset_note(server: ModelServer) -> str:
    """The banner's line for the preset in use, with its fold."""
    why = WHY.format(reason=server.choice.reason)
    if server.is_random():
        return TINY_LINE + "\n\n" + fold(TINY_FOLD, f"{TINY_DETAILS}\n\n{why}")
    if server.preset == "lite":
        auto = server.choice.requested == "auto"
        line = LITE_LINE.format(why=LITE_WHY_AUTO if auto else LITE_WHY_SET)
        return line + "\n\n" + fold(LITE_FOLD, f"{why}\n\n{models_list(server)}\n\n{LITE_DETAILS}")
    return FULL_LINE + "\n\n" + fold(FULL_FOLD, f"{why}\n\n{models_list(server)}")


def banner_text(server: ModelServer, gallery: Gallery) -> str:
    """The banner: the preset's line, then a warning if the gallery does not fit the model."""
    notes = [preset_note(server)]
    warm = server.warm_state()
    if warm.loading:  # start-up: models load in the background; never wait for them here
        return "\n\n".join([LOADING_LINE.format(seconds=warm.seconds), *notes])
    try:
        mismatch = gallery.mismatch()
    except MMDemoError as err:  # e.g. the model's weights cannot be obtained
        notes.append(LOAD_FAILED_LINE + "\n\n" + fold(DETAILS, browser_message(err)))
    else:
        if mismatch is not None:
            notes.append(MISMATCH_LINE + "\n\n" + fold(DETAILS, browser_message(mismatch)))
    return "\n\n".join(notes)
