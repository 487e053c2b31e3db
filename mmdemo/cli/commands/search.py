"""``python -m mmdemo search "TEXT" [--image PATH]``: search the index by text, image or both;
``--terms '"a dog" + "at night" - "people"'``: query arithmetic (``services.query_terms``),
where ``image`` in the terms is ``--image`` and ``#12`` is gallery image 12. ``--collapse``
folds near-duplicates into one hit; ``--rerank`` re-orders a text search's top hits with
BLIP image-text matching (``services.rerank``; the full preset) and says what it cost."""

from __future__ import annotations

import argparse
from pathlib import Path

from mmdemo.cli.common import (
    add_common,
    gallery_for,
    print_json,
    print_lines,
    read_image,
    settings_for,
    warn,
)
from mmdemo.core.errors import BadInputError

NAME = "search"
ORDER = 20
HELP = "search the index by text, image, both, or signed terms (--terms)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "text",
        metavar="TEXT",
        nargs="?",
        default=None,
        help='query text ("" with --image for image only; leave out with --terms)',
    )
    parser.add_argument(
        "--terms",
        default=None,
        help='query arithmetic: \'"a dog" + "at night" - "people"\', weights like 0.5 * "x" '
        "(-2..2), image for --image, #ID for a gallery image",
    )
    parser.add_argument("--image", type=Path, help="query image (mixed with TEXT if both given)")
    parser.add_argument(
        "--weight",
        type=float,
        default=None,
        help="text weight when mixing TEXT with --image (0..1, default 0.3)",
    )
    parser.add_argument("--k", type=int, default=10, help="number of results (clamped)")
    parser.add_argument(
        "--hybrid", action="store_true", help="also match caption words (text search)"
    )
    parser.add_argument(
        "--min-score",
        type=float,
        default=None,
        help="leave out results scoring below this (default: show all k)",
    )
    parser.add_argument(
        "--collapse", action="store_true", help="one result per group of near-duplicates"
    )
    parser.add_argument(
        "--rerank",
        action="store_true",
        help="re-order the top hits (at most 20) of a text search with BLIP image-text "
        "matching (full preset; seconds per image on a CPU)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list of results")
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    from mmdemo.services.query_terms import search_terms
    from mmdemo.services.search import DEFAULT_TEXT_WEIGHT, GallerySearch

    if args.rerank and (args.terms is not None or args.image is not None):
        raise BadInputError(
            "--rerank re-orders a text search only: give it a TEXT without --image or --terms."
        )
    if (args.text is None) == (args.terms is None):
        raise BadInputError(
            "Give the search either a TEXT or --terms (one of them): "
            'python -m mmdemo search "a cat", or --terms \'"a cat" - "grass"\'.'
        )
    settings = settings_for(args)
    server, gallery = gallery_for(settings)
    if args.rerank:
        from mmdemo.services.rerank import require_matcher

        require_matcher(server)  # before the search: lite has no matcher
    search = GallerySearch(gallery)
    if args.terms is not None:
        image = read_image(args.image, settings) if args.image is not None else None
        terms, result = search_terms(
            search, args.terms, args.k, image=image, min_score=args.min_score,
            collapse=args.collapse,
        )  # fmt: skip
        if image is not None and not any(term.kind == "image" for term in terms):
            warn("--image is not in the terms, so it was not used: write image in them.")
    elif args.image is not None:
        image = read_image(args.image, settings)
        weight = DEFAULT_TEXT_WEIGHT if args.weight is None else args.weight
        result = search.image(
            image, args.k, text=args.text, text_weight=weight, min_score=args.min_score,
            collapse=args.collapse,
        )  # fmt: skip
    else:
        result = search.text(
            args.text, args.k, hybrid=args.hybrid, min_score=args.min_score,
            collapse=args.collapse,
        )  # fmt: skip
    if args.rerank:
        return _reranked(server, args, result)
    if args.json:
        print_json(result.to_json())
    else:
        print_lines(
            f"{hit.score:7.3f}  {hit.strength or '-':<8}  {hit.id:>6}  {hit.path}"
            for hit in result.hits
        )
    if not result.good_match or not result.hits:
        warn(result.message)
    return 0


def _reranked(server, args: argparse.Namespace, result) -> int:
    """The text search's top hits in BLIP ITM's order, each with its match probability and
    where the search had it; the seconds it took go to stderr (``--json``: the whole
    ``RerankResult``, whose ``seconds`` say the same)."""
    from mmdemo.services.rerank import MAX_TOP, rerank

    top = max(1, min(len(result.hits), MAX_TOP))
    done = rerank(server, args.text, result.hits, top=top)
    if args.json:
        print_json(done.to_json())
    else:
        print_lines(
            f"{r.match_score:7.3f}  was #{r.original_rank:<3}  {r.hit.id:>6}  {r.hit.path}"
            for r in done.hits
        )
        print_lines(f"{'-':>7}  {'':<7}  {hit.id:>6}  {hit.path}" for hit in done.rest)
    warn(
        f"Re-ranked {len(done.hits)} hits with {done.model} in {done.seconds:.2f} s "
        f"({done.moved} changed place)."
    )
    return 0
