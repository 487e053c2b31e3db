"""``python -m mmdemo index DIR``: add every image under DIR to the index.

``--engine ray`` runs the same indexing on Ray (``services.ray_ingest``): on this
machine, or on a cluster with ``--ray-address``; it needs ``requirements-scale.txt``."""

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
    parser.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: this process (default); ray: Ray tasks decode, model actors embed "
        "(pip install -r requirements-scale.txt)",
    )
    parser.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="a running Ray cluster to use (e.g. auto, or HEAD:6379); default: start Ray here",
    )
    parser.add_argument(
        "--ray-actors",
        type=int,
        metavar="N",
        help="model actors for --engine ray (default: one per GPU; without GPUs, none on "
        "one machine - the command's own model embeds - else 1)",
    )
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    if args.engine != "ray" and (args.ray_address or args.ray_actors):
        from mmdemo.core.errors import BadInputError

        raise BadInputError("--ray-address and --ray-actors need --engine ray.")
    if args.ray_actors is not None and args.ray_actors < 1:
        from mmdemo.core.errors import BadInputError

        count = args.ray_actors
        raise BadInputError(f"--ray-actors {count}: give 1 or more model actors.")
    if args.engine == "ray":
        from mmdemo.services.ray_ingest import import_ray

        import_ray()  # a missing package is said before any model loads
    _, gallery = gallery_for(settings_for(args, index_default_gallery=False))
    if args.rebuild:
        gallery.reset()
    with progress_bar("Embedding") as progress:
        if args.engine == "ray":
            from mmdemo.services.ray_ingest import ray_add_directory

            result = ray_add_directory(
                gallery,
                args.directory,
                address=args.ray_address,
                progress=progress,
                actors=args.ray_actors,
            )
            lines = [result.summary()]
        else:
            lines = [gallery.add_directory(args.directory, progress=progress).summary()]
    print_lines(lines)
    return 0
