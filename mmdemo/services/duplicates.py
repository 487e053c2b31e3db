"""Near-duplicates: groups of near-identical images in what a visitor sees of the gallery.

Why two stages. The index's embeddings propose candidates cheaply - each stored vector's
nearest neighbours (``VectorIndex.search`` over the stored vectors in batches: faiss, never
an O(n^2) loop in Python) above a cosine ``threshold``. But a semantic embedding alone
joins two different photos of cats (above all lite's, whose image vectors are mixes of
ImageNet classes), so each candidate pair is confirmed by a perceptual hash (a 64-bit DCT
hash of the stored thumbnail, ``phash``): copies that were resized, recompressed or lightly
cropped keep their coarse structure; a different photo does not. Confirmed pairs are joined
by union-find into groups.

Both thresholds are calibrated per embedder (``assets/quality/duplicates_thresholds.json``,
written by ``mmdemo.quality.duplicates_eval``, which also measures precision and recall on
held-out photos). A model with no entry gets ``DEFAULT``, and the report says so.

Cost: a report is cached per gallery version (a gallery's index object, its next id and its
size change on every add, remove, reset and re-embed), and hashes per image content
(SHA-256) - so asking again, or after one upload, costs a dictionary lookup or one new row.
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.duplicate_results import CollapsedHits, DuplicateGroup, DuplicateReport, FoldedHit
from mmdemo.core.errors import BadImageError, BadInputError, StorageError
from mmdemo.core.results import ItemMeta, SearchHit
from mmdemo.services.gallery import Gallery
from mmdemo.services.thumbnails import thumbnail_for, thumbnail_or_none

log = logging.getLogger(__name__)

THRESHOLDS_FILE = "quality/duplicates_thresholds.json"  # under Settings.assets_dir
# Used for an embedder the file does not name (e.g. full's, whose weights the measuring
# machine could not load): a cosine floor that only near-identical images pass in every
# model we measured, and a hash distance stricter than any calibrated one.
DEFAULT = {"threshold": 0.9, "max_hash_distance": 8}
NEIGHBOURS = 16  # nearest neighbours per image proposed as candidates
QUERY_BATCH = 512  # stored vectors searched at once (faiss's BLAS path above 16)
MAX_ITEMS = 200_000  # images one report may look at; refused above, before any work
HASH_SIDE = 32  # the hash is the low 8x8 DCT of a 32x32 grey copy
_HASH_CACHE_SIZE = 250_000  # content hash -> perceptual hash (8 bytes each)


# -- the perceptual hash -------------------------------------------------------------------
@lru_cache(maxsize=1)
def _dct_matrix(n: int = HASH_SIDE) -> np.ndarray:
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * x + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m


def phash(image: Image.Image) -> int:
    """A 64-bit perceptual hash: the signs of the 8x8 lowest DCT frequencies of a 32x32 grey
    copy against their median (the DC term left out). Resizing and JPEG keep it."""
    grey = image.convert("L").resize((HASH_SIDE, HASH_SIDE), Image.Resampling.LANCZOS)
    pixels = np.asarray(grey, dtype=np.float64)
    d = _dct_matrix()
    low = (d @ pixels @ d.T)[:8, :8].ravel()
    bits = low > np.median(low[1:])
    return int(sum(1 << i for i, bit in enumerate(bits.tolist()) if bit))


def hash_distance(a: int, b: int) -> int:
    """How many of the 64 bits differ."""
    return int(a ^ b).bit_count()


_hashes: OrderedDict[str, int | None] = OrderedDict()
_hash_lock = threading.Lock()


def image_hash(gallery: Gallery, meta: ItemMeta) -> int | None:
    """The perceptual hash of an item's stored thumbnail (made if missing), by content; None
    when its file is gone or unreadable (such an item joins no group)."""
    with _hash_lock:
        if meta.sha256 in _hashes:
            _hashes.move_to_end(meta.sha256)
            return _hashes[meta.sha256]
    try:
        with Image.open(thumbnail_for(gallery, meta)) as thumb:
            value = phash(thumb)
    except (BadImageError, StorageError, OSError) as err:
        log.warning("No perceptual hash for item %s: %s", meta.id, err)
        value = None
    with _hash_lock:
        _hashes[meta.sha256] = value
        while len(_hashes) > _HASH_CACHE_SIZE:
            _hashes.popitem(last=False)
    return value


# -- thresholds ----------------------------------------------------------------------------
def thresholds_for(model_id: str, settings: Settings | None = None) -> tuple[dict, bool]:
    """The calibrated thresholds of an embedder and whether they were measured for it."""
    path = Path((settings or Settings()).assets_dir) / THRESHOLDS_FILE
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("No duplicate thresholds at %s: using the defaults", path)
        table = {}
    entry = table.get("models", {}).get(model_id)
    if not entry:
        return dict(DEFAULT), False
    return {k: entry[k] for k in DEFAULT}, True


# -- candidates and groups -----------------------------------------------------------------
def _vectors(galleries: Sequence[Gallery]) -> tuple[list[tuple[Gallery, ItemMeta]], np.ndarray]:
    pairs = [(g, meta) for g in galleries for meta in g.index.items()]
    if not pairs:
        return pairs, np.empty((0, 0), dtype=np.float32)
    return pairs, np.stack([g.index.vector(meta.id) for g, meta in pairs])


def candidate_pairs(
    galleries: Sequence[Gallery], threshold: float, *, neighbours: int = NEIGHBOURS
) -> dict[tuple[int, int], float]:
    """(smaller id, larger id) -> cosine for each image and its nearest neighbours in any of
    ``galleries`` at or above ``threshold``: the candidates the hash then confirms."""
    pairs, vectors = _vectors(galleries)
    found: dict[tuple[int, int], float] = {}
    for start in range(0, len(pairs), QUERY_BATCH):
        block = vectors[start : start + QUERY_BATCH]
        for gallery in galleries:
            if not len(gallery.index):
                continue
            rows = gallery.index.search(block, neighbours + 1)
            for (_, meta), hits in zip(pairs[start : start + QUERY_BATCH], rows, strict=True):
                for other, score in hits:
                    if other != meta.id and score >= threshold:
                        key = (min(meta.id, other), max(meta.id, other))
                        found[key] = max(found.get(key, -1.0), float(score))
    return found


def confirmed(
    candidates: dict[tuple[int, int], float],
    hashes: dict[int, int | None],
    max_hash_distance: int,
) -> list[tuple[int, int]]:
    """The candidate pairs whose perceptual hashes differ in at most ``max_hash_distance`` bits."""
    kept = []
    for a, b in candidates:
        ha, hb = hashes.get(a), hashes.get(b)
        if ha is not None and hb is not None and hash_distance(ha, hb) <= max_hash_distance:
            kept.append((a, b))
    return kept


def union_groups(pairs: Iterable[tuple[int, int]]) -> list[tuple[int, ...]]:
    """Union-find: the connected groups of ``pairs``, each ascending, ordered by first id."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]  # path halving
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = {}
    for x in parent:
        members.setdefault(root(x), []).append(x)
    return sorted(tuple(sorted(m)) for m in members.values() if len(m) > 1)


# -- the report, cached per gallery version ------------------------------------------------
def _version(gallery: Gallery) -> tuple:
    index = gallery.index
    return (weakref.ref(index), index.next_id, len(index), index.model_id)


def _same(a: tuple | None, b: tuple) -> bool:
    return a is not None and a[0]() is b[0]() and a[0]() is not None and a[1:] == b[1:]


_reports: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_report_lock = threading.Lock()


def find_duplicates(gallery: Gallery, *, overlay: Gallery | None = None) -> DuplicateReport:
    """Groups of near-identical images in the gallery (plus a visitor's ``overlay``: their
    uploads are compared with the shared photos and each other, and nobody else's).

    Cached per gallery version: asking again without a change costs nothing."""
    galleries = [gallery] if overlay is None else [gallery, overlay]
    count = sum(len(g.index) for g in galleries)
    max_items = MAX_ITEMS
    if count > max_items:
        raise BadInputError(
            f"The gallery holds {count} images; finding near-duplicates looks at "
            f"{max_items} at most. Remove some images first."
        )
    versions = tuple(_version(g) for g in galleries)
    holder = overlay if overlay is not None else gallery
    with _report_lock:
        cached = _reports.get(holder)
    if (
        cached is not None
        and len(cached[0]) == len(versions)
        and all(_same(old, new) for old, new in zip(cached[0], versions, strict=True))
    ):
        return _with_metas(cached[1], galleries)
    report = _compute(galleries, count)
    with _report_lock:
        _reports[holder] = (versions, report)
    return _with_metas(report, galleries)


def _compute(galleries: list[Gallery], count: int) -> DuplicateReport:
    embedder_id = galleries[0].index.model_id
    levels, calibrated = thresholds_for(embedder_id, galleries[0].settings)
    candidates = candidate_pairs(galleries, levels["threshold"])
    metas = {meta.id: (g, meta) for g in galleries for meta in g.index.items()}
    involved = {i for pair in candidates for i in pair}
    hashes = {i: image_hash(*metas[i]) for i in sorted(involved) if i in metas}
    kept = confirmed(candidates, hashes, levels["max_hash_distance"])
    groups = tuple(DuplicateGroup(ids=ids, paths=()) for ids in union_groups(kept))
    method = (
        f"embedding cosine >= {levels['threshold']:.3f} among the {NEIGHBOURS} nearest, "
        f"confirmed by a 64-bit perceptual hash of the thumbnail "
        f"(<= {levels['max_hash_distance']} bits differ)"
    )
    if not calibrated:
        method += f"; not calibrated for {embedder_id}: default thresholds"
    log.info(
        "Near-duplicates: %d images, %d candidate pairs, %d groups",
        count,
        len(candidates),
        len(groups),
    )
    return DuplicateReport(
        groups=groups,
        threshold=float(levels["threshold"]),
        method=method,
        max_hash_distance=int(levels["max_hash_distance"]),
        checked=count,
        candidates=len(candidates),
        calibrated=calibrated,
    )


def _with_metas(report: DuplicateReport, galleries: list[Gallery]) -> DuplicateReport:
    """The report with each member's path, name, caption and thumbnail as they are now
    (a caption stored since the report was made shows; an item gone leaves its group)."""
    groups = []
    for group in report.groups:
        found = []
        for item in group.ids:
            for g in galleries:
                try:
                    found.append((g, g.index.get(item)))
                    break
                except KeyError:
                    continue
        if len(found) < 2:
            continue
        thumbs = [thumbnail_or_none(g, meta) for g, meta in found]
        groups.append(
            DuplicateGroup(
                ids=tuple(m.id for _, m in found),
                paths=tuple(m.path for _, m in found),
                names=tuple(m.display_name for _, m in found),
                captions=tuple(m.caption for _, m in found),
                thumbnails=tuple(thumbs),
            )
        )
    return DuplicateReport(
        groups=tuple(groups),
        threshold=report.threshold,
        method=report.method,
        max_hash_distance=report.max_hash_distance,
        checked=report.checked,
        candidates=report.candidates,
        calibrated=report.calibrated,
    )


# -- search results, one per group ---------------------------------------------------------
def collapse(hits: Sequence[SearchHit], report: DuplicateReport) -> CollapsedHits:
    """One hit per near-duplicate group - its best-scored - in the order given; the kept hit
    is a ``FoldedHit`` naming the copies it hides, and ``.folded`` on the result counts them."""
    group_of = report.group_of()
    best: dict[int, SearchHit] = {}
    for hit in hits:
        group = group_of.get(hit.id)
        if group is not None and (group not in best or hit.score > best[group].score):
            best[group] = hit
    kept, hidden = [], {}
    for hit in hits:
        group = group_of.get(hit.id)
        if group is None or best[group] is hit:
            kept.append(hit)
        else:
            hidden.setdefault(group, []).append(hit.id)
    out = []
    for hit in kept:
        folded = tuple(hidden.get(group_of.get(hit.id, -1), ()))
        if folded:
            fields = {f: getattr(hit, f) for f in SearchHit.__dataclass_fields__}
            hit = FoldedHit(**fields, folded=len(folded), folded_ids=folded)
        out.append(hit)
    return CollapsedHits(out, folded=sum(len(v) for v in hidden.values()))
