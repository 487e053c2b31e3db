"""``python -m mmdemo explain IMAGE "QUERY"``: where in the image the query matched.

Prints the relevance map as text (one character per cell, rows top to bottom: `` .:-=+*#%@``
from low to high), the method and the image-query cosine; ``--json`` prints the
``ExplainResult`` (``grid``, ``method``, ``score``, ...); ``--out PATH`` saves the overlay.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mmdemo.cli.common import (
    add_common,
    model_server,
    print_json,
    print_lines,
    read_image,
    settings_for,
)

NAME = "explain"
ORDER = 22
HELP = "show where in an image a text query matched (a relevance map)"
SHADES = " .:-=+*#%@"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", type=Path, metavar="IMAGE")
    parser.add_argument("query", metavar="QUERY")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--out", type=Path, metavar="PATH", help="save the heatmap over the image as a PNG"
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="the simpler map the evaluation compares with (patch similarity / occlusion)",
    )
    add_common(parser)


def text_map(grid) -> list[str]:
    """Each row of the grid as characters, two per cell (cells are about square)."""
    top = len(SHADES) - 1
    return ["".join(SHADES[min(top, int(v * top + 0.5))] * 2 for v in row) for row in grid]


def save_png(image, path: Path) -> None:
    """Write the overlay; a path that cannot be written is the person's to fix (exit 2)."""
    from mmdemo.core.errors import BadInputError

    try:
        image.save(path, format="PNG")
    except OSError as err:
        raise BadInputError(
            f"Could not write the overlay to {path} ({err.strerror or err}): give a path in "
            "a folder that exists and that you may write to."
        ) from None


def run(args: argparse.Namespace) -> int:
    from mmdemo.services import explain

    settings = settings_for(args)
    image = read_image(args.image, settings)
    result = explain.explain(model_server(settings), image, args.query, baseline=args.baseline)
    if args.out:
        save_png(explain.overlay(image, result), args.out)
    if args.json:
        print_json(result.to_json())
        return 0
    lines = ["+" + "-" * 2 * result.shape[1] + "+"]
    lines += [f"|{row}|" for row in text_map(result.grid)]
    lines.append(lines[0])
    lines += [f"method: {result.method}", f"score: {result.score:.3f}"]
    classes = result.details.get("classes")
    if classes:
        lines.append("classes: " + ", ".join(f"{c['class']} ({c['weight']:.2f})" for c in classes))
    if args.out:
        lines.append(f"overlay: {args.out}")
    if result.details.get("random_weights"):
        lines.append("note: random test weights (preset tiny): this map is meaningless.")
    print_lines(lines)
    return 0
