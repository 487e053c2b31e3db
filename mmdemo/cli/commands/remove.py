"""``python -m mmdemo remove ID...``: remove images from the index (and their stored copies)."""

from __future__ import annotations

import argparse

from mmdemo.cli.common import add_common, gallery_for, print_lines, settings_for
from mmdemo.services.gallery import parse_ids

NAME = "remove"
ORDER = 25
HELP = "remove images from the index by id (ids are never reused)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="+", metavar="ID", help="item ids (search --json)")
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    ids = parse_ids(args.ids)  # checked before the index is opened
    _, gallery = gallery_for(settings_for(args))
    removed = gallery.remove(ids)
    unknown = len(set(ids)) - removed
    note = f"; {unknown} id(s) were not in the index" if unknown else ""
    print_lines([f"removed {removed} image(s){note}; the index holds {len(gallery.index)}"])
    return 0
