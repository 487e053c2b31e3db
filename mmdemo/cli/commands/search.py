"""``python -m mmdemo search "TEXT" [--image PATH]``: search the index by text, image or both."""

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

NAME = "search"
ORDER = 20
HELP = "search the index by text, image, or both"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", metavar="TEXT", help='query text ("" with --image for image only)')
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
    from mmdemo.services.search import DEFAULT_TEXT_WEIGHT, GallerySearch

    settings = settings_for(args)
    _, gallery = gallery_for(settings)
    search = GallerySearch(gallery)
    if args.image is not None:
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
