"""Keeping a copy of an uploaded image that is safe to serve from the app's own origin.

Why: the stored copy is served back to browsers (result thumbnails, the gallery). A file
that keeps the name a client chose - ``x.html``, ``x.svg`` - would be served as active
content from our origin, even when its bytes start like a PNG. So the copy's name comes
from the *decoded* format, never from the upload: JPEG, PNG and WebP keep their bytes (a
browser only ever treats them as images), anything else is re-encoded to PNG. The copy is
written atomically (a temporary file, fsync, rename) and its hash checked, so a copy cut
short is never indexed and an existing file is trusted only when its bytes are right.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import tempfile
import time
from pathlib import Path

from PIL import Image

from mmdemo.core.errors import BadImageError, StorageError
from mmdemo.core.imaging import load_image

log = logging.getLogger(__name__)

# Formats kept as they are (their MIME types are images for every browser); the rest is
# re-encoded. MPO (phone cameras) is a JPEG with extra frames appended: served as JPEG.
KEPT_FORMATS = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "WEBP": ".webp"}


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decoded_format(data: bytes) -> str | None:
    """The format Pillow reads from the header (nothing is decoded), or None."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.format
    except Exception:  # not an image at all: the caller re-encodes, which refuses it
        return None


def safe_bytes(data: bytes, name: str, max_pixels: int) -> tuple[bytes, str]:
    """(bytes to store, extension): the upload's own bytes for JPEG/PNG/WebP, else a PNG."""
    kept = KEPT_FORMATS.get(decoded_format(data) or "")
    if kept is not None:
        return data, kept
    image = load_image(data, name=name, max_pixels=max_pixels)  # BadImageError if not an image
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue(), ".png"


def write_atomically(target: Path, data: bytes) -> None:
    """``data`` at ``target``, all or nothing: temp file, fsync, rename, fsync the folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    with contextlib.suppress(OSError):  # renames are durable once the folder is synced
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def remove_leftovers(store_dir: Path, older_than_s: float = 3600.0) -> int:
    """Delete temp files a killed ``write_atomically`` left (``.NAME-xxxx``); returns how many.

    Only hidden files older than ``older_than_s``, so a write in progress is never touched.
    """
    cutoff, removed = time.time() - older_than_s, 0
    for path in Path(store_dir).glob(".*-*"):
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed


def store_copy(
    source: str | Path, sha256: str, store_dir: Path, *, name: str, max_pixels: int
) -> str:
    """A safe stored copy of the file whose content hash is ``sha256``; returns its path.

    The source is read once and must still hash to ``sha256`` (a file changed while it was
    being added is refused, not half-stored). An existing copy is reused only if its bytes
    are the ones this upload would write.
    """
    try:
        data = Path(source).read_bytes()
    except OSError as err:
        raise BadImageError(name, f"cannot be read ({err.strerror or err})") from None
    if sha256_of(data) != sha256:
        raise BadImageError(name, "the file changed while it was being added", "Upload it again.")
    stored, extension = safe_bytes(data, name, max_pixels)
    target = Path(store_dir) / f"{sha256[:20]}{extension}"
    try:
        if target.is_file() and sha256_of(target.read_bytes()) == sha256_of(stored):
            return str(target)
    except OSError:
        pass  # unreadable: write it again
    try:
        write_atomically(target, stored)
    except OSError as err:  # a full disk or a permission problem: the server's, said plainly
        raise StorageError(f"a copy of {name}", err) from err
    log.debug("Stored %s as %s", name, target)
    return str(target)
