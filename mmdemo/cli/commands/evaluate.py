"""``python -m mmdemo evaluate [--csv FILE --images DIR] [--json]``: the active preset measured
on the bundled labelled sets, or on a CSV (columns image, text, label) and its images.

The same functions as the page's Evaluate tab (``quality.live_evaluation``), so the command
line and the browser report the same numbers in the same JSON.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mmdemo.cli.common import add_common, model_server, print_json, print_lines, settings_for

NAME = "evaluate"
ORDER = 80
HELP = "measure the preset: recall@k, zero-shot accuracy, sentiment accuracy / macro-F1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csv", type=Path, help="a CSV with the columns image, text, label")
    parser.add_argument(
        "--images", type=Path, help="the folder holding the images the CSV's image column names"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_common(parser)


def _images(folder: Path | None) -> dict[str, Path]:
    from mmdemo.core.errors import BadInputError

    if folder is None:
        return {}
    if not folder.is_dir():
        raise BadInputError(f"--images {folder} is not a folder.")
    return {p.name: p for p in sorted(folder.iterdir()) if p.is_file()}


def run(args: argparse.Namespace) -> int:
    from mmdemo.core.errors import BadInputError
    from mmdemo.quality import live_evaluation as live
    from mmdemo.quality.evaluation_csv import MAX_ROWS, check_csv_size

    if args.images is not None and args.csv is None:
        raise BadInputError("--images goes with --csv: give the CSV its images belong to.")
    server = model_server(settings_for(args))
    if args.csv is None:
        report = live.evaluate_bundled(server)
    else:
        if not args.csv.is_file():
            raise BadInputError(f"--csv {args.csv} is not a file.")
        check_csv_size(args.csv.stat().st_size)
        images = _images(args.images)
        report = live.evaluate_csv(
            server, args.csv.read_bytes(), images, max_images=max(MAX_ROWS, len(images))
        )
    if args.json:
        print_json(report.to_json())
        return 0
    lines = [f"preset {report.preset}, {report.source}, {report.seconds:.1f} s"]
    for r in report.retrieval:
        cells = "  ".join(f"R@{k} {v:.2f}" for k, v in sorted(r.recall.items()))
        lines.append(
            f"retrieval  {r.language:5} n={r.n:<4} of {r.n_images:<3} {cells}  {r.dataset}"
        )
    for kind, scores in (("zero-shot", report.zero_shot), ("sentiment", report.sentiment)):
        for s in scores:
            lines.append(
                f"{kind:10} {s.language:5} n={s.n:<4} accuracy {s.accuracy:.3f}  "
                f"macro-F1 {s.macro_f1:.3f}  {s.dataset}"
            )
    for s in report.sentiment:
        lines.append(f"confusion of {s.dataset} (rows true, columns predicted):")
        lines.append(" " * 10 + " ".join(f"{c:>9}" for c in s.classes))
        lines += [
            f"{c:>9} " + " ".join(f"{v:9d}" for v in row)
            for c, row in zip(s.classes, s.confusion, strict=True)
        ]
    lines += [f"note: {note}" for note in report.notes]
    print_lines(lines)
    return 0
