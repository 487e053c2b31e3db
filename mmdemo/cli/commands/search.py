"""``python -m mmdemo search "TEXT" [--image PATH]``: search the index by text, image or both;
``--terms '"a dog" + "at night" - "people"'``: query arithmetic (``services.query_terms``),
where ``image`` in the terms is ``--image`` and ``#12`` is gallery image 12."""

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
    parser.add_argument("--json", action="store_true", help="print a JSON list of results")
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    from mmdemo.services.query_terms import search_terms
    from mmdemo.services.search import DEFAULT_TEXT_WEIGHT, GallerySearch

    if (args.text is None) == (args.terms is None):
        raise BadInputError(
            "Give the search either a TEXT or --terms (one of them): "
            'python -m mmdemo search "a cat", or --terms \'"a cat" - "grass"\'.'
        )
    settings = settings_for(args)
    _, gallery = gallery_for(settings)
    search = GallerySearch(gallery)
    if args.terms is not None:
        image = read_image(args.image, settings) if args.image is not None else None
        terms, result = search_terms(
            search, args.terms, args.k, image=image, min_score=args.min_score
        )
        if image is not None and not any(term.kind == "image" for term in terms):
            warn("--image is not in the terms, so it was not used: write image in them.")
    elif args.image is not None:
        image = read_image(args.image, settings)
        weight = DEFAULT_TEXT_WEIGHT if args.weight is None else args.weight
        result = search.image(
            image, args.k, text=args.text, text_weight=weight, min_score=args.min_score
        )
    else:
        result = search.text(args.text, args.k, hybrid=args.hybrid, min_score=args.min_score)
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
