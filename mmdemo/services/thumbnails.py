"""Cached thumbnails of gallery images: what results grids, galleries and tables are sent.

Why: a results page of 12 phone photos is 50-150 MB of originals; its thumbnails are a
few hundred KB. Every surface that shows many images asks here (``thumbnail_for``) and
links the original (``meta.path``) for the one image a person opens.

- **Where**: in ``<gallery.store_dir>/thumbnails/`` - beside the index, inside a folder the
  app already serves as images (``ui/web.served_folders``). A visitor's overlay has its own
  ``store_dir``, so its thumbnails are deleted with it (TTL sweep, reset, eviction).
- **Names**: content-addressed by the original's SHA-256 (as the index records it) and the
  size, ``<sha256>-384.jpg``: the same picture gets the same file, made once, and a file
  that is missing (deleted, never made) is simply made again on the next request.
- **Safety**: the original is decoded by the one safe loader (``core.imaging.load_image``,
  which refuses bombs, non-images and corrupt files and decodes a JPEG at reduced scale
  with ``Image.draft``) and the pixels are re-encoded as a fresh JPEG, so no byte of an
  upload - an HTML payload appended to a PNG, say - survives into a thumbnail, and its
  name always ends in ``.jpg`` (served as ``image/jpeg``, with nosniff).
- **Writes** are atomic (``stored_files.write_atomically``): a reader never sees half a file;
  two requests making the same thumbnail at once both write the same bytes.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from mmdemo.core.errors import BadImageError, StorageError
from mmdemo.core.imaging import DEFAULT_MAX_PIXELS, load_image
from mmdemo.core.results import ItemMeta
from mmdemo.services.stored_files import remove_leftovers, write_atomically

log = logging.getLogger(__name__)

MAKERS = 4  # threads making missing thumbnails of one result list (decoding frees the GIL)
THUMBNAIL_SIDE = 384  # px, the long side: sharp in a 6-column grid on a 2x screen
FOLDER = "thumbnails"
JPEG_QUALITY = 82  # ~20-40 KB for a 384x288 photo


class HasStore(Protocol):
    """What a thumbnail needs of a gallery (``services.gallery.Gallery`` has both)."""

    @property
    def store_dir(self) -> Path: ...

    @property
    def settings(self): ...


def thumbnail_dir(gallery: HasStore) -> Path:
    """The folder holding ``gallery``'s thumbnails (inside its served store folder)."""
    return Path(gallery.store_dir) / FOLDER


def thumbnail_path(gallery: HasStore, meta: ItemMeta, side: int = THUMBNAIL_SIDE) -> Path:
    """Where the thumbnail of ``meta`` lives (whether or not it has been made yet)."""
    digest = "".join(c for c in str(meta.sha256).lower() if c in "0123456789abcdef")
    if len(digest) < 16:  # an index always records the full hash; refuse anything else
        raise BadImageError(Path(meta.path).name, "has no content hash in the index")
    return thumbnail_dir(gallery) / f"{digest[:64]}-{int(side)}.jpg"


def make_thumbnail(
    source: str | Path,
    target: Path,
    *,
    name: str,
    side: int = THUMBNAIL_SIDE,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Path:
    """Decode ``source`` safely, shrink it to ``side`` px and write it at ``target`` as JPEG.

    Raises ``BadImageError`` when the source is not a usable image and ``StorageError``
    when the disk refuses the write.
    """
    image = load_image(source, name=name, max_pixels=max_pixels, max_side=side)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    try:
        write_atomically(target, out.getvalue())
    except OSError as err:
        raise StorageError(f"a thumbnail of {name}", err) from err
    log.debug("Made thumbnail %s of %s", target.name, name)
    return target


def thumbnail_for(gallery: HasStore, meta: ItemMeta, side: int = THUMBNAIL_SIDE) -> Path:
    """The thumbnail of one gallery image (``side`` px at most), made on first use.

    Made once: later calls return the same file untouched. Rebuilt if it was deleted.
    Raises ``BadImageError`` if the original is missing or not a usable image, and
    ``StorageError`` if the thumbnail cannot be written.
    """
    target = thumbnail_path(gallery, meta, side)
    with contextlib.suppress(OSError):
        if target.stat().st_size > 0:
            return target
    max_pixels = getattr(gallery.settings, "max_image_pixels", DEFAULT_MAX_PIXELS)
    return make_thumbnail(
        meta.path, target, name=Path(meta.path).name, side=side, max_pixels=max_pixels
    )


def thumbnail_or_none(gallery: HasStore, meta: ItemMeta, side: int = THUMBNAIL_SIDE) -> str | None:
    """``thumbnail_for`` as a path string, or None (logged) when none can be made.

    For lists of results: one unreadable original must not fail a whole search.
    """
    try:
        return str(thumbnail_for(gallery, meta, side))
    except (BadImageError, StorageError) as err:
        log.warning("No thumbnail for item %s: %s", meta.id, err)
        return None


def thumbnails_or_none(
    items: Sequence[tuple[HasStore, ItemMeta]], side: int = THUMBNAIL_SIDE
) -> list[str | None]:
    """``thumbnail_or_none`` for each (gallery, meta), in order; missing ones made in parallel.

    Why: the first search over new 12-megapixel photos would otherwise make its 12
    thumbnails one after another (~0.1 s each).
    """
    missing = sum(_is_missing(g, m, side) for g, m in items)
    if missing < 2:
        return [thumbnail_or_none(g, m, side) for g, m in items]
    with ThreadPoolExecutor(min(MAKERS, missing), thread_name_prefix="thumbnail") as pool:
        return list(pool.map(lambda pair: thumbnail_or_none(pair[0], pair[1], side), items))


def _is_missing(gallery: HasStore, meta: ItemMeta, side: int) -> bool:
    try:
        return not thumbnail_path(gallery, meta, side).is_file()
    except BadImageError:  # no usable hash: thumbnail_or_none says so
        return False


def prune(gallery: HasStore, keep_hashes: Iterable[str]) -> int:
    """Delete thumbnails of images the gallery no longer holds; returns how many.

    Called after a remove or a reset, with the SHA-256 of every item still indexed.
    Also clears temp files a killed write left behind.
    """
    folder = thumbnail_dir(gallery)
    if not folder.is_dir():
        return 0
    keep = {str(h).lower() for h in keep_hashes}
    removed = 0
    for path in folder.glob("*.jpg"):
        digest = path.name.rsplit("-", 1)[0]
        if digest not in keep:
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    remove_leftovers(folder)
    return removed
