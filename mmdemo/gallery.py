"""The searchable image collection: the active embedder + the FAISS index + the image files.

Why a separate service: the UI and the CLI both need "add these files", "search by
text/image/both" and "more like this"; keeping them here keeps the handlers to a few
lines. Reads run concurrently (the index is thread-safe); writes take one lock and end
with an atomic save, so two users adding images at once cannot corrupt the index.
Uploaded files are copied into ``<index_dir>/images`` so results survive the upload
temp folder being cleaned.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from mmdemo.config import Settings
from mmdemo.errors import BadInputError, IndexMismatchError
from mmdemo.imaging import find_images
from mmdemo.pipeline import Progress, embed_files
from mmdemo.serving import ModelServer
from mmdemo.types import AddReport, IndexStats, SearchHit, SearchResult, Unreadable

log = logging.getLogger(__name__)

DEFAULT_TEXT_WEIGHT = 0.3  # image + text search: how much the text pulls the query


def clamp_k(k: object, max_k: int) -> int:
    """A usable result count: out-of-range values are clamped, non-numbers refused."""
    try:
        value = int(float(k))  # gradio sliders may send floats
    except (TypeError, ValueError):
        raise BadInputError(f"The number of results must be a whole number, not {k!r}.") from None
    return max(1, min(value, max_k))


def clean_query(text: object) -> str:
    query = " ".join(str(text or "").split())
    if not query:
        raise BadInputError("The search text is empty: type what you are looking for.")
    return query


class Gallery:
    def __init__(self, server: ModelServer, settings: Settings):
        self.server = server
        self.settings = settings
        self.index_dir = Path(settings.index_dir)
        self.store_dir = self.index_dir / "images"
        self._index = None
        self._init_lock = threading.Lock()
        self._write_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def embedder(self):
        return self.server.get("embed")

    @property
    def index(self):
        """The loaded index; created (and filled with the default gallery) on first use."""
        if self._index is None:
            with self._init_lock:
                if self._index is None:
                    self._index = self._open_index()
        return self._index

    def _new_index(self):
        from mmdemo.index import VectorIndex

        embedder = self.embedder
        return VectorIndex(
            embedder.dim,
            embedder.model_id,
            approx_threshold=self.settings.approx_threshold,
            use_gpu=self.settings.faiss_gpu,
        )

    def _open_index(self):
        from mmdemo.index import VectorIndex

        embedder = self.embedder
        if VectorIndex.exists(self.index_dir):
            index = VectorIndex.load(
                self.index_dir,
                expected_model_id=embedder.model_id,
                expected_dim=embedder.dim,
                approx_threshold=self.settings.approx_threshold,
                use_gpu=self.settings.faiss_gpu,
            )
            log.info("Loaded index from %s (%d images)", self.index_dir, len(index))
            return index
        index = self._new_index()
        gallery_dir = Path(self.settings.gallery_dir)
        if self.settings.index_default_gallery and gallery_dir.is_dir():
            log.info("First start: indexing the default gallery in %s", gallery_dir)
            self._add(index, find_images(gallery_dir), copy=False)
        index.save(self.index_dir)
        return index

    def prepare(self) -> IndexStats:
        """Load the model and the index now (app start-up) rather than on the first request."""
        return self.stats()

    # -- writes ------------------------------------------------------------------------
    def add_files(
        self,
        paths: Sequence[str | Path],
        *,
        names: Sequence[str] | None = None,
        copy: bool = False,
        progress: Progress | None = None,
    ) -> AddReport:
        """Embed and add image files; ``copy`` keeps a private copy (for uploads)."""
        if not paths:
            raise BadInputError("No files given: choose one or more images to add.")
        return self._add(self.index, paths, names=names, copy=copy, progress=progress)

    def add_directory(self, directory: str | Path, progress: Progress | None = None) -> AddReport:
        directory = Path(directory)
        if not directory.is_dir():
            raise BadInputError(f"{directory} is not a folder.")
        paths = find_images(directory)
        if not paths:
            raise BadInputError(f"No images (jpg, jpeg, png, webp, bmp, gif) found in {directory}.")
        return self._add(self.index, paths, progress=progress)

    def _add(self, index, paths, *, names=None, copy=False, progress=None) -> AddReport:
        outcome = embed_files(
            self.embedder,
            [str(p) for p in paths],
            batch_size=self.settings.batch_size,
            num_workers=self.settings.num_workers,
            max_pixels=self.settings.max_image_pixels,
            is_known=index.has_hash,
            progress=progress,
            display_names=names,
        )
        if copy:
            for meta in outcome.metas:
                meta["path"] = self._store_copy(meta["path"], meta["sha256"])
        with self._write_lock:
            ids = index.add(outcome.vectors, outcome.metas) if outcome.metas else []
            added = [i for i in ids if i is not None]
            if added:
                index.save(self.index_dir)
        report = AddReport(
            added=len(added),
            duplicates=outcome.duplicates + (len(ids) - len(added)),
            unreadable=tuple(outcome.unreadable),
            added_ids=tuple(added),
            total=len(index),
        )
        log.info("Index add: %s", report.summary())
        return report

    def _store_copy(self, path: str, sha256: str) -> str:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        target = self.store_dir / f"{sha256[:20]}{Path(path).suffix.lower()}"
        if not target.exists():
            shutil.copyfile(path, target)
        return str(target)

    def reset(self) -> None:
        """Start a fresh, empty index for the active model (replaces any saved one)."""
        with self._init_lock, self._write_lock:
            index = self._new_index()
            index.save(self.index_dir)
            self._index = index

    def remove(self, ids: Sequence[int]) -> int:
        with self._write_lock:
            removed = self.index.remove(ids)
            if removed:
                self.index.save(self.index_dir)
        return removed

    def reembed(self, progress: Progress | None = None) -> AddReport:
        """Rebuild the index with the active model from the files an older index lists."""
        from mmdemo.index import VectorIndex

        with self._init_lock:
            old_paths = []
            if VectorIndex.exists(self.index_dir):
                old = VectorIndex.load(self.index_dir)
                old_paths = [item.path for item in old.items()]
            index = self._new_index()
            missing = [p for p in old_paths if not Path(p).is_file()]
            present = [p for p in old_paths if Path(p).is_file()]
            report = self._add(index, present, progress=progress) if present else None
            index.save(self.index_dir)
            self._index = index
        lost = tuple(Unreadable(Path(p).name, "file no longer exists") for p in missing)
        return AddReport(
            added=report.added if report else 0,
            duplicates=report.duplicates if report else 0,
            unreadable=(report.unreadable if report else ()) + lost,
            added_ids=report.added_ids if report else (),
            total=len(index),
        )

    # -- reads -------------------------------------------------------------------------
    def search_text(self, text: str, k: int = 12) -> SearchResult:
        query = clean_query(text)
        vector = self.embedder.embed_texts([query])[0]
        return self._search(vector, k, kind="text")

    def search_image(
        self, image: Image.Image, k: int = 12, text: str | None = None, text_weight: float = 0.0
    ) -> SearchResult:
        """Image query, optionally mixed with text: normalise(w*text + (1-w)*image)."""
        vector = self.embedder.embed_images([image])[0]
        query = " ".join(str(text or "").split())
        weight = float(text_weight) if query else 0.0
        if not 0.0 <= weight <= 1.0:
            raise BadInputError(f"The text weight must be between 0 and 1, not {text_weight}.")
        if weight > 0:
            text_vector = self.embedder.embed_texts([query])[0]
            vector = (1.0 - weight) * vector + weight * text_vector
            norm = float(np.linalg.norm(vector))
            if norm < 1e-6:
                raise BadInputError(
                    "The image and the text cancel each other out; change the weight."
                )
            vector = vector / norm
        return self._search(vector, k, kind="image", text_weight=weight)

    def search_similar(self, item_id: int, k: int = 12) -> SearchResult:
        """ "More like this": the item's own vector as the query, the item itself left out."""
        try:
            vector = self.index.vector(int(item_id))
            name = Path(self.index.get(int(item_id)).path).name
        except (KeyError, TypeError, ValueError):
            raise BadInputError(f"There is no image with id {item_id!r} in the index.") from None
        result = self._search(vector, k, kind="image", exclude=(int(item_id),))
        return dataclasses.replace(result, message=f"More like {name}: {result.message}")

    def _search(
        self,
        vector: np.ndarray,
        k: object,
        *,
        kind: str,
        text_weight: float = 0.0,
        exclude: Sequence[int] = (),
    ) -> SearchResult:
        k = clamp_k(k, self.settings.max_k)
        index = self.index
        pairs = index.search(vector[None, :], k, exclude_ids=exclude)[0]
        hits = []
        for item_id, score in pairs:
            meta = index.get(item_id)
            hits.append(SearchHit(item_id, float(score), meta.path, meta.caption))
        threshold = self._threshold(kind, text_weight)
        return judge(tuple(hits), threshold, empty_index=len(index) == 0)

    def _threshold(self, kind: str, text_weight: float) -> float | None:
        if self.settings.match_threshold is not None:
            return self.settings.match_threshold
        thresholds = self.embedder.thresholds
        if kind == "image" and text_weight > 0 and "text" in thresholds and "image" in thresholds:
            return text_weight * thresholds["text"] + (1 - text_weight) * thresholds["image"]
        return thresholds.get(kind)

    def stats(self) -> IndexStats:
        return self.index.stats(str(self.index_dir))

    def mismatch(self) -> IndexMismatchError | None:
        """The mismatch error if the saved index belongs to another model (for the UI banner)."""
        try:
            _ = self.index
        except IndexMismatchError as err:
            return err
        return None


def judge(
    hits: tuple[SearchHit, ...], threshold: float | None, *, empty_index: bool
) -> SearchResult:
    """Wrap hits with a verdict: is the best one a confident match for this model?"""
    if empty_index:
        return SearchResult(hits, threshold, False, "The index is empty: add some images first.")
    best = hits[0].score if hits else float("-inf")
    good = threshold is None or best >= threshold
    if good:
        message = f"{len(hits)} result(s); best score {best:.3f}."
    else:
        message = (
            f"No good match: the best score is {best:.3f}, below the {threshold:.2f} this "
            "model needs for a confident match. The closest images are shown anyway."
        )
    return SearchResult(hits, threshold, good, message)
