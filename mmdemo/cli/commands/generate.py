"""``python -m mmdemo generate "PROMPT" --out FILE``: draw one image from text into a PNG.

Progress (one tick per diffusion step) goes to stderr so stdout stays the result: a line
naming the file, or ``--json`` (``GenerateResult.to_json`` plus ``"out"``). An existing
file is never overwritten unless ``--force`` (checked before any model work). On lite there
is no diffusion model: exit 2, saying it needs the full preset.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mmdemo.cli.common import (
    MODEL_HELP,
    add_common,
    model_server,
    print_json,
    print_lines,
    progress_bar,
    settings_for,
    warn,
)

NAME = "generate"
ORDER = 47
HELP = "draw an image from a text prompt into a PNG file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", metavar="PROMPT", help="what to draw, in English")
    parser.add_argument("--out", type=Path, required=True, help="the PNG file to write")
    parser.add_argument("--steps", type=int, default=1, help="diffusion steps, 1-8 (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same image (default 0)")
    parser.add_argument("--width", type=int, default=512, help="pixels, 256-768 by 64")
    parser.add_argument("--height", type=int, default=512, help="pixels, 256-768 by 64")
    parser.add_argument("--model", help=MODEL_HELP.format(task="generate"))
    parser.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_common(parser)


def check_out(out: Path, force: bool) -> Path:
    """The output path, refused before any work when it would overwrite or is not a PNG."""
    from mmdemo.core.errors import BadInputError

    if out.suffix.lower() != ".png":
        raise BadInputError(f"{out} must end in .png: the image is written as a PNG.")
    if out.is_dir():
        raise BadInputError(f"{out} is a folder: give a file name ending in .png.")
    if out.exists() and not force:
        raise BadInputError(f"{out} exists already: pass --force to overwrite it.")
    if not out.parent.is_dir():
        raise BadInputError(f"The folder {out.parent} does not exist.")
    return out


def run(args: argparse.Namespace) -> int:
    from mmdemo.core.generate_results import GenerateOptions, GenerateResult
    from mmdemo.services import generation

    settings = settings_for(args)
    server = model_server(settings)
    generation.require_available(server)  # lite: exit 2 before anything else
    out = check_out(args.out, args.force)
    options = GenerateOptions(
        steps=args.steps, seed=args.seed, width=args.width, height=args.height
    )
    result = None
    with progress_bar("drawing", unit="step") as progress:
        for item in generation.generate_steps(server, args.prompt, options, args.model):
            if isinstance(item, str):
                warn(item)  # "Loading <model> …"
            elif isinstance(item, GenerateResult):
                result = item
            else:
                progress(*item)
    if result is None or result.image is None:
        warn(f"stopped ({result.stopped if result else 'no result'}): no image written")
        return 1
    partial = out.with_name(out.name + ".part")
    result.image.save(partial, format="PNG")
    partial.replace(out)
    steps = f"{result.steps_done} step{'' if result.steps_done == 1 else 's'}"
    if result.stopped != "done":
        warn(f"note: stopped by the {result.stopped} limit after {steps}")
    if args.json:
        print_json({**result.to_json(), "out": str(out)})
        return 0
    print_lines(
        [
            f"{out} ({result.width}x{result.height}, {steps}, seed "
            f"{result.seed}, {result.seconds:.1f} s, {result.model})",
        ]
    )
    if server.is_random("generate", args.model):
        warn("note: random test weights (preset tiny): this image is meaningless.")
    if result.note:
        warn(f"note: {result.note}")
    return 0
