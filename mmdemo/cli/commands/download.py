"""``python -m mmdemo download``: fetch a preset's weights on a machine with internet.

Offline, ``MMDEMO_CACHE_DIR`` points at the folder filled here and every loader finds the
files under the same hub names (``models.hub``).
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from mmdemo.cli.common import print_lines
from mmdemo.core.config import settings_from_env
from mmdemo.core.errors import UnknownNameError

NAME = "download"
ORDER = 80
HELP = "fetch a preset's model weights so that it runs offline"
DESCRIPTION = (
    "Download a preset's model weights into a Hugging Face cache folder; offline, point "
    "MMDEMO_CACHE_DIR at that folder."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset", default="full", help="preset whose weights to fetch (default: full)"
    )
    parser.add_argument(
        "--dir",
        type=Path,
        metavar="PATH",
        help="cache folder to fill (default: $MMDEMO_CACHE_DIR, else the Hugging Face cache)",
    )
    parser.add_argument(
        "--skip",
        "--skip-task",
        metavar="TASKS",
        default="",
        help=(
            "tasks whose models not to fetch, comma-separated (e.g. chat,generate: several "
            "GB a Space may not want; those tabs then say their model is missing)"
        ),
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and details")


def human(size: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.2f} GiB"


def skipped_tasks(preset: str, text: str) -> tuple[str, ...]:
    """``--skip chat,generate`` -> ("chat", "generate"); a name the preset has no task for
    is refused with the tasks it has (a typo must not silently download everything)."""
    from mmdemo.models.presets import get_preset

    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    tasks = get_preset(preset)
    for name in names:
        if name not in tasks:
            raise UnknownNameError(f"task of the {preset} preset", name, tasks)
    return names


def run(args: argparse.Namespace) -> int:
    """Download, then report what was fetched and the exact command to use it offline."""
    from mmdemo.models.hub.preset_weights import download_preset, required_weights

    settings = settings_from_env()
    preset = args.preset
    skip = skipped_tasks(preset, getattr(args, "skip", "") or "")
    target = args.dir or settings.cache_dir
    cache_dir = Path(target).expanduser().resolve() if target else None
    if not required_weights(preset, settings, with_choices=True, skip=skip):
        print_lines([f"The {preset} preset needs no downloaded weights; nothing to download."])
        return 0
    fetched = download_preset(preset, settings, cache_dir, skip=skip)
    lines = [f"Skipped (not downloaded): {', '.join(skip)}."] if skip else []
    for item in fetched:
        status = "downloaded" if item.downloaded else "already cached"
        lines.append(f"{item.weights.label} ({item.weights.repo_id}): {status}")
        lines += [f"  {human(path.stat().st_size):>10}  {path}" for path in item.paths]
    total = sum(item.size for item in fetched)
    if cache_dir is None:
        from huggingface_hub import constants

        lines.append(
            f"{human(total)} in the default Hugging Face cache ({constants.HF_HUB_CACHE})."
        )
        lines.append(f"To run offline on this machine:\n  MMDEMO_PRESET={preset} python app.py")
    else:
        lines.append(f"{human(total)} in {cache_dir}.")
        lines.append(
            "To run offline (on another machine, copy that folder there first, keeping its "
            "symlinks: cp -a or rsync -a):\n"
            f"  MMDEMO_CACHE_DIR={shlex.quote(str(cache_dir))} MMDEMO_PRESET={preset} python app.py"
        )
    print_lines(lines)
    return 0
