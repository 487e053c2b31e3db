"""Where the Generate tab keeps the PNGs it drew: one private temp folder per page, bounded,
and removed when the process exits.

Why: each drawing is a file (the session's ``gr.State`` holds our path, so the loop's buttons
act on what this server drew, never on a path a browser sends), and a public Space draws for
days. Without bounds the folder only grows: a visitor who leaves leaves their last image.
So the folder keeps at most ``keep`` drawings, none older than ``max_age_s`` (the lifetime
of Gradio's own copies, ``MMDEMO_UPLOAD_CACHE_TTL_S``, after which the page's copy is gone
too), the oldest going first, and is deleted at exit (``weakref.finalize`` runs at
interpreter exit as well as when the store is collected). A session whose drawing went is
told to draw again. The folder is never served: Gradio serves the copy it makes in its own
cache (a PNG we encoded, sent as ``image/png`` with ``nosniff``), and this folder is in no
``allowed_paths``.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
import weakref
from pathlib import Path

log = logging.getLogger(__name__)

KEEP = 64  # drawings kept (~0.3-0.8 MB each at 512 px): one per recent session, ~50 MB at most
PREFIX = "mmdemo-generated-"


class DrawnImages:
    """The folder of drawn PNGs: ``save`` one, ``owns`` a path, ``forget`` one, ``close``."""

    def __init__(self, keep: int = KEEP, max_age_s: float | None = None):
        if keep < 1:
            raise ValueError(f"keep must be at least 1, not {keep}")
        self.keep = keep
        self.max_age_s = max_age_s
        self.folder = Path(tempfile.mkdtemp(prefix=PREFIX)).resolve()
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)

    def save(self, image) -> Path:
        """Write ``image`` (PIL) as a new PNG here (whole or not at all), then prune."""
        path = self.folder / f"generated-{uuid.uuid4().hex[:12]}.png"
        part = path.with_suffix(".part")
        image.save(part, format="PNG")  # our own encoding: never the visitor's bytes
        os.replace(part, path)
        self.prune(keep_also=path)
        return path

    def owns(self, path) -> bool:
        """Whether ``path`` is a drawing in this folder that is still there."""
        if not path:
            return False
        candidate = Path(path)
        return (
            candidate.parent == self.folder and candidate.suffix == ".png" and candidate.is_file()
        )

    def forget(self, path) -> None:
        """Delete one drawing of this folder (a session's previous one); others are left."""
        if path and Path(path).parent == self.folder:
            try:
                Path(path).unlink(missing_ok=True)
            except OSError:
                log.debug("Could not delete %s", path)

    def files(self) -> list[Path]:
        """The drawings here, oldest first."""
        found = []
        for entry in os.scandir(self.folder):
            if entry.name.endswith(".png") and entry.is_file():
                try:
                    found.append((entry.stat().st_mtime_ns, entry.name))
                except OSError:  # deleted meanwhile
                    continue
        return [self.folder / name for _, name in sorted(found)]

    def prune(self, keep_also: Path | None = None) -> list[Path]:
        """Remove the oldest drawings past ``keep`` and any older than ``max_age_s``; the
        removed paths. ``keep_also`` (the one just drawn) is never removed."""
        with self._lock:
            drawn = [p for p in self.files() if p != keep_also]
            room = self.keep - (keep_also is not None)
            removed = drawn[: max(0, len(drawn) - room)]
            if self.max_age_s is not None:
                cutoff = time.time() - self.max_age_s
                for path in drawn[len(removed) :]:
                    try:
                        if path.stat().st_mtime < cutoff:
                            removed.append(path)
                    except OSError:
                        continue
            for path in removed:
                path.unlink(missing_ok=True)
        if removed:
            log.debug("Removed %d old drawings from %s", len(removed), self.folder)
        return removed

    def close(self) -> None:
        """Delete the folder and everything in it (also done at exit)."""
        self._finalizer()
