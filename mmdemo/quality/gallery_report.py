"""What the caption and photo-VQA backends say about each gallery photo, as a markdown table.

Why: label-based captions cannot be scored against the human captions word for word, but a
reader can see at a glance where they are right, hedged, or blind (docs/quality.md).

    python -m mmdemo.quality.gallery_report [--preset lite]
"""

from __future__ import annotations

import argparse
import logging
import sys

from mmdemo.core.config import Settings
from mmdemo.quality.retrieval_eval import gallery_pairs

QUESTIONS = ("Is there a cat?", "Is there a rocket?")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mmdemo.quality.gallery_report")
    parser.add_argument("--preset", default="lite")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from mmdemo.serving import ModelServer

    server = ModelServer(Settings(preset=args.preset, index_default_gallery=False))
    captioner, vqa = server.get("caption"), server.get("vqa")
    names, human, images = gallery_pairs()
    rows = [
        "| photo | human caption | label-based caption | " + " | ".join(QUESTIONS) + " |",
        "|---|---|---|" + "---|" * len(QUESTIONS),
    ]
    for name, text, image in zip(names, human, images, strict=True):
        caption = captioner.caption(image, nearest=0).caption
        answers = []
        for question in QUESTIONS:
            top = vqa.answer(image, question).answers[0]
            answers.append(f"{top.label} {top.probability:.2f}")
        rows.append(f"| {name} | {text} | {caption} | " + " | ".join(answers) + " |")
    sys.stdout.write("\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
