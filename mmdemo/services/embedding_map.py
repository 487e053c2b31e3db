"""The Explore tab's map: every gallery embedding laid out in 2-D, clustered and named.

Why a service: the page, the API (``/map``, ``/map_query``) and the benchmark ask for the same
layout, and it is costly enough to cache. What it does, and why each piece:

- **Layout.** PCA (numpy, exact, milliseconds) is always available at once; UMAP (umap-learn)
  reads the neighbourhoods better but costs seconds (its numba JIT on first use, ~15 s for
  3000 points on 2 cores), so it only runs for galleries of ``UMAP_MIN_ITEMS`` or more and
  always in a background thread: the request that finds no UMAP layout gets the PCA one with
  ``pending=True`` and the page polls. A UMAP that fails leaves PCA in place (logged).
- **Bounded.** At most ``MAX_DRAWN`` points are laid out and drawn; beyond that a seeded
  random sample is (``sampled=True``), so a 100k gallery costs what 3000 images cost.
- **Cached** per gallery version: the key is the index object, its model and a hash of its
  ids, so an add, a remove, a reset or a re-embed gives a new map; the last few are kept.
- **Clusters**: spherical k-means (numpy, seeded) on the drawn vectors, each named by the
  label of ``map_labels`` most of its members are closest to (zero-shot, in English and
  Chinese); no two clusters share a name.
- **Queries and a visitor's own uploads** are *placed* into the base map rather than
  re-laid out with it: PCA projects them exactly; for UMAP a point goes to the
  similarity-weighted mean of its nearest drawn neighbours' positions (how UMAP's own
  ``transform`` starts, without its seconds of JIT in a request). So a visitor's uploads
  appear in their map only, and the shared layout is computed once for everyone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import warnings
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from mmdemo.core.map_results import MapCluster, MapPoint, MapResult, QueryPoint
from mmdemo.core.results import ItemMeta, SearchResult
from mmdemo.services.gallery import Gallery
from mmdemo.services.map_labels import LABELS, PROMPT
from mmdemo.services.search import GallerySearch, clamp_k, clean_query
from mmdemo.services.thumbnails import thumbnail_path, thumbnails_or_none

log = logging.getLogger(__name__)

MAX_DRAWN = 3000  # points laid out and drawn; a seeded sample beyond (plotly stays smooth)
UMAP_MIN_ITEMS = 50  # below this UMAP's 15 neighbours are most of the gallery: PCA reads as well
UMAP_NEIGHBOURS = 15
MAX_CLUSTERS = 12  # colours a legend can still tell apart
KMEANS_ROUNDS = 30
PLACE_NEIGHBOURS = 10  # drawn neighbours a placed point (query, upload) is averaged over
PLACE_SHARPNESS = 20.0  # softmax temperature on cosines: the closest neighbours dominate
SYNC_THUMBNAILS = 48  # missing thumbnails made in the request; more go to the background
NEAREST = 8  # a query's nearest photos, marked on the map
MIXED_BELOW = 0.4  # a top label shared by fewer of a cluster's members names it "mixed"
CACHE_SIZE = 4  # layouts kept (gallery versions x models)

LayoutFn = Callable[[np.ndarray], np.ndarray]
_LABEL_VECTORS: dict[str, np.ndarray] = {}  # model id -> the vocabulary's text vectors
_LABELS_LOCK = threading.Lock()


# -- pure pieces (unit-tested alone) -------------------------------------------------------------
def pca_basis(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, components): the first two principal axes of ``vectors`` (rows), sign-fixed
    so that the same data always gives the same picture (largest coefficient positive)."""
    data = np.asarray(vectors, dtype=np.float64)
    mean = data.mean(axis=0)
    components = np.zeros((2, data.shape[1]))
    if len(data) > 1:
        centred = data - mean
        # the top eigenvectors of the smaller of the two Gram matrices: d x d (n >= d) or
        # n x n; measured ~100x faster than a full SVD of a 1000 x 512 matrix on 2 cores
        if len(data) >= data.shape[1]:
            values, vectors = np.linalg.eigh(centred.T @ centred)
            found = vectors[:, ::-1][:, :2].T
        else:
            values, vectors = np.linalg.eigh(centred @ centred.T)
            top = vectors[:, ::-1][:, :2] * (values[::-1][:2] > 1e-12)
            found = (centred.T @ top).T
            found /= np.maximum(np.linalg.norm(found, axis=1, keepdims=True), 1e-300)
        found = found[: min(2, len(data) - 1)]
        signs = np.sign(found[np.arange(len(found)), np.abs(found).argmax(axis=1)])
        components[: len(found)] = found * signs[:, None]
    return mean, components


def pca_project(vectors: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    return ((np.asarray(vectors, dtype=np.float64) - mean) @ components.T).astype(np.float32)


def umap_layout(vectors: np.ndarray, seed: int = 0) -> np.ndarray:
    """UMAP's 2-D layout (cosine metric, seeded: the same gallery draws the same map)."""
    import umap  # ~6 s to import (numba): only ever in the background thread

    n = len(vectors)
    reducer = umap.UMAP(
        n_neighbors=max(2, min(UMAP_NEIGHBOURS, n - 1)),
        n_components=2,
        metric="cosine",
        random_state=seed,
    )
    with warnings.catch_warnings():  # "n_jobs overridden by random_state": we chose that
        warnings.simplefilter("ignore", UserWarning)
        return np.asarray(reducer.fit_transform(vectors), dtype=np.float32)


def cluster_count(n: int) -> int:
    """k for n points: ~sqrt(n/2), at least 1, at most MAX_CLUSTERS."""
    return max(1, min(MAX_CLUSTERS, n, round((n / 2) ** 0.5)))


def kmeans(vectors: np.ndarray, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means (cosine, k-means++ start, seeded): (centroids, assignment)."""
    data = np.asarray(vectors, dtype=np.float32)
    rng = np.random.default_rng(seed)
    k = max(1, min(k, len(data)))
    centres = [data[rng.integers(len(data))]]
    for _ in range(1, k):  # k-means++: far points more likely
        far = np.maximum(0.0, 1.0 - np.max(data @ np.stack(centres).T, axis=1))
        total = far.sum()
        pick = rng.choice(len(data), p=far / total) if total > 0 else rng.integers(len(data))
        centres.append(data[pick])
    centroids = np.stack(centres)
    assign = np.zeros(len(data), dtype=np.int64)
    for _ in range(KMEANS_ROUNDS):
        new = np.argmax(data @ centroids.T, axis=1)
        if _ and np.array_equal(new, assign):
            break
        assign = new
        for c in range(k):
            members = data[assign == c]
            if len(members):
                mean = members.sum(axis=0)
                centroids[c] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return centroids, assign


def name_clusters(
    vectors: np.ndarray, assign: np.ndarray, centroids: np.ndarray, label_vectors: np.ndarray
) -> list[tuple[int, float]]:
    """(label index, share, runner-up index) per cluster: the label most members are
    closest to; a label already taken goes to the next most common (ties: the closer to
    the centroid). The runner-up names a mixed cluster's second theme (``MIXED_BELOW``)."""
    closest = np.argmax(vectors @ label_vectors.T, axis=1)
    sizes = np.bincount(assign, minlength=len(centroids))
    taken: set[int] = set()
    names: list[tuple[int, float, int] | None] = [None] * len(centroids)
    for c in np.argsort(-sizes, kind="stable").tolist():  # big clusters choose first
        counts = Counter(closest[assign == c].tolist())
        near = centroids[c] @ label_vectors.T
        ranked = sorted(range(len(label_vectors)), key=lambda j: (-counts.get(j, 0), -near[j]))
        free = [j for j in ranked if j not in taken]
        label, runner_up = free[0], (free[1] if len(free) > 1 else free[0])
        taken.add(label)
        names[c] = (label, counts.get(label, 0) / max(int(sizes[c]), 1), runner_up)
    return names  # type: ignore[return-value]


def cluster_name(label: int, share: float, runner_up: int, size: int) -> tuple[str, str]:
    """(English, Chinese) name; a cluster whose top label holds under ``MIXED_BELOW`` of
    its members says it is mixed and names its two commonest labels, rather than passing
    one label off as what it is (lite's ImageNet-bred space gives such clusters)."""
    en, zh = LABELS[label]
    if share >= MIXED_BELOW or size < 3 or runner_up == label:
        return en, zh
    en2, zh2 = LABELS[runner_up]
    return f"mixed: {en}, {en2}", f"混合：{zh}、{zh2}"


def sample_rows(n: int, limit: int, seed: int) -> np.ndarray:
    """All row numbers, or a seeded sorted sample of ``limit`` of them."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


@dataclasses.dataclass(frozen=True)
class Layout:
    """One computed map of the base gallery at one version (what the cache holds)."""

    key: tuple
    method: str  # "pca" | "umap"
    ids: np.ndarray
    xy: np.ndarray
    vectors: np.ndarray  # the drawn rows' vectors: placing queries, uploads, k-means
    mean: np.ndarray
    components: np.ndarray
    assign: np.ndarray
    centroids: np.ndarray
    names: tuple  # (label index, share) per cluster
    total: int
    failed: bool = False  # UMAP was asked for and failed: this is PCA instead

    def place(self, vectors: np.ndarray) -> np.ndarray:
        """Positions for new vectors (rows) in this map (module docstring: why)."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        if self.method == "pca" or len(self.ids) == 0:
            return pca_project(vectors, self.mean, self.components)
        sims = vectors @ self.vectors.T
        keep = min(PLACE_NEIGHBOURS, sims.shape[1])
        top = np.argpartition(-sims, keep - 1, axis=1)[:, :keep]
        near = np.take_along_axis(sims, top, axis=1)
        weights = np.exp(PLACE_SHARPNESS * (near - near.max(axis=1, keepdims=True)))
        weights /= weights.sum(axis=1, keepdims=True)
        return np.einsum("nk,nkd->nd", weights, self.xy[top]).astype(np.float32)

    def cluster_of(self, vectors: np.ndarray) -> np.ndarray:
        return np.argmax(np.atleast_2d(vectors) @ self.centroids.T, axis=1)


class EmbeddingMaps:
    """The maps of one gallery (its base index; a visitor's overlay is placed into it)."""

    def __init__(
        self,
        search: GallerySearch,
        *,
        max_drawn: int = MAX_DRAWN,
        umap_min: int = UMAP_MIN_ITEMS,
        slow_layout: LayoutFn | None = None,
    ):
        """``slow_layout``: the background layout (UMAP unless a test passes its own)."""
        self.search = search
        self.gallery: Gallery = search.gallery
        self.max_drawn = max(1, int(max_drawn))
        self.umap_min = int(umap_min)
        self.slow_layout = slow_layout or umap_layout
        self._lock = threading.Lock()
        self._layouts: OrderedDict[tuple, Layout] = OrderedDict()
        self._jobs: dict[tuple, Future] = {}
        self._thumb_jobs: dict[tuple, Future] = {}
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="embedding-map")

    # -- the layout ------------------------------------------------------------------------------
    @staticmethod
    def key_of(index, metas: Sequence[ItemMeta]) -> tuple:
        """What a layout is valid for: this index object, its model, exactly these ids."""
        ids = np.fromiter((m.id for m in metas), dtype=np.int64, count=len(metas))
        return (id(index), index.model_id, len(metas), hashlib.sha1(ids.tobytes()).hexdigest())

    def wants_umap(self, total: int) -> bool:
        return total >= self.umap_min

    def layout(self, *, wait: bool = False) -> tuple[Layout, bool]:
        """The current gallery's layout and whether a better (UMAP) one is on its way.

        Never blocks on UMAP unless ``wait`` (the CLI, tests, the benchmark)."""
        index = self.gallery.index
        metas = index.items()
        key = self.key_of(index, metas)
        with self._lock:
            found = self._layouts.get(key)
            if found is not None:
                self._layouts.move_to_end(key)
        if found is None:
            found = self._fast_layout(key, index, metas)
            with self._lock:
                found = self._layouts.setdefault(key, found)
                while len(self._layouts) > CACHE_SIZE:
                    old, _ = self._layouts.popitem(last=False)
                    self._jobs.pop(old, None)
        job = None
        if found.method != "umap" and not found.failed and self.wants_umap(found.total):
            with self._lock:
                job = self._jobs.get(key)
                if job is None:
                    job = self._worker.submit(self._slow_job, found)
                    self._jobs[key] = job
        if job is not None and wait:
            job.result()
        with self._lock:
            current = self._layouts.get(key, found)
        pending = job is not None and not job.done() and current.method != "umap"
        return current, pending

    def _fast_layout(self, key: tuple, index, metas: Sequence[ItemMeta]) -> Layout:
        seed = int(key[3][:8], 16)
        rows = sample_rows(len(metas), self.max_drawn, seed)
        ids = np.array([metas[r].id for r in rows], dtype=np.int64)
        dim = index.dim
        vectors = (
            np.stack([index.vector(int(i)) for i in ids]).astype(np.float32)
            if len(ids)
            else np.zeros((0, dim), dtype=np.float32)
        )
        mean, components = pca_basis(vectors) if len(ids) else (np.zeros(dim), np.zeros((2, dim)))
        xy = pca_project(vectors, mean, components) if len(ids) else np.zeros((0, 2), np.float32)
        if len(ids):
            centroids, assign = kmeans(vectors, cluster_count(len(ids)), seed=0)
            names = tuple(name_clusters(vectors, assign, centroids, self._label_vectors()))
        else:
            centroids, assign, names = np.zeros((0, dim), np.float32), np.zeros(0, int), ()
        return Layout(
            key, "pca", ids, xy, vectors, mean, components, assign, centroids, names, len(metas)
        )

    def _slow_job(self, fast: Layout) -> None:
        """Background: the UMAP layout of the same points (clusters stay the same)."""
        try:
            xy = np.asarray(self.slow_layout(fast.vectors), dtype=np.float32)
            if xy.shape != (len(fast.ids), 2) or not np.isfinite(xy).all():
                raise ValueError(f"layout of shape {xy.shape} with non-finite values")
            better = dataclasses.replace(fast, method="umap", xy=xy)
            log.info("UMAP map of %d points ready", len(fast.ids))
        except Exception:
            log.exception("UMAP layout failed; the map stays PCA")
            better = dataclasses.replace(fast, failed=True)
        with self._lock:
            if fast.key in self._layouts:
                self._layouts[fast.key] = better

    def _label_vectors(self) -> np.ndarray:
        """The naming vocabulary's text vectors for the current model: embedded once per
        model and process (the vocabulary is fixed), ~1 s on 2 cores for ``tiny``."""
        embedder = self.gallery.embedder
        with _LABELS_LOCK:
            found = _LABEL_VECTORS.get(embedder.model_id)
            if found is None:
                prompts = [PROMPT.format(english) for english, _ in LABELS]
                found = np.asarray(embedder.embed_texts(prompts), dtype=np.float32)
                _LABEL_VECTORS[embedder.model_id] = found
            return found

    # -- what the page and the API get -----------------------------------------------------------
    def map(self, overlay: Gallery | None = None, *, wait: bool = False) -> MapResult:
        """The map of the gallery, with this visitor's own uploads (``overlay``) placed in it."""
        layout, pending = self.layout(wait=wait)
        return self._result(layout, pending, overlay)

    def query_text(
        self, text: str, overlay: Gallery | None = None, k: int = NEAREST
    ) -> tuple[MapResult, SearchResult]:
        """Where a text query lands, with its nearest photos (the search's own hits)."""
        found = self.search.text(text, clamp_k(k, self.search.max_k), overlay=overlay)
        query = clean_query(text)
        vector = self.gallery.embedder.embed_texts([query])[0]
        return self._with_query(vector, "text", query, found, overlay), found

    def query_image(
        self, image, overlay: Gallery | None = None, k: int = NEAREST, name: str = "image"
    ) -> tuple[MapResult, SearchResult]:
        found = self.search.image(image, clamp_k(k, self.search.max_k), overlay=overlay)
        vector = self.gallery.embedder.embed_images([image])[0]
        return self._with_query(vector, "image", name, found, overlay), found

    def _with_query(self, vector, kind, label, found: SearchResult, overlay) -> MapResult:
        layout, pending = self.layout()
        nearest = tuple(hit.id for hit in found.hits)
        result = self._result(layout, pending, overlay, extra_ids=nearest)
        x, y = (float(v) for v in layout.place(vector)[0])
        return dataclasses.replace(result, query=QueryPoint(kind, label, x, y, nearest))

    def _result(self, layout: Layout, pending: bool, overlay, extra_ids=()) -> MapResult:
        base = self.gallery.index
        points = self._points(layout, base, layout.ids, layout.xy, layout.assign, self.gallery)
        drawn = set(layout.ids.tolist())
        mine = [] if overlay is None else [m.id for m in overlay.index.items()]
        own = set(mine)
        if mine:
            points += self._placed(layout, overlay, mine, own=True)
        missing = [i for i in extra_ids if i not in drawn and i not in own]
        if missing:  # a query's nearest photos outside the sample: placed, so all show
            held = [i for i in missing if _holds(base, i)]
            points += self._placed(layout, self.gallery, held, own=False)
        sizes = np.bincount(layout.assign, minlength=len(layout.names))
        clusters = tuple(
            MapCluster(
                c, *cluster_name(label, share, runner_up, int(sizes[c])), int(sizes[c]), share
            )
            for c, (label, share, runner_up) in enumerate(layout.names)
        )
        sampled = len(layout.ids) < layout.total
        words = {"pca": "PCA", "umap": "UMAP"}[layout.method]
        message = f"{len(layout.ids)} of {layout.total} images drawn ({words})"
        if sampled:
            message += "; a random sample, so the page stays light"
        if pending:
            message += "; computing the UMAP layout (PCA meanwhile)"
        if layout.failed:
            message += "; UMAP failed, so this is PCA"
        return MapResult(
            method=layout.method,
            points=tuple(points),
            clusters=clusters,
            total=layout.total + len(mine),
            drawn=len(points),
            sampled=sampled,
            pending=pending,
            model_id=base.model_id,
            message=message + ".",
            umap_failed=layout.failed,
        )

    def _placed(self, layout: Layout, gallery: Gallery, ids, *, own: bool) -> list[MapPoint]:
        vectors = np.stack([gallery.index.vector(i) for i in ids]).astype(np.float32)
        xy = layout.place(vectors)
        assign = layout.cluster_of(vectors) if len(layout.centroids) else np.zeros(len(ids), int)
        return self._points(layout, gallery.index, ids, xy, assign, gallery, own=own)

    def _points(self, layout, index, ids, xy, assign, gallery, *, own=False) -> list[MapPoint]:
        metas = [index.get(int(i)) for i in ids]
        thumbs = self._thumbnails(gallery, metas, layout.key)
        return [
            MapPoint(
                int(m.id),
                float(p[0]),
                float(p[1]),
                int(c),
                m.display_name or Path(m.path).name,
                thumb,
                own,
            )
            for m, p, c, thumb in zip(metas, xy, assign, thumbs, strict=True)
        ]

    def _thumbnails(self, gallery: Gallery, metas: list[ItemMeta], key) -> list[str | None]:
        """Thumbnails that exist now; missing ones made here if few, else in the background
        (a 100k gallery's first map must not wait for 3000 decodes)."""
        paths, missing = [], []
        for meta in metas:
            try:
                path = thumbnail_path(gallery, meta)
            except Exception:  # no usable hash: no thumbnail (thumbnails.py logs why)
                paths.append(None)
                continue
            exists = path.is_file()
            paths.append(str(path) if exists else None)
            if not exists:
                missing.append(len(paths) - 1)
        if len(missing) <= SYNC_THUMBNAILS:
            made = thumbnails_or_none([(gallery, metas[i]) for i in missing])
            for row, value in zip(missing, made, strict=True):
                paths[row] = value
        else:
            job_key = (key, id(gallery))
            with self._lock:
                for done in [k for k, job in self._thumb_jobs.items() if job.done()]:
                    del self._thumb_jobs[done]  # a deleted thumbnail is made again next time
                if job_key not in self._thumb_jobs:
                    pairs = [(gallery, metas[i]) for i in missing]
                    self._thumb_jobs[job_key] = self._worker.submit(thumbnails_or_none, pairs)
        return paths

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)


def _holds(index, item_id: int) -> bool:
    try:
        index.get(item_id)
    except KeyError:
        return False
    return True
