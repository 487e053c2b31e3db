"""Per-visitor galleries: each browser session's uploads in a small index of its own.

Why: on a public Space one process serves everyone. In ``per-visitor`` mode the default
gallery is a read-only base and a visitor's uploads go to their *overlay* - its own index
folder and stored copies - which ``services.search`` searches together with the base. No
visitor sees another's uploads, and none can change the base (``services.access``).

Bounds, so one visitor cannot fill the disk: at most ``visitor_max_images`` images and
``visitor_max_mb`` of stored copies each (checked before any embedding), at most
``max_visitors`` overlays at once (the least recently used goes first), and an overlay
idle for ``session_ttl_s`` is deleted. Overlay ids start at ``OVERLAY_FIRST_ID``, far
above the base's, so an id names one image whichever index holds it.

The session key comes from the client (Gradio's ``session_hash``), so it is never used as
a path: the folder is named by its SHA-256.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path

from mmdemo.core.errors import BadInputError
from mmdemo.core.results import AddReport
from mmdemo.services.gallery import Gallery
from mmdemo.services.ingest import Progress
from mmdemo.serving import ModelServer

log = logging.getLogger(__name__)

OVERLAY_FIRST_ID = 1_000_000_000
SWEEP_EVERY_S = 60.0
NO_SESSION = (
    "This request carries no browser session, so it has no gallery of its own to change. "
    "Use the page, or a gradio_client Client (each Client is one session)."
)


def session_key(session: str) -> str:
    """A folder name for a client-chosen session id: its hash, never the id itself."""
    return hashlib.sha256(str(session).encode("utf-8", "replace")).hexdigest()[:32]


class VisitorGalleries:
    """The overlays of every visitor of one base gallery; thread-safe."""

    def __init__(self, server: ModelServer, base: Gallery):
        self.server = server
        self.base = base
        self.settings = base.settings
        self.root = base.index_dir / "visitors"  # index files: never served
        self.images_root = base.store_dir / "visitors"  # stored copies: served as images
        self._overlays: OrderedDict[str, tuple[Gallery, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._last_sweep = 0.0

    # -- finding a visitor's overlay ---------------------------------------------------------
    def overlay(self, session: str | None, *, create: bool = False) -> Gallery | None:
        """The visitor's overlay (made on their first upload when ``create``), or None."""
        self._sweep_if_due()
        if not session:
            if create:
                raise BadInputError(NO_SESSION)
            return None
        key = session_key(session)
        with self._lock:
            entry = self._overlays.get(key)
            if entry is not None:
                self._overlays[key] = (entry[0], time.monotonic())
                self._overlays.move_to_end(key)
                return entry[0]
            if not create and not (self.root / key).is_dir():
                return None
            gallery = Gallery(
                self.server,
                self.settings.replace(index_dir=self.root / key, index_default_gallery=False),
                store_dir=self.images_root / key,
                first_id=OVERLAY_FIRST_ID,
            )
            self._overlays[key] = (gallery, time.monotonic())
            evicted = self._evict_over_limit()
        for old in evicted:
            self._delete_files(old)
        return gallery

    # -- a visitor's changes ---------------------------------------------------------------
    def add(
        self,
        session: str | None,
        paths: Sequence[str],
        *,
        names: Sequence[str] | None = None,
        progress: Progress | None = None,
    ) -> AddReport:
        """Add uploads to the visitor's own overlay, within their bounds (checked first)."""
        gallery = self.overlay(session, create=True)
        self._check_room(gallery, paths)
        return gallery.add_files(paths, names=names, copy=True, progress=progress)

    def remove(self, session: str | None, ids: Iterable[int]) -> int:
        gallery = self.overlay(session)
        return gallery.remove(ids) if gallery is not None else 0

    def reset(self, session: str | None) -> None:
        """Forget the visitor's uploads (their overlay goes, files and all)."""
        if not session:
            raise BadInputError(NO_SESSION)
        key = session_key(session)
        with self._lock:
            self._overlays.pop(key, None)
        self._delete_files(key)

    def _check_room(self, gallery: Gallery, paths: Sequence[str]) -> None:
        count, limit = len(gallery.index) + len(paths), self.settings.visitor_max_images
        if count > limit:
            raise BadInputError(
                f"Your uploads would come to {count} images; each visitor may keep "
                f"{limit}. Remove some first (or reset your uploads)."
            )
        stored = sum(p.stat().st_size for p in gallery.store_dir.glob("*") if p.is_file())
        incoming = sum(Path(p).stat().st_size for p in paths if Path(p).is_file())
        budget = self.settings.visitor_max_mb * 2**20
        if stored + incoming > budget:
            raise BadInputError(
                f"Your uploads would take {(stored + incoming) / 2**20:.1f} MB; each visitor "
                f"may keep {self.settings.visitor_max_mb:g} MB. Remove some first."
            )

    # -- housekeeping ----------------------------------------------------------------------
    def count(self) -> int:
        with self._lock:
            return len(self._overlays)

    def sweep(self, now: float | None = None) -> int:
        """Delete overlays idle longer than the TTL (in memory and, after a restart, on disk)."""
        ttl = self.settings.session_ttl_s
        now_mono = time.monotonic() if now is None else now
        with self._lock:
            idle = [k for k, (_, used) in self._overlays.items() if now_mono - used > ttl]
            for key in idle:
                self._overlays.pop(key)
            known = set(self._overlays)
        stale = set(idle)
        if self.root.is_dir():
            cutoff = time.time() - ttl
            for folder in self.root.iterdir():
                if folder.is_dir() and folder.name not in known and _newest(folder) < cutoff:
                    stale.add(folder.name)
        for key in stale:
            self._delete_files(key)
        if stale:
            log.info("Removed %d idle visitor gallery(ies)", len(stale))
        return len(stale)

    def _sweep_if_due(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep >= SWEEP_EVERY_S:
            self._last_sweep = now
            self.sweep(now)

    def _evict_over_limit(self) -> list[str]:
        evicted = []
        while len(self._overlays) > self.settings.max_visitors:
            key, _ = self._overlays.popitem(last=False)
            evicted.append(key)
        return evicted

    def _delete_files(self, key: str) -> None:
        for folder in (self.root / key, self.images_root / key):
            shutil.rmtree(folder, ignore_errors=True)


def _newest(folder: Path) -> float:
    """The latest modification time of a folder or anything in it (0 if unreadable)."""
    try:
        return max([folder.stat().st_mtime, *(p.stat().st_mtime for p in folder.rglob("*"))])
    except OSError:
        return 0.0
