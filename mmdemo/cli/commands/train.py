"""``python -m mmdemo train MODEL``: train one of our own small models on the CPU.

The targets (``shapes-vqa``, ``sentiment-fusion``, ``multilingual-sentiment``) declare their
own options in ``mmdemo.training``; they import torch, so ``cli.main`` adds them only when
this command runs.
"""

from __future__ import annotations

import argparse

from mmdemo.cli.common import print_lines

NAME = "train"
ORDER = 90
HELP = "train one of our own small models (shapes-vqa, sentiment-fusion, multilingual-sentiment)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mmdemo.training import multilingual_sentiment, sentiment_fusion, shapes_vqa

    targets = parser.add_subparsers(dest="target", required=True, metavar="MODEL")
    shapes_vqa.add_cli(targets)
    sentiment_fusion.add_cli(targets)
    multilingual_sentiment.add_cli(targets)


def run(args: argparse.Namespace) -> int:
    print_lines(args.report(args))
    return 0
