"""Caption every indexed image and keep the captions in the index metadata.

Why a job of its own: captions make the gallery searchable by words (hybrid text search)
and let an image be answered with text (image -> text search), but a generative
captioner is slow on a CPU. So the job works in batches and saves the index after every
batch: an interrupted run (Ctrl-C, a closed browser tab, a crash) keeps what it did, and
the next run skips images that already have a caption. Files that cannot be read are
reported by name and skipped; they never stop the job. A caption the model marks
``unsure`` (lite's label captions when the classifier only guesses) is not stored: a wrong
label would be matched by every later word search; those files are listed in the report.

Which model captioned is not stored per item: ``ItemMeta`` has no free-form field, so the
report (and the log) name the model instead.

``language`` asks for the captions in that language where the model writes it (the
label-based captioner writes Chinese; the default and the CLI keep English). A model that
writes English only (BLIP) captions in English, and the report's model name says so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from mmdemo.core.errors import BadInputError, MMDemoError, UnknownNameError
from mmdemo.core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from mmdemo.core.imaging import load_image
from mmdemo.core.results import CaptionReport, CaptionResult, ItemMeta
from mmdemo.services.ingest import Progress

log = logging.getLogger(__name__)
CAPTION_BATCH_SIZE = 8  # small: the index is saved after each batch, and BLIP is slow on CPU


def model_name(backend: Any) -> str:
    """A readable name for the caption backend (for the report and the log)."""
    try:
        info = backend.info()
        return f"{info.backend} ({info.model})"
    except Exception:  # a minimal backend without info(): its class name will do
        return type(backend).__name__


def writes(backend: Any, language: str) -> bool:
    """Whether the caption backend writes ``language`` (its declared languages)."""
    spec = getattr(backend, "spec", None)
    languages = spec.capabilities.languages if spec is not None else (DEFAULT_LANGUAGE,)
    return language == DEFAULT_LANGUAGE or language in languages


def caption_gallery(
    gallery,
    server,
    *,
    batch_size: int = CAPTION_BATCH_SIZE,
    overwrite: bool = False,
    progress: Progress | None = None,
    options: Mapping[str, Any] | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> CaptionReport:
    """Caption the indexed images that have no caption (all of them with ``overwrite``).

    Uses the backend's ``caption_many`` when it has one (one batched forward), else
    ``caption`` per image. ``options`` go to the backend unchanged (plus ``language`` when
    the backend writes it).
    """
    if language not in LANGUAGES:
        raise UnknownNameError("caption language", language, LANGUAGES)
    started = time.perf_counter()
    try:
        size = int(batch_size)
    except (TypeError, ValueError):
        raise BadInputError(f"The batch size must be a whole number, not {batch_size!r}.") from None
    if size < 1:
        raise BadInputError(f"The batch size must be at least 1, not {size}.")
    index = gallery.index
    items = index.items()
    todo = [m for m in items if overwrite or not m.caption]
    skipped = len(items) - len(todo)
    backend = server.get("caption")
    model = model_name(backend)
    options = dict(options or {})
    if language != DEFAULT_LANGUAGE:
        if writes(backend, language):
            options["language"] = language
        else:
            model += "; writes English only, so the captions are in English"
    failed: list[tuple[str, str]] = []
    unsure: list[str] = []
    captioned = 0
    log.info(
        "Captioning %d of %d image(s) with %s, %d per batch", len(todo), len(items), model, size
    )
    if progress is not None:
        progress(0, len(todo))
    done = 0
    for start in range(0, len(todo), size):
        batch = todo[start : start + size]
        captions = _caption_batch(backend, batch, options, gallery.settings, failed, unsure)
        stored = gallery.store_captions(captions, overwrite=overwrite, index=index)
        captioned += stored
        skipped += len(captions) - stored  # captioned (or removed) by someone else meanwhile
        done += len(batch)
        log.info("Captioned %d/%d (%d stored so far)", done, len(todo), captioned)
        if progress is not None:
            progress(done, len(todo))
    report = CaptionReport(
        captioned=captioned,
        skipped=skipped,
        failed=failed,
        seconds=time.perf_counter() - started,
        model=model,
        total=len(index),
        unsure=unsure,
    )
    log.info("Caption gallery: %s", report.summary())
    return report


def _caption_batch(
    backend, batch: Sequence[ItemMeta], options: dict, settings, failed: list, unsure: list
) -> dict[int, str]:
    """{item id: caption} for one batch; unreadable or uncaptionable items go to ``failed``,
    captions the model is not sure of to ``unsure`` (by file name), never to the index."""
    images: list[Image.Image] = []
    metas: list[ItemMeta] = []
    for meta in batch:
        name = Path(meta.path).name
        try:
            images.append(load_image(meta.path, name=name, max_pixels=settings.max_image_pixels))
            metas.append(meta)
        except MMDemoError as err:
            log.warning("Cannot caption %s: %s", meta.path, err)
            failed.append((name, getattr(err, "problem", None) or str(err)))
    if not images:
        return {}
    results = _run_backend(backend, images, metas, options, failed)
    captions = {}
    for meta, result in zip(metas, results, strict=True):
        if result is None or not (result.caption and result.caption.strip()):
            continue
        if result.unsure:
            unsure.append(Path(meta.path).name)
            continue
        captions[meta.id] = result.caption.strip()
    return captions


def _run_backend(
    backend, images: list[Image.Image], metas: list[ItemMeta], options: dict, failed: list
) -> list[CaptionResult | None]:
    """Batched when possible; if the batch call fails, per image, so one bad image costs one."""
    many = getattr(backend, "caption_many", None)
    if many is not None:
        try:
            results = list(many(images, **options))
            if len(results) == len(images):
                return results
            log.warning("caption_many returned %d results for %d images", len(results), len(images))
        except Exception:  # fall back to one at a time to find the image that fails
            log.warning("Batched captioning failed; retrying one image at a time", exc_info=True)
    results: list[CaptionResult | None] = []
    for image, meta in zip(images, metas, strict=True):
        name = Path(meta.path).name
        try:
            results.append(backend.caption(image, **options))
        except MMDemoError as err:
            log.warning("Cannot caption %s: %s", meta.path, err)
            failed.append((name, str(err)))
            results.append(None)
        except Exception as err:  # one odd image must not stop a long job; the log has it
            log.exception("Captioning %s failed", meta.path)
            failed.append((name, f"captioning failed ({type(err).__name__}: {err})"))
            results.append(None)
    return results
