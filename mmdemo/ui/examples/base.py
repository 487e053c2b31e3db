"""What every example file shares: asset folders, the per-preset lookup, shipped files."""

from __future__ import annotations

from pathlib import Path

GALLERY = "gallery"  # the default gallery folder, under assets/
SHAPES = "examples/shapes"
SENTIMENT = "examples/sentiment"


def _for(preset: str, table: dict):
    """A preset's own entry; ``tiny`` (and anything else) mirrors ``full``."""
    return table.get(preset, table["full"])


def existing(assets: Path, relative: str | None) -> str | None:
    """The example file's full path, or None when it is not shipped (then no example)."""
    if relative is None:
        return None
    path = Path(assets) / relative
    return str(path) if path.is_file() else None
