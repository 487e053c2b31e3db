"""``python -m mmdemo caption IMAGE``: caption one image (decoding options for BLIP)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mmdemo.cli.common import (
    MODEL_HELP,
    add_common,
    model_server,
    print_json,
    print_lines,
    read_image,
    settings_for,
)

NAME = "caption"
ORDER = 30
HELP = "caption one image"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", type=Path, metavar="IMAGE")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--model", help=MODEL_HELP.format(task="caption"))
    parser.add_argument(
        "--mode", default="beam", help="beam or sample (generative captioners; default beam)"
    )
    parser.add_argument(
        "--max-tokens", type=int, default=30, help="most new tokens (generative; default 30)"
    )
    parser.add_argument("--prefix", default="", help="start the caption with this text (BLIP)")
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    from mmdemo.services import tasks

    settings = settings_for(args)
    image = read_image(args.image, settings)
    result = tasks.caption(
        model_server(settings),
        image,
        model=args.model,
        mode=args.mode,
        max_length=args.max_tokens,
        prefix=args.prefix,
    )
    if args.json:
        print_json(result.to_json())
        return 0
    lines = [result.caption, f"method: {result.method}"]
    lines += [f"  {s.probability:6.3f}  {s.label}" for s in result.labels]
    if result.nearest:
        lines.append("closest gallery captions:")
        lines += [f"  {s.probability:6.3f}  {s.label}" for s in result.nearest]
    if result.random_weights:
        lines.append("note: random test weights (preset tiny): this caption is meaningless.")
    print_lines(lines)
    return 0
