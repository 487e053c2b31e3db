"""Queries over the gallery: text, image, image + text, "more like this", image -> caption.

Why a service of its own: the Search tab, the CLI and the API all ask the same questions,
and each answer needs the same steps - embed the query with the gallery's embedder, search
the index, and word each hit (strong / possible / weak) from the model's calibrated levels,
leaving out those below the caller's minimum score. The one piece of state is a cache of
the captions' text vectors (image -> text search), kept until the captions or the model
change.

Every query may name a visitor's ``overlay`` (their own uploads, ``services.visitors``):
it is searched together with the base gallery and the hits are merged by score, so a
visitor sees the shared photos and their own, and nobody else's.

Every query may also ask to ``collapse`` near-duplicates (``services.duplicates``): twice
the hits are fetched, each group of near-identical copies is folded into its best-scored
hit, and the first k are kept; ``result.hits.folded`` says how many copies were folded.
"""

from __future__ import annotations

__all__ = [
    "MIN_SCORE_LABEL",
    "STRENGTHS",
    "GallerySearch",
    "clamp_k",
    "clean_min_score",
    "clean_query",
    "judge",
    "match_strength",
]

import dataclasses
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from mmdemo.core.duplicate_results import CollapsedHits
from mmdemo.core.errors import BadInputError, shown
from mmdemo.core.results import CaptionHit, ItemMeta, SearchHit, SearchResult
from mmdemo.models.registry import require_readable
from mmdemo.services import duplicates
from mmdemo.services.gallery import Gallery
from mmdemo.services.hybrid import HYBRID_POOL, HYBRID_WORD_WEIGHT, rerank
from mmdemo.services.search_verdict import (  # re-exported: callers import them from here
    MIN_SCORE_LABEL,
    STRENGTHS,
    clean_min_score,
    judge,
    match_strength,
)
from mmdemo.services.thumbnails import thumbnails_or_none

DEFAULT_TEXT_WEIGHT = 0.3  # image + text search: how much the text pulls the query
# CLIP reads 77 tokens (~300 characters) of a query and drops the rest, so a longer query is
# cut here first: a pasted book then costs the tokenizer nothing.
MAX_QUERY_CHARS = 1_000
# CLI and page wordings of one message (core.errors: str(err) and err.ui)
NO_CAPTIONS = (
    "No image in the gallery has a caption yet: caption the gallery first "
    "(python -m mmdemo caption-gallery)."
)
NO_CAPTIONS_UI = (
    "No image in the gallery has a caption yet: caption the gallery first (in the Gallery tab)."
)


def clamp_k(k: object, max_k: int) -> int:
    """A usable result count: out-of-range values are clamped, non-numbers refused."""
    try:
        value = int(float(k))  # gradio sliders may send floats
    except (TypeError, ValueError, OverflowError):
        raise BadInputError(
            f"The number of results must be a whole number, not {shown(k)}."
        ) from None
    return max(1, min(value, max_k))


def clean_query(text: object) -> str:
    """The query with whitespace tidied; empty or non-text queries are refused."""
    if text is not None and not isinstance(text, str):  # a crafted call: a dict, a number
        raise BadInputError(f"The search text must be text, not {type(text).__name__}.")
    # cut before tidying too (whitespace runs are collapsed, so keep room for them)
    query = " ".join((text or "")[: 20 * MAX_QUERY_CHARS].split())[:MAX_QUERY_CHARS].rstrip()
    if not query:
        raise BadInputError("The search text is empty: type what you are looking for.")
    return query


class GallerySearch:
    """Every query kind over one ``Gallery`` (plus an optional overlay); thread-safe."""

    def __init__(self, gallery: Gallery):
        self.gallery = gallery
        self._caption_lock = threading.Lock()
        self._caption_cache: tuple[str, tuple[str, ...], np.ndarray] | None = None

    @property
    def max_k(self) -> int:
        return self.gallery.settings.max_k

    def require_readable(self, query: str) -> None:
        """Refuse a query the embedder cannot read (an English-only model, Chinese text)."""
        embedder = self.gallery.embedder
        spec = getattr(embedder, "spec", None)
        if spec is not None:
            require_readable(spec.capabilities, query, spec.name, "search text")

    def _galleries(self, overlay: Gallery | None) -> list[Gallery]:
        return [self.gallery] if overlay is None else [self.gallery, overlay]

    # -- queries ---------------------------------------------------------------------------
    def text(
        self,
        text: str,
        k: int = 12,
        hybrid: bool = False,
        *,
        overlay: Gallery | None = None,
        min_score: float | None = None,
        collapse: bool = False,
    ) -> SearchResult:
        """Text query; ``hybrid`` also rewards caption words (see ``services.hybrid``).
        Hits scoring below ``min_score`` are left out (every query method takes it)."""
        query = clean_query(text)
        floor = clean_min_score(min_score)
        self.require_readable(query)
        vector = self.gallery.embedder.embed_texts([query])[0]
        galleries = self._galleries(overlay)
        if hybrid:
            return self._hybrid(vector, query, k, galleries, min_score=floor, collapse=collapse)
        return self._search(vector, k, galleries, kind="text", min_score=floor, collapse=collapse)

    def image(
        self,
        image: Image.Image,
        k: int = 12,
        text: str | None = None,
        text_weight: float = 0.0,
        *,
        overlay: Gallery | None = None,
        min_score: float | None = None,
        collapse: bool = False,
    ) -> SearchResult:
        """Image query, optionally mixed with text: normalise(w*text + (1-w)*image).

        ``min_score`` is on the image -> image scale; a mixed query scores lower, so the
        minimum moves down with its levels and a slider keeps its meaning."""
        floor = clean_min_score(min_score)
        if text is not None and not isinstance(text, str):
            raise BadInputError(f"The text to mix in must be text, not {type(text).__name__}.")
        query = " ".join((text or "").split())
        if query:
            self.require_readable(query)
        try:
            weight = float(text_weight) if query else 0.0  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            raise BadInputError(
                f"The text weight must be a number between 0 and 1, not {shown(text_weight)}."
            ) from None
        if not 0.0 <= weight <= 1.0:  # also refuses NaN
            raise BadInputError(
                f"The text weight must be between 0 and 1, not {shown(text_weight)}."
            )
        embedder = self.gallery.embedder  # the inputs are checked: now the model's work
        vector = embedder.embed_images([image])[0]
        if weight > 0:
            text_vector = embedder.embed_texts([query])[0]
            vector = (1.0 - weight) * vector + weight * text_vector
            norm = float(np.linalg.norm(vector))
            if norm < 1e-6:
                raise BadInputError(
                    "The image and the text cancel each other out; change the weight."
                )
            vector = vector / norm
        galleries = self._galleries(overlay)
        if floor is not None and weight > 0:
            mixed, pure = self._threshold("image", weight), self._threshold("image", 0.0)
            if mixed is not None and pure is not None:
                floor += mixed - pure
        return self._search(
            vector,
            k,
            galleries,
            kind="image",
            text_weight=weight,
            min_score=floor,
            collapse=collapse,
        )

    def similar(
        self,
        item_id: int,
        k: int = 12,
        *,
        overlay: Gallery | None = None,
        min_score: float | None = None,
        collapse: bool = False,
    ) -> SearchResult:
        """ "More like this": the item's own vector as the query, the item itself left out."""
        floor = clean_min_score(min_score)
        galleries = self._galleries(overlay)
        item, vector, name = self._item(item_id, galleries)
        result = self._search(
            vector,
            k,
            galleries,
            kind="image",
            exclude=(item,),
            min_score=floor,
            collapse=collapse,
        )
        return dataclasses.replace(result, message=f"More like {name}: {result.message}")

    def item_vector(self, item_id: object, overlay: Gallery | None = None) -> np.ndarray:
        """The stored vector of gallery image ``item_id`` (the base gallery or the overlay)."""
        return self._item(item_id, self._galleries(overlay))[1]

    def search_vector(
        self,
        vector: np.ndarray,
        k: object = 12,
        *,
        overlay: Gallery | None = None,
        kind: str = "text",
        text_weight: float = 0.0,
        exclude: Sequence[int] = (),
        min_score: float | None = None,
        collapse: bool = False,
    ) -> SearchResult:
        """A query vector made elsewhere (``services.query_terms``), judged on the levels of
        ``kind`` ("text", or "image" mixed with ``text_weight`` of text)."""
        floor = clean_min_score(min_score)
        galleries = self._galleries(overlay)
        return self._search(
            vector,
            k,
            galleries,
            kind=kind,
            text_weight=text_weight,
            exclude=exclude,
            min_score=floor,
            collapse=collapse,
        )

    def item_path(self, item_id: object, overlay: Gallery | None = None) -> str:
        """The stored file of gallery image ``item_id`` (for "why this match")."""
        galleries = self._galleries(overlay)
        item = self._item(item_id, galleries)[0]
        holder = next(g for g in galleries if _holds(g, item))
        return holder.index.get(item).path

    def _item(self, item_id: object, galleries: list[Gallery]) -> tuple[int, np.ndarray, str]:
        """(id, stored vector, file name) of an indexed image, or a clear error."""
        try:
            item = int(item_id)  # type: ignore[call-overload]
            holder = next(g for g in galleries if _holds(g, item))
            vector = holder.index.vector(item)
            name = Path(holder.index.get(item).path).name
        except (StopIteration, KeyError, TypeError, ValueError, OverflowError):
            raise BadInputError(
                f"There is no image with id {shown(item_id)} in the index."
            ) from None
        return item, vector, name

    def image_to_text(
        self,
        image: Image.Image,
        k: int = 5,
        *,
        overlay: Gallery | None = None,
        min_score: float | None = None,
    ) -> list[CaptionHit]:
        """The gallery's captions ranked by cosine similarity to ``image``, best first.

        Each distinct caption appears once (label-based captions often repeat), with the
        first item that carries it; each has its strength on the text -> image levels.
        """
        k = clamp_k(k, self.max_k)
        floor = clean_min_score(min_score)
        owners: dict[str, ItemMeta] = {}
        for meta in _items(self._galleries(overlay)):
            caption = " ".join((meta.caption or "").split())
            if caption and caption not in owners:
                owners[caption] = meta
        if not owners:
            raise BadInputError(NO_CAPTIONS, ui=NO_CAPTIONS_UI)
        texts, vectors = self._caption_vectors(tuple(owners))
        scores = vectors @ self.gallery.embedder.embed_images([image])[0]
        order = np.argsort(-scores, kind="stable")[:k]
        possible, strong = self._threshold("text", 0.0), self._strong("text", 0.0)
        hits = [
            CaptionHit(
                texts[i],
                float(scores[i]),
                owners[texts[i]].id,
                owners[texts[i]].path,
                strength=match_strength(float(scores[i]), possible, strong),
            )
            for i in order.tolist()
            if floor is None or scores[i] >= floor
        ]
        return list(_with_thumbnails(hits, self._galleries(overlay)))

    # -- internals -------------------------------------------------------------------------
    def _search(
        self,
        vector: np.ndarray,
        k: object,
        galleries: list[Gallery],
        *,
        kind: str,
        text_weight: float = 0.0,
        exclude: Sequence[int] = (),
        min_score: float | None = None,
        collapse: bool = False,
    ) -> SearchResult:
        k = clamp_k(k, self.max_k)
        pool = 2 * k if collapse else k  # folded copies leave room for the next hits
        hits = []
        for gallery in galleries:
            index = gallery.index
            for item_id, score in index.search(vector[None, :], pool, exclude_ids=exclude)[0]:
                meta = index.get(item_id)
                hits.append(SearchHit(item_id, float(score), meta.path, meta.caption))
        hits.sort(key=lambda hit: (-hit.score, hit.id))  # merged: the best k of all
        if collapse:
            hits = list(self._collapsed(hits, galleries))
        hits[k:] = []
        hits = list(_with_thumbnails(hits, galleries))  # only for the hits returned
        threshold = self._threshold(kind, text_weight)
        empty = all(len(g.index) == 0 for g in galleries)
        strong = self._strong(kind, text_weight)
        result = judge(
            tuple(hits[:k]), threshold, empty_index=empty, strong=strong, min_score=min_score
        )
        return _folded(result) if collapse else result

    def _hybrid(
        self,
        vector: np.ndarray,
        query: str,
        k: object,
        galleries: list[Gallery],
        *,
        min_score: float | None = None,
        collapse: bool = False,
    ) -> SearchResult:
        """Re-rank the embedding top HYBRID_POOL plus every item whose caption shares a word."""
        k = clamp_k(k, self.max_k)
        pool: dict[int, float] = {}
        for gallery in galleries:
            pool.update(gallery.index.search(vector[None, :], max(k, HYBRID_POOL))[0])
        metas = {m.id: m for m in _items(galleries)}

        def cosine_of(item_id: int) -> float:
            holder = next(g for g in galleries if _holds(g, item_id))
            return float(holder.index.vector(item_id) @ vector)

        scored = rerank(query, pool, metas.values(), cosine_of)
        hits = [SearchHit(i, score, metas[i].path, metas[i].caption) for score, i in scored]
        if collapse:
            hits = list(self._collapsed(hits, galleries))
        hits = hits[:k]
        hits = _with_thumbnails(hits, galleries)
        empty = all(len(g.index) == 0 for g in galleries)
        result = judge(
            hits,
            self._threshold("text", 0.0),
            empty_index=empty,
            strong=self._strong("text", 0.0),
            min_score=min_score,
        )
        if not metas:
            note = ""
        elif not any(m.caption for m in metas.values()):
            note = " No image has a caption yet, so caption words did not count."
        else:
            note = f" Hybrid: +{HYBRID_WORD_WEIGHT} × the share of query words in the caption."
        result = dataclasses.replace(result, message=result.message + note)
        return _folded(result) if collapse else result

    def _collapsed(self, hits: Sequence[SearchHit], galleries: list[Gallery]) -> CollapsedHits:
        """``hits`` with each near-duplicate group folded into its best hit."""
        overlay = galleries[1] if len(galleries) > 1 else None
        report = duplicates.find_duplicates(self.gallery, overlay=overlay)
        return duplicates.collapse(hits, report)

    def _threshold(self, kind: str, text_weight: float) -> float | None:
        """The "possible match" level of this query kind (MMDEMO_MATCH_THRESHOLD overrides)."""
        settings = self.gallery.settings
        if settings.match_threshold is not None:
            return settings.match_threshold
        return _level(self.gallery.embedder.thresholds, kind, text_weight, "")

    def _strong(self, kind: str, text_weight: float) -> float | None:
        """The "strong match" level, never below the possible one (None: no "strong")."""
        strong = _level(self.gallery.embedder.thresholds, kind, text_weight, "_strong")
        possible = self._threshold(kind, text_weight)
        if strong is None or possible is None or strong < possible:
            return None
        return strong

    def possible_level(self, kind: str = "text") -> float | None:
        """Where a "possible" match starts for ``kind`` ("text" or "image") queries, read
        from the embedder's spec so that building the page loads no model: the page's
        minimum-score sliders start there. None: the model has no calibrated levels."""
        settings = self.gallery.settings
        if settings.match_threshold is not None:
            return settings.match_threshold
        spec = self.gallery.server.spec_for("embed")
        return _level(dict(spec.option("thresholds", None) or {}), kind, 0.0, "")

    def _caption_vectors(self, texts: tuple[str, ...]) -> tuple[tuple[str, ...], np.ndarray]:
        """Text vectors of ``texts``, re-embedded only when the captions or the model change."""
        embedder = self.gallery.embedder
        with self._caption_lock:
            cache = self._caption_cache
            if cache is not None and cache[0] == embedder.model_id and cache[1] == texts:
                return cache[1], cache[2]
            old = {}
            if cache is not None and cache[0] == embedder.model_id:
                old = dict(zip(cache[1], cache[2], strict=True))
            missing = [t for t in texts if t not in old]
            if missing:
                old.update(zip(missing, embedder.embed_texts(missing), strict=True))
            vectors = np.stack([old[t] for t in texts]).astype(np.float32, copy=False)
            self._caption_cache = (embedder.model_id, texts, vectors)
            return texts, vectors


def _level(thresholds: dict[str, float], kind: str, text_weight: float, suffix: str):
    """``thresholds[kind + suffix]``; an image + text query mixes the two levels as its
    vector mixes the two queries (linear in the text weight)."""
    text, image = thresholds.get("text" + suffix), thresholds.get("image" + suffix)
    if kind == "image" and text_weight > 0 and text is not None and image is not None:
        return text_weight * text + (1 - text_weight) * image
    return thresholds.get(kind + suffix)


def _folded(result: SearchResult) -> SearchResult:
    """``result`` whose hits say how many copies they fold (``result.hits.folded``)."""
    folded = sum(getattr(hit, "folded", 0) for hit in result.hits)
    return dataclasses.replace(result, hits=CollapsedHits(result.hits, folded=folded))


def _holds(gallery: Gallery, item_id: int) -> bool:
    try:
        gallery.index.get(item_id)
    except KeyError:
        return False
    return True


def _with_thumbnails(hits, galleries: list[Gallery]) -> tuple:
    """The hits (SearchHit or CaptionHit) with their thumbnails, each made by the gallery
    that holds the image (a visitor's overlay keeps its own), None where none can be made."""
    pairs, kept = [], []
    for hit in hits:
        holder = next((g for g in galleries if _holds(g, hit.id)), None)
        if holder is not None:
            pairs.append((holder, holder.index.get(hit.id)))
            kept.append(hit)
    made = thumbnails_or_none(pairs)
    return tuple(
        dataclasses.replace(hit, thumbnail=thumb) for hit, thumb in zip(kept, made, strict=True)
    )


def _items(galleries: Iterable[Gallery]) -> list[ItemMeta]:
    return [meta for gallery in galleries for meta in gallery.index.items()]
