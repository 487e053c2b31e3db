"""``python -m mmdemo vqa IMAGE "QUESTION"``: answer a question about one image."""

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
    warn,
)

NAME = "vqa"
ORDER = 40
HELP = "answer a question about one image"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", type=Path, metavar="IMAGE")
    parser.add_argument("question", metavar="QUESTION")
    parser.add_argument("--top-k", type=int, default=5, help="number of answers (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--model", help=MODEL_HELP.format(task="VQA"))
    parser.add_argument(
        "--fusion",
        help="fusion of our shapes model: concat, sum, product or attention (models that "
        "offer fusions only; default product)",
    )
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    from mmdemo.services import tasks

    settings = settings_for(args)
    image = read_image(args.image, settings)
    result = tasks.answer(
        model_server(settings),
        image,
        args.question,
        model=args.model,
        fusion=args.fusion,
        top_k=max(1, args.top_k),
    )
    if args.json:
        print_json(result.to_json())
        return 0
    if not result.answered:
        lines = [result.message or "The model cannot answer this question."]
    else:
        lines = [f"{s.probability:6.3f}  {s.label}" for s in result.answers]
        if result.message:
            lines.append(result.message)
    lines.append(f"answered by: {result.model}")
    print_lines(lines)
    if result.random_weights:  # on stderr: stdout keeps the answers alone, as it always did
        warn("note: random test weights (preset tiny): these answers are meaningless.")
    return 0
