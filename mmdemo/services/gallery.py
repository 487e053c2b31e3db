"""The gallery: the searchable collection of images (the FAISS index plus the image files).

Why a service: the UI and the CLI both add files, remove them, rebuild the index and store
captions; keeping that here keeps the handlers to a few lines. Queries over it are
``services.search``; who may change it is ``services.access``.

One writer discipline: every change (add, remove, store captions, reset, re-embed) happens
under one lock and ends with an atomic save, and each change applies to the index that is
current *when it takes the lock*. So an add that was embedding while a re-embed ran goes
into the new index, never into the one being replaced: nothing reported added is lost.
The slow part of an add (decoding, embedding, copying) runs before the lock; a re-embed
holds it throughout, so adds wait for it. Reads never take this lock (the index has its
own). Uploaded files are kept as safe copies (``stored_files``) in ``store_dir``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadImageError, BadInputError, IndexMismatchError, StorageError
from mmdemo.core.imaging import find_images
from mmdemo.core.results import AddReport, Duplicate, IndexStats, Unreadable
from mmdemo.services.ingest import EmbedOutcome, Progress, embed_files
from mmdemo.services.stored_files import remove_leftovers, store_copy
from mmdemo.services.thumbnails import prune as prune_thumbnails
from mmdemo.serving import ModelServer

log = logging.getLogger(__name__)


MAX_IDS = 1000  # ids in one remove request


def parse_ids(value) -> list[int]:
    """Item ids from "3, 7 12" or a list; anything else is refused before any work."""
    parts = value if isinstance(value, list | tuple) else re.split(r"[\s,;]+", str(value or ""))
    parts = [p for p in parts if str(p).strip()]
    if not parts:
        raise BadInputError("No image ids given: type the ids to remove (e.g. 3, 7, 12).")
    if len(parts) > MAX_IDS:
        raise BadInputError(f"{len(parts)} ids in one request; the limit is {MAX_IDS}.")
    ids = []
    for part in parts:
        try:
            ids.append(int(str(part).strip()))
        except ValueError:
            shown = str(part).strip()[:40]
            raise BadInputError(
                f"Image ids are whole numbers (as the search results show), not {shown!r}."
            ) from None
    return ids


def _report(index, outcome, metas, ids, unreadable) -> AddReport:
    """The add report: counts, and each skipped file by name (``ids`` align with ``metas``).

    An id of None is an image that another add put in while this one was embedding: a
    duplicate too, named after the item that holds it now.
    """
    added = [i for i in ids if i is not None]
    late = {meta["sha256"]: meta["name"] for meta, i in zip(metas, ids, strict=True) if i is None}
    holder = {m.sha256: m.display_name for m in index.items() if m.sha256 in late} if late else {}
    duplicate_of = tuple(outcome.duplicate_of) + tuple(
        Duplicate(name, holder.get(sha)) for sha, name in late.items()
    )
    return AddReport(
        added=len(added),
        duplicates=outcome.duplicates + len(late),
        unreadable=tuple(unreadable),
        added_ids=tuple(added),
        total=len(index),
        duplicate_of=duplicate_of,
    )


class Gallery:
    """One index folder and its stored copies; thread-safe (see the module docstring)."""

    def __init__(
        self,
        server: ModelServer,
        settings: Settings,
        *,
        store_dir: Path | None = None,
        first_id: int = 0,
    ):
        self.server = server
        self.settings = settings
        self.index_dir = Path(settings.index_dir)
        self.store_dir = Path(store_dir) if store_dir is not None else self.index_dir / "images"
        self.first_id = first_id  # where a new index starts counting (overlays start high)
        self._index = None
        self._lock = threading.RLock()  # the one writer lock (re-entrant: reset adds)
        if remove_leftovers(self.store_dir):  # temp files of copies killed mid-write
            log.info("Removed unfinished copies in %s", self.store_dir)

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def embedder(self):
        return self.server.get("embed")

    @property
    def index(self):
        """The loaded index; created (and filled with the default gallery) on first use."""
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = self._open_index()
        return self._index

    def _new_index(self, first_id: int = 0):
        from mmdemo.index import VectorIndex

        embedder = self.embedder
        return VectorIndex(
            embedder.dim,
            embedder.model_id,
            use_gpu=self.settings.faiss_gpu,
            first_id=max(first_id, self.first_id),
            **self.settings.index_limits(),
        )

    def _open_index(self):
        from mmdemo.index import VectorIndex

        embedder = self.embedder
        if VectorIndex.exists(self.index_dir):
            index = VectorIndex.load(
                self.index_dir,
                expected_model_id=embedder.model_id,
                expected_dim=embedder.dim,
                use_gpu=self.settings.faiss_gpu,
                **self.settings.index_limits(),
            )
            log.info("Loaded index from %s (%d images)", self.index_dir, len(index))
            return index
        index = self._new_index()
        self._index_default_gallery(index)
        self._save(index, "the new index", changed_in_place=False)
        return index

    def _index_default_gallery(self, index) -> None:
        gallery_dir = Path(self.settings.gallery_dir)
        if self.settings.index_default_gallery and gallery_dir.is_dir():
            log.info("Indexing the default gallery in %s", gallery_dir)
            self._embed_into(index, find_images(gallery_dir))

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
        """Embed and add image files; ``copy`` keeps a safe private copy (for uploads)."""
        if not paths:
            raise BadInputError("No files given: choose one or more images to add.")
        limit = self.settings.max_upload_files
        if copy and len(paths) > limit:
            raise BadInputError(
                f"{len(paths)} files in one upload; the limit is {limit}. Add them in parts."
            )
        return self._add(paths, names=names, copy=copy, progress=progress)

    def add_directory(self, directory: str | Path, progress: Progress | None = None) -> AddReport:
        directory = Path(directory)
        if not directory.is_dir():
            raise BadInputError(f"{directory} is not a folder.")
        paths = find_images(directory)
        if not paths:
            raise BadInputError(f"No images (jpg, jpeg, png, webp, bmp, gif) found in {directory}.")
        return self._add(paths, progress=progress)

    def _embed(self, index, paths, names=None, progress=None):
        shown = {item.sha256: item.display_name for item in index.items()}
        return embed_files(
            self.embedder,
            [str(p) for p in paths],
            batch_size=self.settings.batch_size,
            num_workers=self.settings.num_workers,
            max_pixels=self.settings.max_image_pixels,
            is_known=index.has_hash,
            progress=progress,
            display_names=names,
            known_as=shown.get,
        )

    def _embed_into(self, index, paths, progress=None, names=None) -> AddReport:
        """Embed ``paths`` straight into ``index`` (first start, reset, re-embed: locked)."""
        outcome = self._embed(index, paths, names, progress)
        ids = index.add(outcome.vectors, outcome.metas) if outcome.metas else []
        return _report(index, outcome, outcome.metas, ids, outcome.unreadable)

    def _add(self, paths, *, names=None, copy=False, progress=None) -> AddReport:
        outcome = self._embed(self.index, paths, names, progress)
        if copy:  # before the lock: copying is I/O; a file that fails is skipped, by name
            shown = dict(zip((str(p) for p in paths), names or (), strict=False))
            unreadable, metas, kept = list(outcome.unreadable), outcome.metas, []
            for row, meta in enumerate(metas):
                name = shown.get(meta["path"]) or Path(meta["path"]).name
                try:
                    meta["path"] = store_copy(
                        meta["path"],
                        meta["sha256"],
                        self.store_dir,
                        name=name,
                        max_pixels=self.settings.max_image_pixels,
                    )
                    kept.append(row)
                except BadImageError as err:
                    unreadable.append(Unreadable(err.filename, err.problem))
            outcome = dataclasses.replace(
                outcome,
                vectors=outcome.vectors[kept],
                metas=[metas[row] for row in kept],
                unreadable=unreadable,
            )
        return self.add_outcome(outcome)

    def add_outcome(self, outcome: EmbedOutcome) -> AddReport:
        """Add vectors embedded elsewhere (the local add, the Ray engine's merge) as one
        locked step: into the index current *now* (a re-embed may have replaced the one
        they were checked against), saved atomically, reported with the duplicates and
        unreadable files the embedding found plus the rows another add put in meanwhile."""
        with self._lock:
            index = self.index
            ids = index.add(outcome.vectors, outcome.metas) if outcome.metas else []
            if any(i is not None for i in ids):
                self._save(index, "the new images")
        report = _report(index, outcome, outcome.metas, ids, outcome.unreadable)
        log.info("Index add: %s", report.summary())
        return report

    def remove(self, ids: Iterable[int]) -> int:
        """Remove items by id (unknown ids are ignored); their stored copies go too."""
        with self._lock:
            index = self.index
            wanted = {int(i) for i in ids}
            paths = [m.path for m in index.items() if m.id in wanted]
            removed = index.remove(wanted)
            if removed:
                self._save(index, "the removal")
                self._delete_unreferenced(paths, index)
        return removed

    def reset(self, *, to_default: bool = True) -> AddReport:
        """Back to the default gallery (or empty): uploads and their copies are dropped.

        Ids keep counting from where the old index stopped, so an old id never names a
        different image.
        """
        with self._lock:
            old = self._current_or_saved()
            index = self._new_index(first_id=old.next_id if old is not None else 0)
            if to_default:
                self._index_default_gallery(index)
            self._save(index, "the reset gallery", changed_in_place=False)
            self._index = index
            if old is not None:
                self._delete_unreferenced([m.path for m in old.items()], index)
        return AddReport(added=len(index), duplicates=0, total=len(index))

    def store_captions(
        self, captions: Mapping[int, str], *, overwrite: bool = False, index=None
    ) -> int:
        """Write captions into the metadata and save, as one locked step (one per batch).

        Items removed meanwhile are skipped, and so are items captioned meanwhile unless
        ``overwrite``. ``index`` is the index the captions were made for: if it was replaced
        (rebuilt) since, nothing is written. Returns how many captions were stored.
        """
        with self._lock:
            current = self.index
            if index is not None and index is not current:
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
                self._save(current, "the captions")
        return stored

    def reembed(self, progress: Progress | None = None) -> AddReport:
        """Rebuild the index with the active model from the files the current one lists.

        Holds the writer lock throughout: adds that arrive meanwhile wait, then go into the
        new index. Captions describe the image, not the embedding: they are kept (by hash).
        """
        with self._lock:
            old = self._current_or_saved()
            items = old.items() if old is not None else []
            captions = {item.sha256: item.caption for item in items if item.caption}
            index = self._new_index(first_id=old.next_id if old is not None else 0)
            present = [item for item in items if Path(item.path).is_file()]
            missing = [item.display_name for item in items if not Path(item.path).is_file()]
            report = (
                self._embed_into(
                    index,
                    [item.path for item in present],
                    progress,
                    names=[item.display_name for item in present],
                )
                if present
                else AddReport(0, 0)
            )
            for item in index.items():
                if item.sha256 in captions:
                    index.update_meta(item.id, caption=captions[item.sha256])
            self._save(index, "the re-embedded index", changed_in_place=False)
            self._index = index
        lost = tuple(Unreadable(name, "file no longer exists") for name in missing)
        return AddReport(
            added=report.added,
            duplicates=report.duplicates,
            unreadable=report.unreadable + lost,
            added_ids=report.added_ids,
            total=len(index),
        )

    def _save(self, index, what: str, *, changed_in_place: bool = True) -> None:
        """Save ``index``; if the disk refuses, go back to what is saved and say so.

        The save is the commit point: when it fails, an index changed in place is dropped
        and reloaded from disk on the next read, so what is searched is always what was
        saved, and a visitor is never told "added" for an image that is not on disk.
        """
        try:
            index.save(self.index_dir)
        except OSError as err:
            if changed_in_place:
                self._index = None
            raise StorageError(what, err) from err

    def _current_or_saved(self):
        """The loaded index, else the saved one even if another model built it (re-embed)."""
        from mmdemo.index import VectorIndex

        if self._index is not None:
            return self._index
        if VectorIndex.exists(self.index_dir):
            # the same limits, so loading it does not rebuild it as another type first
            return VectorIndex.load(self.index_dir, use_gpu=False, **self.settings.index_limits())
        return None

    def _delete_unreferenced(self, paths: Iterable[str], index) -> None:
        """Delete stored copies (only files in ``store_dir``) that no item names any more,
        and the thumbnails of images no item holds any more."""
        still = {m.path for m in index.items()}
        root = self.store_dir.resolve()
        for path in set(paths) - still:
            file = Path(path)
            if file.resolve().parent == root and file.is_file():
                file.unlink(missing_ok=True)
        prune_thumbnails(self, (m.sha256 for m in index.items()))

    # -- reads -------------------------------------------------------------------------
    def stats(self) -> IndexStats:
        return self.index.stats(str(self.index_dir))

    def mismatch(self) -> IndexMismatchError | None:
        """The mismatch error if the saved index belongs to another model (for the UI banner)."""
        try:
            _ = self.index
        except IndexMismatchError as err:
            return err
        return None
