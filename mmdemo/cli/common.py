"""What every command shares: the common flags, settings from flags + environment, the
services, a progress bar, and printing (the CLI is the one place that prints)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mmdemo.core.config import Settings, settings_from_env

MODEL_HELP = (
    "another {task} model the preset offers (e.g. vilt-vqa or routed-vqa with full); "
    "default: the preset's own"
)


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset",
        help="model preset: auto, full, lite or tiny (default $MMDEMO_PRESET, else auto)",
    )
    parser.add_argument("--index-dir", type=Path, help="index folder; default $MMDEMO_INDEX_DIR")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and details")


def settings_for(args: argparse.Namespace, **changes) -> Settings:
    """The environment's settings with this command's flags (and ``changes``) on top."""
    if getattr(args, "preset", None):
        changes["preset"] = args.preset
    if getattr(args, "index_dir", None):
        changes["index_dir"] = args.index_dir
    return settings_from_env().replace(**changes)


def model_server(settings: Settings):
    from mmdemo.serving import ModelServer

    return ModelServer(settings)


def gallery_for(settings: Settings):
    """(model server, gallery) for ``settings``."""
    from mmdemo.services.gallery import Gallery

    server = model_server(settings)
    return server, Gallery(server, settings)


def read_image(path: Path, settings: Settings):
    """A file from the command line, through the one safe image loader."""
    from mmdemo.core.imaging import load_image

    return load_image(path, max_pixels=settings.max_image_pixels)


@contextmanager
def progress_bar(desc: str, unit: str = "img") -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar on stderr, fed as ``progress(done, total)`` (hidden when not a terminal)."""
    from tqdm import tqdm

    with tqdm(total=0, unit=unit, desc=desc, disable=None, file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield progress


def print_json(data) -> None:
    """The ``--json`` output: one indented document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def print_lines(lines) -> None:
    """Results, one per line, on stdout."""
    for line in lines:
        sys.stdout.write(f"{line}\n")


def warn(message: str) -> None:
    """A note or an error for the person at the terminal, on stderr (stdout stays data)."""
    sys.stderr.write(f"{message}\n")
