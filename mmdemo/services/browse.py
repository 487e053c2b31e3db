"""Browsing the gallery a page at a time, as the Gallery tab shows it.

Why pages: a gallery may hold thousands of images, and every image on a page is a file
the browser fetches, so one page holds at most ``PAGE_SIZE`` thumbnails (never the
originals: ``services.thumbnails``). Newest first: a visitor sees what they just added
at the top. In per-visitor mode a visitor browses the shared base together with their
own overlay (``services.visitors``), and each item says whether it is theirs, since
only their own they may remove without the admin password (``services.access``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from mmdemo.core.results import ItemMeta
from mmdemo.services.gallery import Gallery
from mmdemo.services.thumbnails import thumbnails_or_none

PAGE_SIZE = 60  # thumbnails on one page at most (~20-40 KB each)


@dataclass(frozen=True)
class BrowseItem:
    """One image on a page: what the index knows, its thumbnail, and whose it is."""

    meta: ItemMeta
    thumbnail: str | None  # None when no thumbnail can be made (file gone, unreadable)
    own: bool  # in the visitor's own overlay (per-visitor mode)


@dataclass(frozen=True)
class GalleryPage:
    items: tuple[BrowseItem, ...]
    page: int  # 1-based, clamped to the pages there are
    pages: int
    total: int  # images in the whole (visible) gallery

    def to_json(self) -> dict:
        return {
            "page": self.page,
            "pages": self.pages,
            "total": self.total,
            "items": [
                {
                    "id": item.meta.id,
                    "name": item.meta.display_name,
                    "caption": item.meta.caption,
                    "yours": item.own,
                }
                for item in self.items
            ],
        }


def _whole(value, default: int) -> int:
    """A page number or size from a client (a float, a string, None): a whole number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return int(number) if math.isfinite(number) else default


def _visible(base: Gallery, overlay: Gallery | None) -> list[tuple[Gallery, ItemMeta]]:
    """Every image this visitor sees, newest first (overlay ids are above the base's)."""
    pairs = [(base, meta) for meta in base.index.items()]
    if overlay is not None:
        pairs += [(overlay, meta) for meta in overlay.index.items()]
    return sorted(pairs, key=lambda pair: pair[1].id, reverse=True)


def browse(
    base: Gallery, overlay: Gallery | None = None, *, page=1, page_size=PAGE_SIZE
) -> GalleryPage:
    """One page of the gallery, thumbnails made (once each) for the images on it only."""
    size = min(max(_whole(page_size, PAGE_SIZE), 1), PAGE_SIZE)
    pairs = _visible(base, overlay)
    pages = max(1, math.ceil(len(pairs) / size))
    number = min(max(_whole(page, 1), 1), pages)
    chosen = pairs[(number - 1) * size : number * size]
    thumbs = thumbnails_or_none(chosen)
    items = tuple(
        BrowseItem(meta, thumb, own=gallery is overlay and overlay is not None)
        for (gallery, meta), thumb in zip(chosen, thumbs, strict=True)
    )
    return GalleryPage(items, number, pages, len(pairs))


def names_of(base: Gallery, overlay: Gallery | None, ids: Iterable[int]) -> dict[int, str]:
    """The shown name of each id that either gallery holds (unknown ids are left out)."""
    names = {}
    for item_id in ids:
        for gallery in (overlay, base):
            if gallery is None:
                continue
            try:
                names[item_id] = gallery.index.get(item_id).display_name
                break
            except KeyError:
                continue
    return names
