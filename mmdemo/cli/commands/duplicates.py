"""``python -m mmdemo duplicates``: groups of near-identical images in the index.

Why a command: a person cleaning a large gallery wants the groups as data (``--json``) or
as lines to read; removing the extra copies stays ``python -m mmdemo remove ID...``, so this
command never changes the index.
"""

from __future__ import annotations

import argparse

from mmdemo.cli.common import add_common, gallery_for, print_json, print_lines, settings_for

NAME = "duplicates"
ORDER = 27
HELP = "list groups of near-identical images (resized, recompressed, lightly cropped copies)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the groups as JSON")
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    from mmdemo.services.duplicates import find_duplicates

    _, gallery = gallery_for(settings_for(args))
    report = find_duplicates(gallery)
    if args.json:
        print_json(report.to_json())
        return 0
    lines = []
    for n, group in enumerate(report.groups, start=1):
        lines.append(f"group {n}: {len(group.ids)} images (keep {group.keep})")
        lines += [f"  {item}\t{path}" for item, path in zip(group.ids, group.paths, strict=True)]
    extra = report.extra_copies
    lines.append(
        f"{len(report.groups)} group(s) among {report.checked} images; {extra} extra cop(ies)"
        + (
            f": python -m mmdemo remove {' '.join(str(i) for g in report.groups for i in g.extra)}"
            if extra
            else ""
        )
    )
    if not report.calibrated:
        lines.append("note: " + report.method.split("; ", 1)[-1])
    print_lines(lines)
    return 0
