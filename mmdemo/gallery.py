"""The searchable image collection: the active embedder + the FAISS index + the image files.

Why a separate service: the UI and the CLI both need "add these files", "search by
text/image/both", "more like this" and "which gallery captions fit this image"; keeping
them here keeps the handlers to a few lines. Reads run concurrently (the index is
thread-safe); writes take one lock and end with an atomic save, so two users adding
images at once cannot corrupt the index. Uploaded files are copied into
``<index_dir>/images`` so results survive the upload temp folder being cleaned.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import shutil
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from mmdemo.config import Settings
from mmdemo.errors import BadInputError, IndexMismatchError
from mmdemo.imaging import find_images
from mmdemo.pipeline import Progress, embed_files
from mmdemo.serving import ModelServer
from mmdemo.types import AddReport, IndexStats, ItemMeta, SearchHit, SearchResult, Unreadable

log = logging.getLogger(__name__)

DEFAULT_TEXT_WEIGHT = 0.3  # image + text search: how much the text pulls the query

# Hybrid text search: score = cosine(query, image) + HYBRID_WORD_WEIGHT * word_match, where
# word_match is the fraction of the query's words found in the item's caption (see
# caption_words). 0.1 is about the gap between a good and a poor CLIP text->image score,
# so words can reorder close candidates without burying a clearly better image.
HYBRID_WORD_WEIGHT = 0.1
HYBRID_POOL = 100  # embedding candidates re-ranked, besides every caption that shares a word
_STOPWORDS = frozenset(
    {
        *("a", "an", "the", "of", "in", "on", "at", "to", "for", "with", "and", "or"),
        *("is", "are", "it", "its", "this", "that", "there"),
        *("photo", "photograph", "picture", "image"),
    }
)
_WORD = re.compile(r"[a-z0-9]+")
NO_CAPTIONS = (
    'No image in the gallery has a caption yet: caption the gallery first (the "Caption '
    'the gallery" button under Gallery & status, or `python -m mmdemo caption-gallery`).'
)


def clamp_k(k: object, max_k: int) -> int:
    """A usable result count: out-of-range values are clamped, non-numbers refused."""
    try:
        value = int(float(k))  # gradio sliders may send floats
    except (TypeError, ValueError):
        raise BadInputError(f"The number of results must be a whole number, not {k!r}.") from None
    return max(1, min(value, max_k))


def clean_query(text: object) -> str:
    query = " ".join(str(text or "").split())
    if not query:
        raise BadInputError("The search text is empty: type what you are looking for.")
    return query


def caption_words(text: str | None) -> frozenset[str]:
    """The words hybrid search compares: lower case, a plural "s" dropped, stopwords left out.

    Stopwords (and "photo", which label-based captions all contain) would match every
    caption; a text made only of them keeps them rather than matching nothing.
    """
    words = []
    for word in _WORD.findall(str(text or "").lower()):
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    kept = frozenset(w for w in words if w not in _STOPWORDS)
    return kept or frozenset(words)


def word_match(query_words: frozenset[str], caption: str | None) -> float:
    """The fraction (0..1) of the query's words that occur in ``caption``."""
    if not query_words or not caption:
        return 0.0
    return len(query_words & caption_words(caption)) / len(query_words)


@dataclass(frozen=True)
class CaptionHit:
    """One gallery caption ranked against a query image (image -> text search)."""

    caption: str
    score: float
    id: int  # the item that carries this caption (the first one if several share it)
    path: str


class Gallery:
    def __init__(self, server: ModelServer, settings: Settings):
        self.server = server
        self.settings = settings
        self.index_dir = Path(settings.index_dir)
        self.store_dir = self.index_dir / "images"
        self._index = None
        self._init_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._caption_lock = threading.Lock()
        self._caption_cache: tuple[str, tuple[str, ...], np.ndarray] | None = None

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def embedder(self):
        return self.server.get("embed")

    @property
    def index(self):
        """The loaded index; created (and filled with the default gallery) on first use."""
        if self._index is None:
            with self._init_lock:
                if self._index is None:
                    self._index = self._open_index()
        return self._index

    def _new_index(self):
        from mmdemo.index import VectorIndex

        embedder = self.embedder
        return VectorIndex(
            embedder.dim,
            embedder.model_id,
            approx_threshold=self.settings.approx_threshold,
            use_gpu=self.settings.faiss_gpu,
        )

    def _open_index(self):
        from mmdemo.index import VectorIndex

        embedder = self.embedder
        if VectorIndex.exists(self.index_dir):
            index = VectorIndex.load(
                self.index_dir,
                expected_model_id=embedder.model_id,
                expected_dim=embedder.dim,
                approx_threshold=self.settings.approx_threshold,
                use_gpu=self.settings.faiss_gpu,
            )
            log.info("Loaded index from %s (%d images)", self.index_dir, len(index))
            return index
        index = self._new_index()
        gallery_dir = Path(self.settings.gallery_dir)
        if self.settings.index_default_gallery and gallery_dir.is_dir():
            log.info("First start: indexing the default gallery in %s", gallery_dir)
            self._add(index, find_images(gallery_dir), copy=False)
        index.save(self.index_dir)
        return index

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
        """Embed and add image files; ``copy`` keeps a private copy (for uploads)."""
        if not paths:
            raise BadInputError("No files given: choose one or more images to add.")
        return self._add(self.index, paths, names=names, copy=copy, progress=progress)

    def add_directory(self, directory: str | Path, progress: Progress | None = None) -> AddReport:
        directory = Path(directory)
        if not directory.is_dir():
            raise BadInputError(f"{directory} is not a folder.")
        paths = find_images(directory)
        if not paths:
            raise BadInputError(f"No images (jpg, jpeg, png, webp, bmp, gif) found in {directory}.")
        return self._add(self.index, paths, progress=progress)

    def _add(self, index, paths, *, names=None, copy=False, progress=None) -> AddReport:
        outcome = embed_files(
            self.embedder,
            [str(p) for p in paths],
            batch_size=self.settings.batch_size,
            num_workers=self.settings.num_workers,
            max_pixels=self.settings.max_image_pixels,
            is_known=index.has_hash,
            progress=progress,
            display_names=names,
        )
        if copy:
            for meta in outcome.metas:
                meta["path"] = self._store_copy(meta["path"], meta["sha256"])
        with self._write_lock:
            ids = index.add(outcome.vectors, outcome.metas) if outcome.metas else []
            added = [i for i in ids if i is not None]
            if added:
                index.save(self.index_dir)
        report = AddReport(
            added=len(added),
            duplicates=outcome.duplicates + (len(ids) - len(added)),
            unreadable=tuple(outcome.unreadable),
            added_ids=tuple(added),
            total=len(index),
        )
        log.info("Index add: %s", report.summary())
        return report

    def _store_copy(self, path: str, sha256: str) -> str:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        target = self.store_dir / f"{sha256[:20]}{Path(path).suffix.lower()}"
        if not target.exists():
            shutil.copyfile(path, target)
        return str(target)

    def reset(self) -> None:
        """Start a fresh, empty index for the active model (replaces any saved one)."""
        with self._init_lock, self._write_lock:
            index = self._new_index()
            index.save(self.index_dir)
            self._index = index

    def remove(self, ids: Sequence[int]) -> int:
        with self._write_lock:
            removed = self.index.remove(ids)
            if removed:
                self.index.save(self.index_dir)
        return removed

    def store_captions(
        self, captions: Mapping[int, str], *, overwrite: bool = False, index=None
    ) -> int:
        """Write captions into the metadata and save, as one locked step (one per batch).

        Under the write lock so a save never interleaves with an add. Items removed meanwhile
        are skipped, and so are items captioned meanwhile unless ``overwrite``. ``index`` is
        the index the captions were made for: if it was replaced (rebuilt) since, nothing is
        written. Returns how many captions were stored.
        """
        opened = self.index  # before the locks: opening it takes the init lock
        # the init lock too: reembed() swaps the index under it alone, and a save of the old
        # index after the swap would overwrite the new one on disk
        with self._init_lock, self._write_lock:
            current = self._index
            if current is not opened or (index is not None and index is not current):
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
                current.save(self.index_dir)
        return stored

    def reembed(self, progress: Progress | None = None) -> AddReport:
        """Rebuild the index with the active model from the files an older index lists."""
        from mmdemo.index import VectorIndex

        with self._init_lock:
            old_paths, captions = [], {}
            if VectorIndex.exists(self.index_dir):
                old = VectorIndex.load(self.index_dir)
                old_paths = [item.path for item in old.items()]
                # Captions describe the image, not the embedding: keep them (by content hash).
                captions = {item.sha256: item.caption for item in old.items() if item.caption}
            index = self._new_index()
            missing = [p for p in old_paths if not Path(p).is_file()]
            present = [p for p in old_paths if Path(p).is_file()]
            report = self._add(index, present, progress=progress) if present else None
            for item in index.items():
                if item.sha256 in captions:
                    index.update_meta(item.id, caption=captions[item.sha256])
            index.save(self.index_dir)
            self._index = index
        lost = tuple(Unreadable(Path(p).name, "file no longer exists") for p in missing)
        return AddReport(
            added=report.added if report else 0,
            duplicates=report.duplicates if report else 0,
            unreadable=(report.unreadable if report else ()) + lost,
            added_ids=report.added_ids if report else (),
            total=len(index),
        )

    # -- reads -------------------------------------------------------------------------
    def search_text(self, text: str, k: int = 12, hybrid: bool = False) -> SearchResult:
        """Text query; ``hybrid`` also rewards caption words (see HYBRID_WORD_WEIGHT)."""
        query = clean_query(text)
        vector = self.embedder.embed_texts([query])[0]
        if hybrid:
            return self._search_hybrid(vector, query, k)
        return self._search(vector, k, kind="text")

    def _search_hybrid(self, vector: np.ndarray, query: str, k: object) -> SearchResult:
        """Re-rank the embedding top HYBRID_POOL plus every item whose caption shares a word.

        score = cosine + HYBRID_WORD_WEIGHT * word_match(query, caption). Items outside
        the pool can only gain through their caption, so scoring the word-matched ones
        too makes the top k exact.
        """
        k = clamp_k(k, self.settings.max_k)
        index = self.index
        words = caption_words(query)
        pool = dict(index.search(vector[None, :], max(k, HYBRID_POOL))[0])
        metas = {m.id: m for m in index.items()}
        captioned = sum(1 for m in metas.values() if m.caption)
        scored = []
        for item_id, meta in metas.items():
            match = word_match(words, meta.caption)
            if item_id in pool:
                cosine = float(pool[item_id])
            elif match > 0:
                cosine = float(index.vector(item_id) @ vector)
            else:
                continue
            scored.append((cosine + HYBRID_WORD_WEIGHT * match, item_id))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        hits = tuple(
            SearchHit(i, score, metas[i].path, metas[i].caption) for score, i in scored[:k]
        )
        result = judge(hits, self._threshold("text", 0.0), empty_index=len(index) == 0)
        if not metas:
            note = ""
        elif not captioned:
            note = " No image has a caption yet, so caption words did not count."
        else:
            note = f" Hybrid: +{HYBRID_WORD_WEIGHT} × the share of query words in the caption."
        return dataclasses.replace(result, message=result.message + note)

    def search_image_to_text(self, image: Image.Image, k: int = 5) -> list[CaptionHit]:
        """The gallery's captions ranked by cosine similarity to ``image``, best first.

        Each distinct caption appears once (label-based captions often repeat), with the
        first item that carries it. Caption vectors are cached until the captions change.
        """
        k = clamp_k(k, self.settings.max_k)
        owners: dict[str, ItemMeta] = {}
        for meta in self.index.items():
            caption = " ".join((meta.caption or "").split())
            if caption and caption not in owners:
                owners[caption] = meta
        if not owners:
            raise BadInputError(NO_CAPTIONS)
        texts, vectors = self._caption_vectors(tuple(owners))
        query = self.embedder.embed_images([image])[0]
        scores = vectors @ query
        order = np.argsort(-scores, kind="stable")[:k]
        return [
            CaptionHit(texts[i], float(scores[i]), owners[texts[i]].id, owners[texts[i]].path)
            for i in order.tolist()
        ]

    def _caption_vectors(self, texts: tuple[str, ...]) -> tuple[tuple[str, ...], np.ndarray]:
        """Text vectors of ``texts``, re-embedded only when the captions or the model change."""
        model_id = self.embedder.model_id
        with self._caption_lock:
            cache = self._caption_cache
            if cache is not None and cache[0] == model_id and cache[1] == texts:
                return cache[1], cache[2]
            old = {}
            if cache is not None and cache[0] == model_id:
                old = dict(zip(cache[1], cache[2], strict=True))
            missing = [t for t in texts if t not in old]
            if missing:
                old.update(zip(missing, self.embedder.embed_texts(missing), strict=True))
            vectors = np.stack([old[t] for t in texts]).astype(np.float32, copy=False)
            self._caption_cache = (model_id, texts, vectors)
            return texts, vectors

    def search_image(
        self, image: Image.Image, k: int = 12, text: str | None = None, text_weight: float = 0.0
    ) -> SearchResult:
        """Image query, optionally mixed with text: normalise(w*text + (1-w)*image)."""
        vector = self.embedder.embed_images([image])[0]
        query = " ".join(str(text or "").split())
        weight = float(text_weight) if query else 0.0
        if not 0.0 <= weight <= 1.0:
            raise BadInputError(f"The text weight must be between 0 and 1, not {text_weight}.")
        if weight > 0:
            text_vector = self.embedder.embed_texts([query])[0]
            vector = (1.0 - weight) * vector + weight * text_vector
            norm = float(np.linalg.norm(vector))
            if norm < 1e-6:
                raise BadInputError(
                    "The image and the text cancel each other out; change the weight."
                )
            vector = vector / norm
        return self._search(vector, k, kind="image", text_weight=weight)

    def search_similar(self, item_id: int, k: int = 12) -> SearchResult:
        """ "More like this": the item's own vector as the query, the item itself left out."""
        try:
            vector = self.index.vector(int(item_id))
            name = Path(self.index.get(int(item_id)).path).name
        except (KeyError, TypeError, ValueError):
            raise BadInputError(f"There is no image with id {item_id!r} in the index.") from None
        result = self._search(vector, k, kind="image", exclude=(int(item_id),))
        return dataclasses.replace(result, message=f"More like {name}: {result.message}")

    def _search(
        self,
        vector: np.ndarray,
        k: object,
        *,
        kind: str,
        text_weight: float = 0.0,
        exclude: Sequence[int] = (),
    ) -> SearchResult:
        k = clamp_k(k, self.settings.max_k)
        index = self.index
        pairs = index.search(vector[None, :], k, exclude_ids=exclude)[0]
        hits = []
        for item_id, score in pairs:
            meta = index.get(item_id)
            hits.append(SearchHit(item_id, float(score), meta.path, meta.caption))
        threshold = self._threshold(kind, text_weight)
        return judge(tuple(hits), threshold, empty_index=len(index) == 0)

    def _threshold(self, kind: str, text_weight: float) -> float | None:
        if self.settings.match_threshold is not None:
            return self.settings.match_threshold
        thresholds = self.embedder.thresholds
        if kind == "image" and text_weight > 0 and "text" in thresholds and "image" in thresholds:
            return text_weight * thresholds["text"] + (1 - text_weight) * thresholds["image"]
        return thresholds.get(kind)

    def stats(self) -> IndexStats:
        return self.index.stats(str(self.index_dir))

    def mismatch(self) -> IndexMismatchError | None:
        """The mismatch error if the saved index belongs to another model (for the UI banner)."""
        try:
            _ = self.index
        except IndexMismatchError as err:
            return err
        return None


def judge(
    hits: tuple[SearchHit, ...], threshold: float | None, *, empty_index: bool
) -> SearchResult:
    """Wrap hits with a verdict: is the best one a confident match for this model?"""
    if empty_index:
        return SearchResult(hits, threshold, False, "The index is empty: add some images first.")
    best = hits[0].score if hits else float("-inf")
    good = threshold is None or best >= threshold
    if good:
        message = f"{len(hits)} result(s); best score {best:.3f}."
    else:
        message = (
            f"No good match: the best score is {best:.3f}, below the {threshold:.2f} this "
            "model needs for a confident match. The closest images are shown anyway."
        )
    return SearchResult(hits, threshold, good, message)
