"""``python -m mmdemo index DIR``: add every image under DIR to the index."""

from __future__ import annotations

import argparse
from pathlib import Path

from mmdemo.cli.common import add_common, gallery_for, print_lines, progress_bar, settings_for

NAME = "index"
ORDER = 10
HELP = "add every image under DIR to the index"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, metavar="DIR")
    parser.add_argument(
        "--rebuild", action="store_true", help="start a fresh index (e.g. after changing the model)"
    )
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    _, gallery = gallery_for(settings_for(args, index_default_gallery=False))
    if args.rebuild:
        gallery.reset()
    with progress_bar("Embedding") as progress:
        report = gallery.add_directory(args.directory, progress=progress)
    print_lines([report.summary()])
    return 0
