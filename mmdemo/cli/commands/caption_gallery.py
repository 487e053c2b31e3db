"""``python -m mmdemo caption-gallery``: caption every indexed image that has no caption yet
(resumable: the index is saved after every batch)."""

from __future__ import annotations

import argparse

from mmdemo.cli.common import add_common, gallery_for, print_lines, progress_bar, settings_for

NAME = "caption-gallery"
ORDER = 60
HELP = "caption every indexed image that has no caption yet (resumable)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--overwrite", action="store_true", help="caption again images that already have one"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="images per batch; the index is saved after each (default 8)",
    )
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    from mmdemo.services.captioning import CAPTION_BATCH_SIZE, caption_gallery

    server, gallery = gallery_for(settings_for(args))
    batch_size = CAPTION_BATCH_SIZE if args.batch_size is None else args.batch_size
    with progress_bar("Captioning") as progress:
        report = caption_gallery(
            gallery, server, batch_size=batch_size, overwrite=args.overwrite, progress=progress
        )
    print_lines([report.summary()])
    return 0
