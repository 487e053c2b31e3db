"""The gallery: the searchable collection of images (the FAISS index plus the image files).

Why a service: the UI and the CLI both add files, remove them, rebuild the index and store
captions; keeping that here keeps the handlers to a few lines. Reads (``index``) run
concurrently (the index is thread-safe); writes take one lock and end with an atomic save,
so two visitors adding images at once cannot corrupt the index. Uploaded files are copied
into ``<index_dir>/images`` so results survive the upload temp folder being cleaned.
Queries over the gallery are ``services.search``.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError, IndexMismatchError
from mmdemo.core.imaging import find_images
from mmdemo.core.results import AddReport, IndexStats, Unreadable
from mmdemo.services.ingest import Progress, embed_files
from mmdemo.serving import ModelServer

log = logging.getLogger(__name__)


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

    def store_captions(
        self, captions: Mapping[int, str], *, overwrite: bool = False, index=None
    ) -> int:
        """Write captions into the metadata and save, as one locked step (one per batch).

        Under the write lock so a save never interleaves with an add. Items removed meanwhile
        are skipped, and so are items captioned meanwhile unless ``overwrite``. ``index`` is
        the index the captions were made for: if it was replaced (rebuilt) since, nothing is
        written. Returns how many captions were stored.
        """
        opened = self.index  # before the locks: opening it takes the init lock
        # the init lock too: reembed() swaps the index under it alone, and a save of the old
        # index after the swap would overwrite the new one on disk
        with self._init_lock, self._write_lock:
            current = self._index
            if current is not opened or (index is not None and index is not current):
                raise BadInputError(
                    "The index was rebuilt while the gallery was being captioned; "
                    "caption the gallery again."
                )
            stored = 0
            for item_id, caption in captions.items():
                try:
                    meta = current.get(item_id)
                except KeyError:
                    continue
                if meta.caption and not overwrite:
                    continue
                current.update_meta(item_id, caption=caption)
                stored += 1
            if stored:
                current.save(self.index_dir)
        return stored

    def reembed(self, progress: Progress | None = None) -> AddReport:
        """Rebuild the index with the active model from the files an older index lists."""
        from mmdemo.index import VectorIndex

        with self._init_lock:
            old_paths, captions = [], {}
            if VectorIndex.exists(self.index_dir):
                old = VectorIndex.load(self.index_dir)
                old_paths = [item.path for item in old.items()]
                # Captions describe the image, not the embedding: keep them (by content hash).
                captions = {item.sha256: item.caption for item in old.items() if item.caption}
            index = self._new_index()
            missing = [p for p in old_paths if not Path(p).is_file()]
            present = [p for p in old_paths if Path(p).is_file()]
            report = self._add(index, present, progress=progress) if present else None
            for item in index.items():
                if item.sha256 in captions:
                    index.update_meta(item.id, caption=captions[item.sha256])
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

    def stats(self) -> IndexStats:
        return self.index.stats(str(self.index_dir))

    def mismatch(self) -> IndexMismatchError | None:
        """The mismatch error if the saved index belongs to another model (for the UI banner)."""
        try:
            _ = self.index
        except IndexMismatchError as err:
            return err
        return None
