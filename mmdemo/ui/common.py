"""Pieces every tab shares: what a tab is given, error display, the image upload box, safe
upload decoding, the model menu and the random-weights warning.

Uploads are decoded by our own safe loader (events with image inputs use
``preprocess=False`` so Gradio never decodes a corrupt file itself).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from mmdemo.core.config import Settings
from mmdemo.core.errors import (
    IndexError_,
    MMDemoError,
    ModelLoadError,
    StorageError,
    browser_message,
    for_browser,
)
from mmdemo.core.imaging import image_from_upload, require_inside
from mmdemo.services import tasks
from mmdemo.services.access import Access
from mmdemo.services.gallery import Gallery
from mmdemo.services.search import GallerySearch
from mmdemo.services.visitors import VisitorGalleries
from mmdemo.serving import ModelServer
from mmdemo.ui.i18n import localised, register, t, text

log = logging.getLogger(__name__)

# The queue (Gradio's concurrency group) each task's events run in. Why per model: Gradio
# lets each group run ``default_concurrency_limit`` events at once (app.py), so a burst of
# slow captions fills the caption group only - searches, answers and sentiment keep being
# served. Events on the same model share its group: all searches and Classify use the
# embedder; caption and VQA also set their limit to the micro-batch size.
MODEL_QUEUE = {
    "embed": "model-embed",
    "classify": "model-embed",
    "caption": "model-caption",
    "vqa": "model-vqa",
    "sentiment": "model-sentiment",
    "chat": "model-chat",
    "generate": "model-generate",
}


@dataclass(frozen=True)
class LanguageView:
    """Components whose text is composed on the server, and how to render them in a language."""

    outputs: Sequence[gr.components.Component]
    render: Callable[[str], Any]  # language -> one value per output (a tuple if several)


@dataclass(frozen=True)
class TabContext:
    """Everything a tab's ``build`` receives: the services, never globals.

    ``visitors`` is set in per-visitor mode: a request's uploads then live in the overlay
    of its browser session (``overlay(request)``), searched together with the base gallery.
    ``views`` collects the text each tab composes on the server (``in_language``): the page
    renders it when it loads and again on every language switch.
    """

    server: ModelServer
    gallery: Gallery
    search: GallerySearch
    access: Access
    visitors: VisitorGalleries | None = None
    views: list[LanguageView] = field(default_factory=list)

    def in_language(self, outputs, render: Callable[[str], Any]) -> None:
        """Show ``render(language)`` in ``outputs`` (a component or a list) in the page's
        language: on load and on every switch (text naming the model, counts...)."""
        outputs = list(outputs) if isinstance(outputs, list | tuple) else [outputs]
        self.views.append(LanguageView(outputs, render))

    @property
    def settings(self) -> Settings:
        return self.server.settings

    def overlay(self, request: gr.Request | None, *, create: bool = False) -> Gallery | None:
        """This visitor's own gallery (per-visitor mode), or None (shared mode)."""
        if self.visitors is None:
            return None
        return self.visitors.overlay(session_of(request), create=create)

    def upload_image(self, value):
        """Decode one uploaded image with the safe loader and this app's pixel limit."""
        return upload_image(value, self.settings.max_image_pixels)


def session_of(request: gr.Request | None) -> str | None:
    """The browser session a request belongs to (each gradio_client Client is one too)."""
    return getattr(request, "session_hash", None) if request is not None else None


register(
    {
        # The toast for an error we did not expect (a bug): the details go to the server log.
        "error.unexpected": (
            "Something went wrong on our side ({kind}). The server log has the details; "
            "please try again or report it.",
            "我们这边出了问题（{kind}）。详情在服务器日志里；请重试，或报告这个问题。",
        ),
        "common.random_note": (
            "⚠️ *Random test weights (preset `tiny`): this output is meaningless.*",
            "⚠️ *随机测试权重（预设 `tiny`）：这个结果没有意义。*",
        ),
        "common.model": ("Model", "模型"),
        "error.title": ("Error", "出错了"),  # the toast's heading (Gradio's own is English)
    }
)


def friendly(fn: Callable) -> Callable:
    """Show our own errors as a Gradio error toast in their browser wording (plain text, no
    server paths: ``core.errors.browser_message``), in the visitor's language (the English
    message through ``core.i18n``'s catalogue); log anything unexpected in full.

    Errors whose remedy is for the server's owner (a model that cannot load) are also
    logged in their full wording, with the paths and commands the toast leaves out."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error as err:
            err.message = localised(for_browser(err.message))
            if err.title == "Error":  # Gradio's default heading, in the visitor's language
                err.title = text("error.title")
            raise
        except MMDemoError as err:
            if isinstance(err, ModelLoadError | StorageError | IndexError_):
                log.warning("%s", err)
            message = localised(browser_message(err))
            raise gr.Error(message, title=text("error.title"), print_exception=False) from err
        except Exception as err:
            log.exception("Unexpected error in %s", fn.__name__)
            message = text("error.unexpected", kind=type(err).__name__)
            raise gr.Error(message, title=text("error.title")) from err

    return wrapper


def examples_per_language(
    rows_for: Callable[[str], list], inputs: list, label, elem_id: str, languages
) -> dict[str, gr.Dataset]:
    """One ``gr.Examples`` per language that has rows (``rows_for(language)``), English shown
    first; the tab's ``in_language`` render shows the visitor's (``shown_examples``).

    Why separate tables rather than new samples on a switch: Gradio restores an Examples
    table's build-time samples when one is clicked, so a swapped-in list would not stick."""
    sets = {}
    for language in languages:
        rows = rows_for(language)
        if rows:
            sets[language] = gr.Examples(
                rows,
                inputs=inputs,
                label=label,
                elem_id=elem_id + ("" if language == "en" else f"-{language}"),
                visible=language == "en",
            ).dataset
    return sets


def shown_examples(sets: dict[str, gr.Dataset], language: str) -> tuple:
    """Updates showing ``language``'s table (English where it has none) and hiding the rest."""
    chosen = language if language in sets else "en"
    return tuple(gr.update(visible=found == chosen) for found in sets)


def image_input(label: str, elem_id: str, height: int = 260) -> gr.Image:
    """An image upload box; events reading it use preprocess=False (see module docstring)."""
    return gr.Image(
        label=label,
        type="filepath",
        height=height,
        elem_id=elem_id,
        sources=["upload", "clipboard"],
    )


def upload_root() -> str:
    """Gradio's upload folder: the only place raw upload payloads may point into."""
    from gradio.utils import get_upload_folder

    return get_upload_folder()


def upload_image(value, max_pixels: int):
    """Decode one uploaded image with our safe loader, refusing paths outside the uploads."""
    return image_from_upload(value, allowed_root=upload_root(), max_pixels=max_pixels)


def upload_paths(value) -> tuple[list[str], list[str]]:
    """Paths and original names from a (multi-)file input's raw payload, confined to uploads."""
    items = value if isinstance(value, list) else [value] if value else []
    paths, names = [], []
    for item in items:
        if isinstance(item, dict):
            path = item.get("path")
            name = item.get("orig_name") or Path(str(path)).name
        else:
            path = getattr(item, "path", None) or getattr(item, "name", None) or item
            name = Path(str(path)).name
        if path:
            paths.append(str(require_inside(path, upload_root(), str(name))))
            names.append(str(name))
    return paths, names


def random_note(random_weights: bool, language: str | None = None) -> str:
    """The page's wording of a result's ``random_weights`` (tiny): never shown as real."""
    if random_weights:
        return text("common.random_note", language) + "\n\n"
    return ""


def model_dropdown(server: ModelServer, task: str, elem_id: str) -> gr.Dropdown:
    """The models a person may pick for ``task``, labelled by their specs (hidden if one)."""
    choices = tasks.model_choices(server, task)
    return gr.Dropdown(
        [(choice.label, choice.name) for choice in choices],
        value=choices[0].name,
        label=t("common.model"),
        elem_id=elem_id,
        visible=len(choices) > 1,
    )
