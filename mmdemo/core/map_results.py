"""What the Explore tab's embedding map returns: points, named clusters, a query's place.

Why its own file: the map is one result shape for the page, the API (``/map``,
``/map_query``) and tests; ``to_json`` is that shape. Positions are plain floats in the
map's own 2-D units (UMAP's or the first two principal components'): only distances
between points of one map mean anything.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MapPoint:
    """One gallery image on the map. ``thumbnail`` is a served thumbnail's path (or None)."""

    id: int
    x: float
    y: float
    cluster: int
    name: str
    thumbnail: str | None = None
    mine: bool = False  # a visitor's own upload (per-visitor mode): only they see it

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "x": round(self.x, 4),
            "y": round(self.y, 4),
            "cluster": self.cluster,
            "name": self.name,
            "mine": self.mine,
        }


@dataclass(frozen=True)
class MapCluster:
    """A k-means cluster, named by the label most of its members are closest to."""

    id: int
    name: str  # English (the API's); ``name_zh`` for a Chinese page
    name_zh: str
    size: int
    share: float  # the share of members whose closest label is the name

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "name_zh": self.name_zh,
            "size": self.size,
            "share": round(self.share, 3),
        }


@dataclass(frozen=True)
class QueryPoint:
    """Where a text or image query lands, and the ids of its nearest photos."""

    kind: str  # "text" | "image"
    query: str  # the text (an image query: its file name)
    x: float
    y: float
    nearest: tuple[int, ...] = ()

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "query": self.query,
            "x": round(self.x, 4),
            "y": round(self.y, 4),
            "nearest": list(self.nearest),
        }


@dataclass(frozen=True)
class MapResult:
    """The map of one gallery (plus a visitor's own uploads) at one version.

    ``method`` is how the positions were made ("umap" or "pca"); ``pending`` says a UMAP
    layout is being computed in the background (the PCA one is shown meanwhile);
    ``sampled`` says ``drawn`` < ``total`` (a random sample is drawn, so the page stays
    light). ``message`` is English; the page words it from these fields.
    """

    method: str
    points: tuple[MapPoint, ...]
    clusters: tuple[MapCluster, ...]
    total: int
    drawn: int
    sampled: bool
    pending: bool
    model_id: str
    message: str
    query: QueryPoint | None = None
    umap_failed: bool = False

    def to_json(self) -> dict:
        return {
            "method": self.method,
            "pending": self.pending,
            "umap_failed": self.umap_failed,
            "total": self.total,
            "drawn": self.drawn,
            "sampled": self.sampled,
            "model_id": self.model_id,
            "message": self.message,
            "clusters": [c.to_json() for c in self.clusters],
            "points": [p.to_json() for p in self.points],
            "query": self.query.to_json() if self.query is not None else None,
        }
