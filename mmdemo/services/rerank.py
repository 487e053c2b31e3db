"""Re-rank the top search hits with an image-text matching model (BLIP ITM), opt-in.

Why: the embedding search compares one vector per image with one per query, so "a dog on
a red couch" and "a red dog on a couch" look alike to it; BLIP's ITM head reads the query
against the image's patches and says how well it fits (LAVIS re-ranks its top hits the same
way). It costs a forward pass of a 224 M-parameter model per image, so only the first
``top`` hits (at most ``MAX_TOP``) are re-ranked; the others keep their order, after them.

The hits must be ones this server's own search returned (their paths are files of its
galleries): a caller never passes paths a client sent. Images are read through the one safe
loader (``core.imaging.load_image``) from the hit's file, else from its thumbnail.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from mmdemo.core.errors import BadInputError, MMDemoError
from mmdemo.core.imaging import load_image
from mmdemo.core.rerank_results import RerankedHit, RerankResult
from mmdemo.core.results import SearchHit
from mmdemo.models.presets import get_preset
from mmdemo.models.registry import require_readable
from mmdemo.services.search import clean_query
from mmdemo.services.tasks import whole_number
from mmdemo.serving import ModelServer

log = logging.getLogger(__name__)

TASK = "match"
DEFAULT_TOP = 10
MAX_TOP = 20  # ~0.5 s an image for BLIP base on 2 CPU cores: 20 keeps a re-rank near 10 s
IMAGE_SIDE = 384  # BLIP ITM's input: the loader decodes a JPEG no larger than this needs
TOP_WHAT = "The number of hits to re-rank"


def can_rerank(server: ModelServer) -> bool:
    """Whether the server's preset (or ``MMDEMO_BACKENDS``) has a "match" backend; the page
    offers its re-rank checkbox only then. Nothing is loaded."""
    return TASK in server.overrides or TASK in get_preset(server.preset)


def require_matcher(server: ModelServer) -> None:
    """Refuse, before any work, on a server whose preset has no "match" model."""
    if not can_rerank(server):
        raise BadInputError(
            f"Re-ranking needs an image-text matching model (BLIP ITM), and the "
            f"{server.preset} preset has none. Start the app with the full preset "
            "(MMDEMO_PRESET=full) to re-rank."
        )


def _image_of(hit: SearchHit, max_pixels: int) -> Image.Image | None:
    """The hit's image from its file, else from its thumbnail; None when neither reads."""
    for source in (hit.path, hit.thumbnail):
        if not source:
            continue
        try:
            return load_image(
                source, name=Path(source).name, max_pixels=max_pixels, min_side=IMAGE_SIDE
            )
        except MMDemoError as err:
            log.warning("Re-rank: cannot read %s: %s", source, err)
    return None


def rerank(
    server: ModelServer, query: str, hits: Sequence[SearchHit], *, top: int = DEFAULT_TOP
) -> RerankResult:
    """The first ``top`` of ``hits`` re-ordered by the probability that ``query`` describes
    each image (ties keep the search order); the rest follow in ``rest``, unchanged.

    Refused, before any work: a preset without a "match" model, an empty or over-long
    query, a query the model cannot read (it reads English), ``top`` outside 1..MAX_TOP.
    """
    require_matcher(server)
    top = whole_number(top, TOP_WHAT, 1, MAX_TOP)
    query = clean_query(query)
    spec = server.spec_for(TASK)
    require_readable(spec.capabilities, query, spec.name, "search text")
    hits = list(hits)
    for hit in hits:
        if not isinstance(hit, SearchHit):
            raise BadInputError(
                f"Only image search hits can be re-ranked, not a {type(hit).__name__}."
            )
    head, rest = hits[:top], hits[top:]

    started = time.perf_counter()
    was_loaded = server.is_loaded(TASK)
    matcher = server.get(TASK)
    load_seconds = 0.0 if was_loaded else time.perf_counter() - started

    started = time.perf_counter()
    readable: list[tuple[int, SearchHit, Image.Image]] = []
    unreadable: list[SearchHit] = []
    for rank, hit in enumerate(head, 1):
        image = _image_of(hit, server.settings.max_image_pixels)
        if image is None:
            unreadable.append(hit)
        else:
            readable.append((rank, hit, image))
    read_seconds = time.perf_counter() - started
    scores = matcher.match_many([(image, query) for _, _, image in readable]) if readable else []
    ranked = sorted(
        (
            RerankedHit(hit, score, rank)
            for (rank, hit, _), score in zip(readable, scores, strict=True)
        ),
        key=lambda r: (-r.match_score, r.original_rank),
    )
    seconds = time.perf_counter() - started
    result = RerankResult(
        hits=tuple(ranked),
        seconds=seconds,
        backend=spec.name,
        model=matcher.model_label,
        random_weights=server.is_random(TASK),
        rest=tuple(unreadable + rest),
        unreadable=tuple(hit.path for hit in unreadable),
        load_seconds=load_seconds,
        read_seconds=read_seconds,
    )
    log.info(
        "Re-ranked %d hits with %s in %.2f s (%.2f s reading; %d moved, %d unreadable)",
        len(ranked),
        spec.name,
        seconds,
        read_seconds,
        result.moved,
        len(unreadable),
    )
    return result
