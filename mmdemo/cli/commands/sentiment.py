"""``python -m mmdemo sentiment [--text T] [--image PATH]``: sentiment of a text, an image or
both, fused (late, caption or early)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mmdemo.cli.common import add_common, model_server, print_json, print_lines, settings_for
from mmdemo.services.sentiment import DEFAULT_FUSION, DEFAULT_TEXT_WEIGHT, FUSIONS

NAME = "sentiment"
ORDER = 50
HELP = "sentiment of a text, an image, or both fused (late, caption, early)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text", help="the text")
    parser.add_argument("--image", type=Path, help="the image")
    parser.add_argument(
        "--fusion",
        default=DEFAULT_FUSION,
        choices=list(FUSIONS),
        help=f"how text and image are combined (default {DEFAULT_FUSION})",
    )
    parser.add_argument(
        "--weight",
        type=float,
        default=DEFAULT_TEXT_WEIGHT,
        help="text weight in late fusion: 1 = text only, 0 = image only "
        f"(default {DEFAULT_TEXT_WEIGHT})",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    from mmdemo.services import tasks

    server = model_server(settings_for(args))
    result = tasks.sentiment(
        server, args.text, args.image, fusion=args.fusion, text_weight=args.weight
    )
    if args.json:
        print_json(result.to_json())
        return 0
    weight = "" if result.text_weight is None else f", text weight {result.text_weight:.2f}"
    lines = [
        f"{result.label} ({result.fusion} fusion{weight})",
        f"{'':8} {'negative':>8} {'neutral':>8} {'positive':>8}",
    ]
    rows = [(m.modality, m.values, f"  pulls {m.pull}; {m.source}") for m in result.modalities]
    rows.append(("fused", result.values, ""))
    lines += [f"{name:8} " + " ".join(f"{v:8.3f}" for v in values) + extra
              for name, values, extra in rows]  # fmt: skip
    lines += [f"note: {note}" for note in result.notes]
    print_lines(lines)
    return 0
